/**
 * LTI Dynamic Registration end to end in headless Chromium: the fake Moodle's admin page frames
 * the registration URL `gg4l lms register --dynamic` printed; `gg4l serve` reads the platform's
 * OpenID configuration, registers the tool and answers with the close message, which closes the
 * frame. Then the registration it stored carries a content selection, a learner's launch and a sync.
 */
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { publishThroughPicker } from "../../fixtures/fake-lms/instructor.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { type Box, expectOk, prepareState, type Serve, startServe } from "../e2e/serve-helpers.js";
import { type Chromium, launchChromium } from "../helpers/chromium.js";
import { parseJson } from "../helpers/gg4l.js";
import { gradeInput } from "../helpers/grades.js";

let coursera: FakeCoursera;
let box: Box;
let lms: FakeLms;
let serve: Serve;
let browser: BrowserContext;
let chrome: Chromium | undefined;

beforeAll(async () => {
  chrome = await launchChromium();
  browser = chrome.browser;
  coursera = await startFakeCoursera({ dataset: "small" });
  box = await prepareState(coursera, ["Data Science"]);
  lms = await startFakeLms({ kind: "moodle" });
  serve = await startServe(box);
}, 90_000);
afterAll(async () => {
  await serve?.stop();
  await lms?.close();
  await chrome?.close();
  box?.cleanup();
  await coursera?.close();
});

describe("LTI Dynamic Registration in chromium", () => {
  it("one URL registers the tool; the stored registration launches, publishes and syncs grades", async () => {
    const made = await box.gg4l([
      "lms",
      "register",
      "--dynamic",
      "--kind",
      "moodle",
      "--grade-sync",
      "assignment",
      "--public-url",
      serve.urls.baseUrl,
      "--json",
    ]);
    expectOk(made);
    const url = parseJson<{ registrationUrl: string; expiresAt: string }>(made);
    expect(Object.keys(url)).toEqual(["registrationUrl", "expiresAt"]);
    expect(url.registrationUrl).toMatch(new RegExp(`^${serve.urls.baseUrl}/lti/register/[A-Za-z0-9_-]{43}$`));

    const page = await browser.newPage();
    await page.goto(lms.dynamicRegistrationPage(url.registrationUrl));
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 30_000 }).toBe("closed");
    expect(await page.locator("iframe").count()).toBe(0);
    await page.close();

    // What the tool sent, as the platform received it.
    expect(lms.dynamic.completed).toHaveLength(1);
    const done = lms.dynamic.completed[0]!;
    const request = done.request as Record<string, unknown>;
    expect(request).toMatchObject({
      application_type: "web",
      response_types: ["id_token"],
      grant_types: ["implicit", "client_credentials"],
      initiate_login_uri: serve.urls.loginUrl,
      redirect_uris: [serve.urls.launchUrl],
      jwks_uri: serve.urls.jwksUrl,
      token_endpoint_auth_method: "private_key_jwt",
    });
    const toolConfig = request["https://purl.imsglobal.org/spec/lti-tool-configuration"] as {
      target_link_uri: string;
      claims: string[];
      messages: Array<{ type: string; target_link_uri: string }>;
    };
    expect(toolConfig.target_link_uri).toBe(serve.urls.launchUrl);
    expect(toolConfig.claims).toContain("email");
    expect(toolConfig.messages).toContainEqual(
      expect.objectContaining({ type: "LtiDeepLinkingRequest", target_link_uri: serve.urls.deepLinkUrl }),
    );
    expect(String(request.scope).split(" ")).toContain("https://purl.imsglobal.org/spec/lti-ags/scope/score");

    // gg4l stored it as the tenant's registration.
    const shown = parseJson<Record<string, string>>(expectOk(await box.gg4l(["lms", "show", "--json"])));
    expect(shown).toMatchObject({
      tenant: "fsu",
      kind: "moodle",
      issuer: lms.issuer,
      clientId: done.clientId,
      deploymentId: done.deploymentId,
      authUrl: lms.authUrl,
      tokenUrl: lms.tokenUrl,
      gradeSync: "assignment",
    });
    await expect
      .poll(() => serve.log())
      .toMatch(
        new RegExp(
          ` registered tenant=fsu lms=moodle .*client=${done.clientId} deployment=${done.deploymentId}`,
        ),
      );

    // The same URL a second time is refused: single use.
    const again = await browser.newPage();
    await again.goto(lms.dynamicRegistrationPage(url.registrationUrl));
    const frame = again.frameLocator("iframe");
    await expect.poll(async () => frame.locator("h1").textContent()).toBe("The registration was refused");
    expect(await frame.locator("p").first().textContent()).toMatch(/already used/);
    await again.close();
    await expect
      .poll(() => serve.log())
      .toMatch(/registration-refused status=410 reason=registration-url-used/);

    // Through the new registration: an instructor publishes, a learner launches, the sync posts.
    const published = await publishThroughPicker(
      lms,
      { course: "Introduction to Data Science", items: 1 },
      lms.seeded.instructorId,
      lms.contextId,
      done.clientId,
    );
    expect(published.links).toHaveLength(1);
    const link = published.links[0]!;
    const itemId = link.custom!.coursera_item_id!;
    lms.addUser({ userId: "pia", email: "pia@uni.example", contextId: lms.contextId });
    const launched = await lms.launch({
      userId: "pia",
      contextId: lms.contextId,
      linkId: link.id,
      clientId: done.clientId,
    });
    expect(launched.status).toBe(302);

    const program = parseJson<{ id: string }>(
      expectOk(await box.gg4l(["programs", "show", "Data Science", "--json"])),
    );
    const course = parseJson<Array<{ id: string; name: string }>>(
      expectOk(await box.gg4l(["courses", "list", "--json"])),
    ).find((c) => c.name === "Introduction to Data Science")!;
    coursera.control.setGrades([
      gradeInput("pia@uni.example", course.id, program.id, { items: { [itemId]: 91 } }),
    ]);
    expectOk(await box.gg4l(["sync", "daily"]));
    const column = lms.gradebook(lms.contextId).lineItems.find((li) => li.resourceLinkId === link.id)!;
    expect(column.grades.find((g) => g.userId === "pia")).toMatchObject({ scoreGiven: 91 });

    // lms check through the dynamic registration: one token for every scope, rows all pass.
    const check = parseJson<{ checks: Array<{ check: string; status: string }> }>(
      expectOk(await box.gg4l(["lms", "check", "--json"])),
    );
    expect(check.checks.map((c) => [c.check, c.status])).toEqual([
      ["lms-jwks", "pass"],
      ["lms-token", "pass"],
      ["lms-scopes", "pass"],
      ["lms-nrps", "pass"],
      ["lms-line-items", "pass"],
    ]);
  }, 120_000);
});
