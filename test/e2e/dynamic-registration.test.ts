/**
 * `gg4l lms register --dynamic` and the registration URL `gg4l serve` answers, over plain HTTP:
 * the command's contract, and every refusal as a page and a log line (the browser run is
 * test/browser/dynamic-registration.test.ts). Also Moodle's probe of the launch URL.
 */
import Database from "better-sqlite3";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { type FakeLms, type StartFakeLmsOptions, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { AGS_SCOPE, NRPS_SCOPE } from "../../src/clients/lti/constants.js";
import { parseJson } from "../helpers/gg4l.js";
import {
  type Box,
  copyState,
  expectOk,
  prepareState,
  registerLms,
  type Serve,
  startServe,
} from "./serve-helpers.js";

let coursera: FakeCoursera;
let template: Box;
const opened: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  coursera = await startFakeCoursera({ dataset: "small" });
  template = await prepareState(coursera, ["Data Science"]);
}, 90_000);
afterAll(async () => {
  for (const close of opened.reverse()) await close();
  template?.cleanup();
  await coursera?.close();
});

async function world(lmsOptions: Partial<StartFakeLmsOptions> = {}) {
  const box = copyState(template);
  const lms = await startFakeLms({ kind: "moodle", ...lmsOptions });
  const serve = await startServe(box);
  opened.push(
    box.cleanup,
    () => lms.close(),
    () => serve.stop(),
  );
  return { box, lms, serve };
}

async function registrationUrl(box: Box, serve: Serve, gradeSync = "assignment", kind = "moodle") {
  const made = expectOk(
    await box.gg4l([
      "lms",
      "register",
      "--dynamic",
      "--kind",
      kind,
      "--grade-sync",
      gradeSync,
      "--public-url",
      serve.urls.baseUrl,
      "--json",
    ]),
  );
  return parseJson<{ registrationUrl: string; expiresAt: string }>(made).registrationUrl;
}

/** The LMS opens the tool's registration URL with its two parameters. */
async function open(lms: FakeLms, url: string) {
  const res = await request(lms.startDynamicRegistration(url).url);
  return { status: res.statusCode, body: await res.body.text() };
}

