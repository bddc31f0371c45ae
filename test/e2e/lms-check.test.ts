import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { lmsRegisterArgs } from "../../fixtures/fake-lms/registration.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { generateToolKeyFile } from "../../src/base/keys.js";
import { AGS_SCOPE } from "../../src/clients/lti/constants.js";
import { parseJson, sandboxState } from "../helpers/gg4l.js";

let box: ReturnType<typeof sandboxState> | undefined;
let lms: FakeLms | undefined;
afterEach(async () => {
  box?.cleanup();
  await lms?.close();
});

async function registered(kind: "moodle" | "canvas" | "d2l", toolKey: "ours" | "another") {
  box = sandboxState();
  expect((await box.gg4l(["init"])).code).toBe(0);
  const ours = JSON.parse(readFileSync(`${box.dir}/state.key.json`, "utf8")).publicJwk;
  const publicJwk = toolKey === "ours" ? ours : (await generateToolKeyFile(new Date())).publicJwk;
  lms = await startFakeLms({ kind, toolPublicJwk: publicJwk });
  expect((await box.gg4l(["tenant", "add", "uni", "--name", "Uni", "--coursera-org", "o"])).code).toBe(0);
  const reg = await box.gg4l(lmsRegisterArgs(lms, "assignment"));
  expect(reg.code).toBe(0);
  return { box, lms };
}

describe("gg4l lms check", () => {
  for (const kind of ["moodle", "canvas", "d2l"] as const) {
    it(`${kind}: JWKS, token with the AGS scopes and a context's line items all pass`, async () => {
      const { box: b, lms: l } = await registered(kind, "ours");
      const result = await b.gg4l([
        "lms",
        "check",
        "--context-url",
        l.lineitemsUrl,
        "--memberships-url",
        l.membershipsUrl,
        "--json",
      ]);
      expect(result.code).toBe(0);
      const body = parseJson<{ ok: boolean; checks: Array<{ check: string; status: string }> }>(result);
      expect(body.ok).toBe(true);
      expect(body.checks.map((c) => [c.check, c.status])).toEqual([
        ["lms-jwks", "pass"],
        ["lms-token", "pass"],
        ["lms-scopes", "pass"],
        ["lms-nrps", "pass"],
        ["lms-line-items", "pass"],
      ]);
    });
  }

  it("an LMS holding another tool key refuses the token: a failed row with the LMS's words, exit 4", async () => {
    const { box: b } = await registered("canvas", "another");
    const result = await b.gg4l(["lms", "check"]);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/lms-token\s+fail/);
    expect(result.stderr).toMatch(/failed: lms-token/);
    expect(result.stdout + result.stderr).toMatch(/gg4l lms show/);
  });

  it("an LMS that withholds optional scopes: warn rows that say what it costs, exit 0 (not 4)", async () => {
    const { box: b, lms: l } = await registered("moodle", "ours");
    l.updateRegistration({ permittedScopes: [AGS_SCOPE.score, AGS_SCOPE.lineitemReadonly] });
    const result = await b.gg4l(["lms", "check", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const body = parseJson<{
      ok: boolean;
      checks: Array<{ check: string; status: string; message: string }>;
    }>(result);
    expect(body.ok).toBe(true);
    const row = (name: string) => body.checks.find((c) => c.check === name)!;
    expect(row("lms-scopes")).toMatchObject({ status: "warn" });
    expect(row("lms-scopes").message).toMatch(/result\.readonly \(gg4l cannot read back/);
    expect(row("lms-nrps")).toMatchObject({ status: "warn", message: expect.stringMatching(/no-SSO sync/) });
    // no-SSO on makes NRPS required: the same LMS now fails the check.
    expect((await b.gg4l(["settings", "set", "no-sso", "on"])).code).toBe(0);
    const strict = await b.gg4l(["lms", "check"]);
    expect(strict.code).toBe(4);
    expect(strict.stdout).toMatch(/lms-nrps\s+fail/);
  });

  it("a bad --context-url is a usage error", async () => {
    const { box: b } = await registered("moodle", "ours");
    expect((await b.gg4l(["lms", "check", "--context-url", "not a url"])).code).toBe(2);
  });
});
