/** The checks behind `gg4l lms check`: a pass/fail row per check, with the LMS's own message. */
import { beforeAll, describe, expect, it } from "vitest";
import type { FakeLms, StartFakeLmsOptions } from "../../fixtures/fake-lms/server.js";
import type { FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import type { ToolKey } from "../../src/base/keys.js";
import { checkLmsRegistration, type LmsCheckOptions } from "../../src/clients/lti/check.js";
import { AGS_SCOPE } from "../../src/clients/lti/constants.js";
import { scopePolicy } from "../../src/core/lms-scopes.js";
import type { GradeSyncOption } from "../../src/store/lms.js";
import { fakeLmsPool } from "../helpers/fake-lms-pool.js";
import { fastRetries, makeToolKey, registrationOf, type TestToolKey } from "../helpers/tool-key.js";

const lmsPool = fakeLmsPool();
let otherKey: TestToolKey;
beforeAll(async () => {
  otherKey = await makeToolKey();
});

async function fake(kind: FakeLmsKind, options: Partial<StartFakeLmsOptions> = {}) {
  return lmsPool.open(kind, options);
}

type CheckInput = Partial<LmsCheckOptions> & { key?: ToolKey; gradeSync?: GradeSyncOption; noSso?: boolean };

function check(lms: FakeLms, options: CheckInput = {}) {
  const { http, sleep, retry } = fastRetries();
  const { gradeSync = "assignment", noSso = false, ...rest } = options;
  return checkLmsRegistration(registrationOf(lms), options.key ?? lmsPool.key.key, {
    http,
    sleep,
    retry,
    policy: scopePolicy({ kind: lms.kind, gradeSync, noSso }),
    ...rest,
  });
}

const tokenRequests = (lms: FakeLms) => lms.requests().filter((r) => r.route === "token");

const statuses = (rows: Array<{ check: string; status: string }>) =>
  Object.fromEntries(rows.map((r) => [r.check, r.status]));

describe("checkLmsRegistration", () => {
  it("passes every check against a well-configured LMS, with one token request and a roster page read", async () => {
    const lms = await fake("canvas");
    lms.addLineItem({ contextId: lms.contextId, label: "Existing", scoreMaximum: 1 });
    const before = tokenRequests(lms).length;
    const rows = await check(lms, { lineItemsUrl: lms.lineitemsUrl, membershipsUrl: lms.membershipsUrl });
    expect(rows.map((r) => r.check)).toEqual([
      "lms-jwks",
      "lms-token",
      "lms-scopes",
      "lms-nrps",
      "lms-line-items",
    ]);
    expect(rows.every((r) => r.status === "pass")).toBe(true);
    expect(rows[0]!.message).toMatch(/^1 signing key\(s\): platform-/);
    expect(rows[1]!.message).toBe("Canvas issued a token for 5 of 5 scope(s)");
    expect(rows[3]!.message).toMatch(
      /^course rosters can be read: \d+ member\(s\) on the first page of context /,
    );
    expect(rows[4]!.message).toBe("1 line item(s) in the course");
    expect(tokenRequests(lms).length - before).toBe(1);
    expect(lms.requests().filter((r) => r.route === "memberships")).toHaveLength(1);
  });

  it("does not pass NRPS on a token alone: without a roster URL it warns; the listing is skipped", async () => {
    const rows = await check(await fake("moodle"));
    expect(statuses(rows)).toMatchObject({ "lms-nrps": "warn", "lms-line-items": "skip" });
    expect(rows.find((r) => r.check === "lms-nrps")!.hint).toMatch(/launch a link/);
  });

  it("reads the roster: an unreadable one fails when no-SSO is on, warns otherwise", async () => {
    const lms = await fake("canvas");
    const membershipsUrl = lms.membershipsUrlFor("no-such-course");
    expect(statuses(await check(lms, { membershipsUrl }))["lms-nrps"]).toBe("warn");
    expect(statuses(await check(lms, { membershipsUrl, noSso: true }))["lms-nrps"]).toBe("fail");
  });

  it("fails the token with the LMS's words when the LMS holds another key", async () => {
    const lms = await fake("d2l");
    const rows = await check(lms, { key: otherKey.key, lineItemsUrl: lms.lineitemsUrl });
    expect(statuses(rows)).toEqual({
      "lms-jwks": "pass",
      "lms-token": "fail",
      "lms-scopes": "skip",
      "lms-nrps": "skip",
      "lms-line-items": "skip",
    });
    const token = rows.find((r) => r.check === "lms-token")!;
    expect(token.lmsMessage).toBe("no registered tool key matches the assertion's kid");
    expect(token.hint).toMatch(/tool's current JWKS/);
  });

  it("an LMS without NRPS and column management: warns with the costs for assignment, one token request, no refusal", async () => {
    const lms = await fake("blackboard", { permittedScopes: [AGS_SCOPE.lineitemReadonly, AGS_SCOPE.score] });
    const before = tokenRequests(lms);
    const rows = await check(lms, { lineItemsUrl: lms.lineitemsUrl, membershipsUrl: lms.membershipsUrl });
    expect(statuses(rows)).toMatchObject({
      "lms-token": "pass",
      "lms-scopes": "warn",
      "lms-nrps": "warn",
      "lms-line-items": "pass",
    });
    const after = tokenRequests(lms).slice(before.length);
    expect(after.map((r) => r.status)).toEqual([200]);
    const scopes = rows.find((r) => r.check === "lms-scopes")!;
    expect(scopes.message).toMatch(/not granted \(optional\): lineitem \(none with grade-sync assignment/);
    expect(scopes.message).toMatch(/result\.readonly \(gg4l cannot read back/);
    expect(rows.find((r) => r.check === "lms-nrps")!.message).toMatch(/not granted: no-SSO sync/);
    expect(rows.find((r) => r.check === "lms-nrps")!.hint).toMatch(/membership service access/);
  });

  it("the same LMS fails for grade-sync course (lineitem needed) and for no-SSO (NRPS needed)", async () => {
    const lms = await fake("moodle", { permittedScopes: [AGS_SCOPE.lineitemReadonly, AGS_SCOPE.score] });
    const rows = await check(lms, { gradeSync: "course", noSso: true });
    expect(statuses(rows)).toMatchObject({ "lms-scopes": "fail", "lms-nrps": "fail" });
    const scopes = rows.find((r) => r.check === "lms-scopes")!;
    expect(scopes.message).toMatch(/^not granted, and needed: lineitem \(grade-sync course creates/);
    expect(scopes.hint).toMatch(/grade sync and column management/);
  });

  it("fails the JWKS check on an HTML page and the listing with the LMS's message", async () => {
    const lms = await fake("canvas");
    lms.addFaults({ route: "jwks", type: "html", status: 200 });
    const rows = await check(lms, { lineItemsUrl: lms.lineitemsUrlFor("no-such-course") });
    expect(rows[0]).toMatchObject({
      status: "fail",
      message: "the platform JWKS URL did not answer JSON: (an HTML page)",
    });
    expect(rows[4]).toMatchObject({
      status: "fail",
      lmsMessage: "Not found: no such course or tool registration at this URL",
    });
  });

  it("skips the AGS checks for Google Classroom", async () => {
    const lms = await fake("canvas");
    const { http } = fastRetries();
    const rows = await checkLmsRegistration(
      { ...registrationOf(lms), kind: "google-classroom" },
      lmsPool.key.key,
      { http, policy: scopePolicy({ kind: "google-classroom", gradeSync: "final", noSso: false }) },
    );
    expect(rows.slice(1).every((r) => r.status === "skip")).toBe(true);
  });
});
