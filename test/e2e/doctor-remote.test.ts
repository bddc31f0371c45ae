/** gg4l doctor's server checks: a Coursera token, the LMS's JWKS/token/scopes, the clocks, and no network at all. */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ALL_AGS_SCOPES } from "../../src/clients/lti/constants.js";
import { sandboxState } from "../helpers/gg4l.js";
import { syncWorld, type World } from "../helpers/sync-world.js";
import { deadUrl, readDoctor, type SkewedServer, startSkewedServer } from "./doctor-helpers.js";

let world: World | undefined;
let box: ReturnType<typeof sandboxState> | undefined;
const servers: SkewedServer[] = [];
afterEach(async () => {
  await world?.close();
  world = undefined;
  box?.cleanup();
  box = undefined;
  for (const s of servers.splice(0)) await s.close();
});

/** A state whose tenant talks to `courseraUrl` and whose moodle registration to `lmsUrl` for everything. */
async function pointedAt(courseraUrl: string, lmsUrl: string): Promise<ReturnType<typeof sandboxState>> {
  box = sandboxState();
  const b = box;
  expect((await b.gg4l(["init"])).code).toBe(0);
  const add = await b.gg4l(
    [
      "tenant",
      "add",
      "uni",
      "--name",
      "Uni",
      "--coursera-org",
      "o",
      "--coursera-url",
      courseraUrl,
      "--coursera-client-id",
      "c",
      "--coursera-secret-stdin",
    ],
    { input: "secret-1234" },
  );
  expect(add.code, add.stderr).toBe(0);
  const reg = await b.gg4l([
    "lms",
    "register",
    "--kind",
    "moodle",
    "--issuer",
    lmsUrl,
    "--client-id",
    "c",
    "--deployment-id",
    "1",
    "--auth-url",
    `${lmsUrl}/auth`,
    "--token-url",
    `${lmsUrl}/token`,
    "--jwks-url",
    `${lmsUrl}/jwks`,
    "--grade-sync",
    "assignment",
  ]);
  expect(reg.code, reg.stderr).toBe(0);
  return b;
}

describe("gg4l doctor: Coursera token and LMS services", () => {
  it("a wrong Coursera secret fails coursera-token and missing AGS scopes fail lms-scopes; every other check still runs", async () => {
    world = await syncWorld({ kind: "canvas", gradeSync: "assignment" });
    const w = world;
    const key = JSON.parse(readFileSync(`${w.box.dir}/state.key.json`, "utf8")) as {
      publicJwk: Record<string, string>;
    };
    w.lms.updateRegistration({ toolPublicJwk: key.publicJwk, permittedScopes: ALL_AGS_SCOPES.slice(0, 1) });
    const d = readDoctor(
      await w.gg4l(["doctor", "--json"], { GG4L_COURSERA_CLIENT_SECRET: "not-the-secret" }),
    );
    expect(d.code).toBe(1);
    expect(d.row("coursera-credentials").status).toBe("pass");
    expect(d.row("coursera-token")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/HTTP 401/),
    });
    expect(d.row("lms-jwks").status).toBe("pass");
    expect(d.row("lms-token").status).toBe("pass");
    expect(d.row("lms-scopes")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/^not granted, and needed: score \(posting scores/),
    });
    expect(d.row("lms-scopes").fix).toMatch(/Assignment and Grade Services/);
    expect(d.row("clock-lms").status).toBe("pass");
    expect(d.row("database").status).toBe("pass");
    expect(d.stderr).toMatch(/failed: coursera-token, lms-scopes/);
  });

  it("no network: coursera-token and the LMS rows fail with what could not be reached, the clocks say they were not measured", async () => {
    const b = await pointedAt(await deadUrl(), await deadUrl());
    const d = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(d.code).toBe(1);
    expect(d.row("coursera-token")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/),
    });
    expect(d.row("lms-jwks")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/cannot reach/),
    });
    expect(d.row("lms-token").status).toBe("fail");
    expect(d.row("clock-coursera")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(/^not measured: cannot reach/),
    });
    expect(d.row("clock-lms")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(/^not measured: cannot reach/),
    });
    expect(d.row("daily-sync").status).toBe("warn");
  });
});

describe("gg4l doctor: clock skew", () => {
  it("passes within 60 s, warns above 60 s and fails above 5 minutes, for Coursera and the LMS each", async () => {
    const coursera = await startSkewedServer(0);
    const lms = await startSkewedServer(0);
    servers.push(coursera, lms);
    const b = await pointedAt(coursera.url, lms.url);

    const inSync = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(inSync.row("clock-coursera")).toMatchObject({
      status: "pass",
      message: expect.stringMatching(/^Coursera's clock is within \d+ s of this machine's/),
    });
    expect(inSync.row("clock-lms").status).toBe("pass");

    coursera.offsetMs = 90_000;
    lms.offsetMs = -7 * 60_000;
    const skewed = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(skewed.row("clock-coursera")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(/^Coursera's clock is \d+ s ahead of this machine's: more than 60 s/),
    });
    expect(skewed.row("clock-lms")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/^the LMS's clock is 7 min behind this machine's: more than 5 min/),
    });
    expect(skewed.row("clock-lms").fix).toMatch(/NTP/);
    expect(skewed.stderr).toMatch(/failed: .*clock-lms/);

    coursera.offsetMs = -10 * 60_000;
    const behind = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(behind.row("clock-coursera")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/10 min behind/),
    });
  });
});
