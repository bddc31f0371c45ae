/** The checks behind `gg4l lms check`: a pass/fail row per check, with the LMS's own message. */
import { beforeAll, describe, expect, it } from "vitest";
import type { FakeLms, StartFakeLmsOptions } from "../../fixtures/fake-lms/server.js";
import type { FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import type { ToolKey } from "../../src/base/keys.js";
import { checkLmsRegistration, type LmsCheckOptions } from "../../src/clients/lti/check.js";
import { AGS_SCOPE } from "../../src/clients/lti/constants.js";
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

function check(lms: FakeLms, options: LmsCheckOptions & { key?: ToolKey } = {}) {
  const { http, sleep, retry } = fastRetries();
  return checkLmsRegistration(registrationOf(lms), options.key ?? lmsPool.key.key, {
    http,
    sleep,
    retry,
    ...options,
  });
}

const statuses = (rows: Array<{ check: string; status: string }>) =>
  Object.fromEntries(rows.map((r) => [r.check, r.status]));

describe("checkLmsRegistration", () => {
  it("passes every check against a well-configured LMS", async () => {
    const lms = await fake("canvas");
    lms.addLineItem({ contextId: lms.contextId, label: "Existing", scoreMaximum: 1 });
    const rows = await check(lms, { lineItemsUrl: lms.lineitemsUrl });
    expect(rows.map((r) => r.check)).toEqual([
      "platform-jwks",
      "service-token",
      "ags-scopes",
      "nrps-scope",
      "line-items",
    ]);
    expect(rows.every((r) => r.status === "pass")).toBe(true);
    expect(rows[0]!.message).toMatch(/^1 signing key\(s\): platform-/);
    expect(rows[4]!.message).toBe("1 line item(s) in the course");
  });

  it("skips the listing when no launch has taught it a line-items URL", async () => {
    const rows = await check(await fake("moodle"));
    expect(statuses(rows)["line-items"]).toBe("skip");
  });

  it("fails the token with the LMS's words when the LMS holds another key", async () => {
    const lms = await fake("d2l");
    const rows = await check(lms, { key: otherKey.key, lineItemsUrl: lms.lineitemsUrl });
    expect(statuses(rows)).toEqual({
      "platform-jwks": "pass",
      "service-token": "fail",
      "ags-scopes": "skip",
      "nrps-scope": "warn",
      "line-items": "skip",
    });
    const token = rows.find((r) => r.check === "service-token")!;
    expect(token.lmsMessage).toBe("no registered tool key matches the assertion's kid");
    expect(token.hint).toMatch(/tool's current JWKS/);
  });

  it("names the AGS scopes the LMS withholds and warns when NRPS is off", async () => {
    const lms = await fake("blackboard", { permittedScopes: [AGS_SCOPE.lineitemReadonly, AGS_SCOPE.score] });
    const rows = await check(lms, { lineItemsUrl: lms.lineitemsUrl });
    expect(statuses(rows)).toMatchObject({
      "ags-scopes": "fail",
      "nrps-scope": "warn",
      "line-items": "pass",
    });
    expect(rows.find((r) => r.check === "ags-scopes")!.message).toBe(
      `not granted: ${AGS_SCOPE.lineitem} ${AGS_SCOPE.resultReadonly}`,
    );
    expect(rows.find((r) => r.check === "nrps-scope")!.lmsMessage).toBe(
      "none of the requested scopes is permitted for this tool",
    );
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
      { http },
    );
    expect(rows.slice(1).every((r) => r.status === "skip")).toBe(true);
  });
});
