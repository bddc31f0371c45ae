/**
 * The page a learner sees when their LMS shares no e-mail (R11), in a real headless browser
 * (Debian's chromium, driven by playwright-core): the browser runs the whole OIDC flow from a
 * Moodle that keeps "Share launcher's email with tool" at its default, Never.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import {
  type Box,
  connectLms,
  copyState,
  prepareState,
  publishOverHttp,
  registerLms,
  type Serve,
  startServe,
  stateCounts,
} from "../e2e/serve-helpers.js";
import { type Chromium, launchChromium } from "../helpers/chromium.js";

let fake: FakeCoursera;
let template: Box;
let browser: BrowserContext;
let chrome: Chromium | undefined;
const opened: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  chrome = await launchChromium();
  browser = chrome.browser;
  fake = await startFakeCoursera({ dataset: "small" });
  template = await prepareState(fake, ["Data Science"]);
}, 90_000);
afterAll(async () => {
  for (const close of opened.reverse()) await close();
  await chrome?.close();
  template?.cleanup();
  await fake?.close();
});

/** The login initiation Moodle would send the learner's browser to, caught so the browser runs the flow. */
async function loginInitiation(lms: FakeLms, serve: Serve, userId: string, linkId: string): Promise<string> {
  let caught: URLSearchParams | undefined;
  const catcher = createServer((req, res) => {
    caught = new URL(req.url ?? "/", "http://catcher").searchParams;
    res.end("caught");
  });
  await new Promise<void>((resolve) => catcher.listen(0, "127.0.0.1", resolve));
  lms.updateRegistration({
    toolLoginUrl: `http://127.0.0.1:${(catcher.address() as AddressInfo).port}/login`,
  });
  try {
    await lms.launch({ userId, contextId: lms.contextId, linkId });
  } finally {
    lms.updateRegistration({ toolLoginUrl: serve.urls.loginUrl });
    catcher.close();
  }
  if (!caught) throw new Error("the fake LMS sent no login initiation");
  return `${serve.urls.loginUrl}?${caught}`;
}

describe("no e-mail page in chromium", () => {
  it("tells the learner what Moodle's admin must switch on; nothing is bound and no license taken", async () => {
    fake.reset();
    const box = copyState(template);
    const lms = await startFakeLms({ kind: "moodle" });
    await registerLms(box, lms, "final");
    const serve = await startServe(box);
    connectLms(lms, serve.urls);
    opened.push(
      box.cleanup,
      () => lms.close(),
      async () => void (await serve.stop()),
    );
    const published = await publishOverHttp(lms, {
      program: "Data Science",
      course: "Introduction to Data Science",
    });
    lms.addUser({ userId: "nia", name: "Nia Learner", email: "nia@uni.example", contextId: lms.contextId });
    lms.updateRegistration({ shareEmail: false });
    const before = { state: stateCounts(box), licenses: fake.control.licenses() };

    const page = await browser.newPage();
    opened.push(() => page.close());
    const response = await page.goto(await loginInitiation(lms, serve, "nia", published.links[0]!.id));
    await page.waitForSelector("h1");
    expect(await page.locator("h1").textContent()).toBe("Your LMS did not share your e-mail address");
    expect(new URL(page.url()).pathname).toBe("/lti/launch");
    const text = (await page.locator("body").textContent()) ?? "";
    expect(text).toContain('the Coursera program "Data Science"');
    expect(await page.locator(".hint").textContent()).toContain(
      `Moodle: in the Coursera external tool's settings, set "Share launcher's email with tool" to "Always"`,
    );
    expect(text).not.toContain("gg4l");
    expect(response).not.toBeNull();
    expect({ state: stateCounts(box), licenses: fake.control.licenses() }).toEqual(before);
  });
});