const lmsRows = (box: Box) => {
  const db = new Database(box.db, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM lms_registrations").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe("gg4l lms register --dynamic", () => {
  it("prints the URL on stdout and the admin's sentence on stderr; --json has exactly registrationUrl and expiresAt", async () => {
    const box = copyState(template);
    opened.push(box.cleanup);
    const plain = expectOk(
      await box.gg4l([
        "lms",
        "register",
        "--dynamic",
        "--kind",
        "canvas",
        "--grade-sync",
        "course",
        "--public-url",
        "https://lti.uni.example/",
      ]),
    );
    expect(plain.stdout).toMatch(/^https:\/\/lti\.uni\.example\/lti\/register\/[A-Za-z0-9_-]{43}\n$/);
    expect(plain.stderr).toMatch(/Paste this into Canvas's tool registration URL field/);
    // Without --public-url, the one `gg4l serve --public-url` last ran with.
    const serve = await startServe(box, ["--public-url", "https://tool.uni.example"]);
    await serve.stop();
    const json = parseJson<Record<string, string>>(
      expectOk(
        await box.gg4l(["lms", "register", "--dynamic", "--kind", "d2l", "--grade-sync", "final", "--json"]),
      ),
    );
    expect(Object.keys(json)).toEqual(["registrationUrl", "expiresAt"]);
    expect(json.registrationUrl).toMatch(/^https:\/\/tool\.uni\.example\/lti\/register\//);
    expect(Date.parse(json.expiresAt!) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    // Only the hash is stored.
    const db = new Database(box.db, { readonly: true });
    const rows = db.prepare("SELECT token_hash FROM lms_registration_tokens").all() as Array<{
      token_hash: string;
    }>;
    db.close();
    const token = json.registrationUrl!.split("/").pop()!;
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
  });

  it("refuses kinds without Dynamic Registration, a missing public URL and the manual flags, exit 2", async () => {
    const box = copyState(template);
    opened.push(box.cleanup);
    const bb = await box.gg4l([
      "lms",
      "register",
      "--dynamic",
      "--kind",
      "blackboard",
      "--grade-sync",
      "final",
    ]);
    expect(bb.code).toBe(2);
    expect(bb.stderr).toMatch(/Blackboard does not support LTI Dynamic Registration/);
    expect(bb.stderr).toMatch(/gg4l lms guide blackboard/);
    const noUrl = await box.gg4l([
      "lms",
      "register",
      "--dynamic",
      "--kind",
      "moodle",
      "--grade-sync",
      "final",
    ]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/--dynamic needs --public-url/);
    const mixed = await box.gg4l([
      "lms",
      "register",
      "--dynamic",
      "--kind",
      "moodle",
      "--grade-sync",
      "final",
      "--public-url",
      "https://lti.uni.example",
      "--issuer",
      "https://moodle.uni.example",
    ]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--dynamic takes no --issuer/);
  });
});

describe("the registration URL in gg4l serve", () => {
  it("an issuer that is not the configuration URL's prefix is refused; the URL still works with the right LMS", async () => {
    const { box, lms, serve } = await world({ issuer: "https://moodle.elsewhere.example" });
    const url = await registrationUrl(box, serve);
    const refused = await open(lms, url);
    expect(refused.status).toBe(502);
    expect(refused.body).toMatch(/The registration was refused/);
    expect(refused.body).toMatch(/not a prefix of the configuration URL/);
    await expect.poll(() => serve.log()).toMatch(/registration-refused status=502 reason=issuer-mismatch/);
    expect(lms.dynamic.completed).toHaveLength(0);
    expect(lmsRows(box)).toBe(0);

    const good = await startFakeLms({ kind: "moodle" });
    opened.push(() => good.close());
    const ok = await open(good, url);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/org\.imsglobal\.lti\.close/);
    expect(lmsRows(box)).toBe(1);
  });

  it("a platform that does not grant what the option needs: the page names the scope and the Moodle switch", async () => {
    const { box, lms, serve } = await world({
      grantableScopes: [AGS_SCOPE.score, AGS_SCOPE.lineitemReadonly, AGS_SCOPE.resultReadonly, NRPS_SCOPE],
    });
    const refused = await open(lms, await registrationUrl(box, serve, "course"));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/Moodle does not grant lineitem, which grade-sync course needs/);
    expect(refused.body).toMatch(/grade sync and column management/);
    await expect.poll(() => serve.log()).toMatch(/registration-refused status=403 reason=scope-not-granted/);
    // Refused from the OpenID configuration's scopes_supported, before anything was registered.
    expect(lms.dynamic.completed).toHaveLength(0);
    expect(lmsRows(box)).toBe(0);
    // The same LMS serves grade-sync assignment, where the LMS creates the columns.
    expect((await open(lms, await registrationUrl(box, serve, "assignment"))).status).toBe(200);
  });

  it("the LMS's failures: an HTML configuration, a 500 on registration, a reset; each a page, the URL kept", async () => {
    const { box, lms, serve } = await world();
    const url = await registrationUrl(box, serve);
    lms.addFaults({ route: "openid-configuration", type: "html", status: 200 });
    const html = await open(lms, url);
    expect(html.status).toBe(502);
    expect(html.body).toMatch(/OpenID configuration at http:\/\/127\.0\.0\.1:\d+ answered text\/html/);
    lms.addFaults({ route: "registration", type: "status", status: 500 });
    const failed = await open(lms, url);
    expect(failed.status).toBe(502);
    expect(failed.body).toMatch(/refused the tool registration with HTTP 500/);
    // A POST is not retried: a repeat could register the tool twice.
    expect(lms.requests().filter((r) => r.route === "registration")).toHaveLength(1);
    lms.addFaults({ route: "openid-configuration", type: "reset", times: 10 });
    const reset = await open(lms, url);
    expect(reset.status).toBe(502);
    expect(reset.body).toMatch(/could not reach Moodle/);
    lms.setFaults({ clear: true });
    expect((await open(lms, url)).status).toBe(200);
    for (const reason of ["platform-not-json", "registration-refused", "platform-unreachable"])
      await expect
        .poll(() => serve.log())
        .toMatch(new RegExp(`registration-refused status=502 reason=${reason}`));
    expect(lmsRows(box)).toBe(1);
  });

  it("unknown, reused, expired and parameter-less URLs are refused with their own page and log line", async () => {
    const { box, lms, serve } = await world();
    const unknown = await open(lms, `${serve.urls.baseUrl}/lti/register/not-a-token`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatch(/not one gg4l made/);

    const url = await registrationUrl(box, serve);
    const bare = await request(url);
    expect(bare.statusCode).toBe(400);
    expect(await bare.body.text()).toMatch(/open this URL from the LMS/);

    expect((await open(lms, url)).status).toBe(200);
    const reused = await open(lms, url);
    expect(reused.status).toBe(410);
    expect(reused.body).toMatch(/already used/);

    const late = await registrationUrl(box, serve);
    const db = new Database(box.db);
    db.prepare(
      "UPDATE lms_registration_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used_at IS NULL",
    ).run();
    db.close();
    const expired = await open(lms, late);
    expect(expired.status).toBe(410);
    expect(expired.body).toMatch(/expired at 2000-01-01/);
    for (const reason of [
      "unknown-registration-url",
      "no-openid-configuration",
      "registration-url-used",
      "registration-url-expired",
    ])
      await expect
        .poll(() => serve.log())
        .toMatch(new RegExp(`registration-refused status=\\d+ reason=${reason}`));
    expect(serve.log()).not.toMatch(/registration_token|Bearer/);
  });

  it("R1: an LMS instance another tenant registered with another option is refused (409), nothing stored", async () => {
    const { box, lms, serve } = await world();
    await registerLms(box, lms, "final");
    expectOk(await box.gg4l(["tenant", "add", "other", "--name", "Other", "--coursera-org", "o2"]));
    const made = expectOk(
      await box.gg4l([
        "lms",
        "register",
        "--dynamic",
        "--tenant",
        "other",
        "--kind",
        "moodle",
        "--grade-sync",
        "assignment",
        "--public-url",
        serve.urls.baseUrl,
        "--json",
      ]),
    );
    const refused = await open(lms, parseJson<{ registrationUrl: string }>(made).registrationUrl);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatch(/already uses grade-sync &quot;final&quot;/);
    await expect
      .poll(() => serve.log())
      .toMatch(/registration-refused status=409 reason=grade-sync-conflict/);
    expect(lmsRows(box)).toBe(1);
  });
});

describe("Moodle's probe of the launch URL", () => {
  it("saving an activity GETs the tool URL: a short page and a launch-probe line, not launch-refused 405", async () => {
    const { box, lms, serve } = await world();
    await registerLms(box, lms, "assignment");
    lms.updateRegistration({ toolTargetLinkUri: serve.urls.launchUrl });
    const saved = await lms.saveActivity({ contextId: lms.contextId, title: "Week 1" });
    expect(saved.probe).toEqual({ status: 200 });
    await expect.poll(() => serve.log()).toMatch(/ launch-probe method=GET/);
    expect(serve.log()).not.toMatch(/launch-refused/);
    // A POST that is not a launch is still refused.
    const post = await request(serve.urls.launchUrl, { method: "POST", body: "" });
    await post.body.text();
    expect(post.statusCode).toBe(415);
    await expect.poll(() => serve.log()).toMatch(/launch-refused status=415/);
  });
});
