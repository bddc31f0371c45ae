/**
 * The content picker in a real headless browser (Debian's chromium, driven by playwright-core;
 * `scripts/install-browser.sh` installs it). The fake LMS starts a deep-linking launch; the
 * browser runs the whole OIDC flow, the picker pages and the auto-posted signed answer, which
 * the fake LMS verifies before it creates the links and line items.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import {
  type Box,
  connectLms,
  copyState,
  prepareState,
  registerLms,
  type Serve,
  startServe,
} from "../e2e/serve-helpers.js";
import { type Chromium, launchChromium } from "../helpers/chromium.js";

let fake: FakeCoursera;
let oneProgram: Box;
let twoPrograms: Box;
let browser: BrowserContext;
let chrome: Chromium | undefined;
const opened: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  chrome = await launchChromium();
  browser = chrome.browser;
  fake = await startFakeCoursera({ dataset: "small" });
  [oneProgram, twoPrograms] = await Promise.all([
    prepareState(fake, ["Data Science"]),
    prepareState(fake, ["Data Science", "Business Foundations"]),
  ]);
}, 90_000);
afterAll(async () => {
  for (const close of opened.reverse()) await close();
  await chrome?.close();
  oneProgram?.cleanup();
  twoPrograms?.cleanup();
  await fake?.close();
});

async function setup(
  template: Box,
  gradeSync: "assignment" | "course" | "final",
): Promise<{ box: Box; lms: FakeLms; serve: Serve }> {
  fake.reset();
  const box = copyState(template);
  const lms = await startFakeLms({ kind: "canvas" });
  await registerLms(box, lms, gradeSync);
  const serve = await startServe(box);
  connectLms(lms, serve.urls);
  opened.push(
    box.cleanup,
    () => lms.close(),
    async () => void (await serve.stop()),
  );
  return { box, lms, serve };
}

/**
 * The login initiation the LMS would send the instructor's browser to: the fake LMS sends it
 * to a catcher instead of the tool, so that the browser (not the fake's own client) runs the flow.
 */
async function loginInitiation(lms: FakeLms, serve: Serve): Promise<string> {
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
    await lms.launch({ userId: lms.seeded.instructorId, contextId: lms.contextId, deepLinking: true });
  } finally {
    lms.updateRegistration({ toolLoginUrl: serve.urls.loginUrl });
    catcher.close();
  }
  if (!caught) throw new Error("the fake LMS sent no login initiation");
  return `${serve.urls.loginUrl}?${caught}`;
}

async function heading(page: Page): Promise<string> {
  return (await page.locator("h1").first().textContent()) ?? "";
}

interface Created {
  links: Array<{ id: string; title: string; custom: Record<string, string> }>;
  lineItems: Array<{ id: string; label: string; resourceId: string; resourceLinkId: string; tag: string }>;
}

async function returnedToLms(page: Page): Promise<Created> {
  await page.waitForURL(/\/_fake\/deep-linking\/return\//);
  return JSON.parse((await page.locator("body").textContent()) ?? "") as Created;
}

describe("content picker in chromium", () => {
  it("one active program: the program step is skipped; Option A publishes one link and line item per chosen item", async () => {
    const { lms, serve } = await setup(oneProgram, "assignment");
    const page = await browser.newPage();
    opened.push(() => page.close());
    await page.goto(await loginInitiation(lms, serve));
    expect(await heading(page)).toBe("Choose a course");
    expect(await page.locator(".crumbs").first().textContent()).toBe("Program: Data Science");
    expect(await page.locator('input[name="program"]').count()).toBe(0);
    await page.getByLabel("Introduction to Data Science").check();
    await page.getByRole("button", { name: "Next" }).click();

    await page.waitForSelector("text=Choose the graded items");
    const items = page.locator('input[name="item"]');
    expect(await items.count()).toBeGreaterThan(2);
    expect(await items.first().getAttribute("type")).toBe("checkbox");
    const chosen = [await items.nth(0).getAttribute("value"), await items.nth(2).getAttribute("value")];
    await items.nth(0).check();
    await items.nth(2).check();
    await page.getByRole("button", { name: "Add to course" }).click();

    const created = await returnedToLms(page);
    expect(created.links).toHaveLength(2);
    expect(created.links.map((l) => l.custom.coursera_item_id)).toEqual(chosen);
    for (const link of created.links) {
      expect(link.title).toMatch(/^Introduction to Data Science: /);
      expect(link.custom.gg4l_grade_sync).toBe("assignment");
      expect(lms.state.links.get(link.id)).toMatchObject({
        contextId: lms.contextId,
        targetLinkUri: serve.urls.launchUrl,
      });
    }
    const gradebook = lms.gradebook(lms.contextId).lineItems;
    expect(gradebook.map((li) => [li.resourceLinkId, li.resourceId, li.tag])).toEqual(
      created.links.map((l) => [l.id, l.custom.coursera_item_id, "coursera-item"]),
    );
    await expect
      .poll(() => serve.log())
      .toMatch(/ published tenant=fsu lms=canvas .*links=2 line-items=2 grade-sync=assignment/);

    // A learner opening one of the new links lands on its item at Coursera, and the link is connected.
    lms.addUser({ userId: "pia", email: "pia@uni.example", contextId: lms.contextId });
    const launched = await lms.launch({
      userId: "pia",
      contextId: lms.contextId,
      linkId: created.links[1]!.id,
    });
    expect(launched.status).toBe(302);
    expect(launched.headers.location).toMatch(new RegExp(`/item/${chosen[1]}$`));
    await expect.poll(() => serve.log()).toMatch(/ launch .*license=taken grading=connected/);
  });

  it("two active programs: the program comes first; Option B publishes the course link without a line item", async () => {
    const { lms, serve } = await setup(twoPrograms, "course");
    const page = await browser.newPage();
    opened.push(() => page.close());
    await page.goto(await loginInitiation(lms, serve));
    expect(await heading(page)).toBe("Choose a Coursera program");
    const programs = await page.locator("label").allTextContents();
    expect(programs.map((p) => p.trim())).toEqual(["Business Foundations", "Data Science"]);
    await page.getByLabel("Business Foundations").check();
    await page.getByRole("button", { name: "Next" }).click();

    await page.waitForSelector("text=Choose a course");
    expect(await page.locator(".crumbs").first().textContent()).toBe("Program: Business Foundations");
    const courses = (await page.locator("label").allTextContents()).map((c) => c.trim());
    expect(courses).toContain("Principles of Management");
    expect(courses).not.toContain("Introduction to Data Science");
    await page.getByLabel("Principles of Management").check();
    await page.getByRole("button", { name: "Add to course" }).click();

    const created = await returnedToLms(page);
    expect(created.links).toEqual([
      expect.objectContaining({
        title: "Principles of Management",
        custom: expect.objectContaining({ gg4l_grade_sync: "course" }),
      }),
    ]);
    expect(created.links[0]!.custom).not.toHaveProperty("coursera_item_id");
    expect(created.lineItems).toEqual([]);
    expect(lms.gradebook(lms.contextId).lineItems).toEqual([]);
  });
});
