/**
 * On-call's view of every tenant (issue 23): `gg4l sync runs --all-tenants` and `gg4l doctor
 * --all-tenants`, with three tenants in one state, each its own fake LMS over loopback, one of
 * which goes down.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { tenantAddArgs } from "../../fixtures/fake-coursera/tenant.js";
import { lmsRegisterArgs } from "../../fixtures/fake-lms/registration.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { parseJson, sandboxState } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal } from "../helpers/pty.js";
import { syncWorld, type World } from "../helpers/sync-world.js";
import { CHECK_NAMES, type DoctorRow } from "./doctor-helpers.js";

let world: World | undefined;
const extra: FakeLms[] = [];
afterEach(async () => {
  await Promise.all(extra.splice(0).map((lms) => lms.close()));
  await world?.close();
  world = undefined;
});

interface TenantRun {
  tenant: string;
  id: number;
  command: string;
  status: string;
  counts: Record<string, number>;
}
interface AllDoctor {
  tenants: Array<{ tenant: string; checks: DoctorRow[]; ok: boolean }>;
  totals: { tenants: number; passed: number; warned: number; failed: number };
  ok: boolean;
}

/**
 * "uni" (the sync world's Moodle, healthy, one daily run and one `sync grades` run), "beta"
 * (a Canvas with one daily run) and "gamma" (a Blackboard, no daily run yet); `gamma` is its LMS.
 */
async function threeTenants() {
  world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
  const w = world;
  const course = w.courses.find((c) => c.items.length > 0)!;
  const target = { courseId: course.id, itemId: course.items[0]!.id };
  const link = w.publish(target);
  for (const member of w.members) w.launch(member, link, target);
  const key = JSON.parse(readFileSync(`${w.box.dir}/state.key.json`, "utf8")) as {
    publicJwk: Record<string, string>;
  };
  const lmsOf: Record<string, FakeLms> = {};
  for (const [slug, kind] of [
    ["beta", "canvas"],
    ["gamma", "blackboard"],
  ] as const) {
    const lms = await startFakeLms({ kind, toolPublicJwk: key.publicJwk });
    extra.push(lms);
    lmsOf[slug] = lms;
    const added = await w.box.gg4l(tenantAddArgs(w.coursera, slug, slug.toUpperCase()), {
      input: w.coursera.clientSecret,
    });
    expect(added.code, added.stderr).toBe(0);
    await w.ok(["--tenant", slug, ...lmsRegisterArgs(lms, "assignment")]);
  }
  await w.ok(["--tenant", "uni", "sync", "daily"]);
  await w.ok(["--tenant", "uni", "sync", "grades"]);
  await w.ok(["--tenant", "beta", "sync", "daily"]);
  return { w, gamma: lmsOf.gamma! };
}

describe("gg4l sync runs --all-tenants", () => {
  it("shows each tenant's last daily run by default, every run with --limit, tenant on each; refuses --tenant with it", async () => {
    const { w } = await threeTenants();
    const last = parseJson<TenantRun[]>(await w.ok(["sync", "runs", "--all-tenants", "--json"]));
    expect(last.map((r) => [r.tenant, r.command, r.status])).toEqual([
      ["beta", "sync daily", "ok"],
      ["uni", "sync daily", "ok"],
    ]);
    const limited = parseJson<TenantRun[]>(
      await w.ok(["sync", "runs", "--all-tenants", "--limit", "5", "--json"]),
    );
    expect(limited.map((r) => [r.tenant, r.command])).toEqual([
      ["beta", "sync daily"],
      ["uni", "sync grades"],
      ["uni", "sync daily"],
    ]);
    expect(
      parseJson<TenantRun[]>(await w.ok(["sync", "runs", "--all-tenants", "--limit", "1", "--json"])).map(
        (r) => r.command,
      ),
    ).toEqual(["sync daily", "sync grades"]);

    const piped = await w.ok(["sync", "runs", "--all-tenants"]);
    const rows = piped.stdout.trim().split("\n");
    expect(rows.map((r) => r.split("\t").slice(0, 3))).toEqual([
      ["beta", String(last[0]!.id), "sync daily"],
      ["uni", String(last[1]!.id), "sync daily"],
    ]);
    expect(piped.stderr).toMatch(/No sync daily run yet for: gamma/);

    // The single-tenant table is as it was: no TENANT column.
    const one = await w.ok(["--tenant", "uni", "sync", "runs"]);
    expect(one.stdout.split("\n")[0]!.split("\t")[0]).toBe(String(limited[1]!.id));

    const both = await w.gg4l(["--tenant", "uni", "sync", "runs", "--all-tenants"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--all-tenants and --tenant go separately/);
    expect((await w.gg4l(["sync", "runs", "--all-tenants", "--limit", "0"])).code).toBe(2);
  }, 180_000);
});

describe("gg4l doctor --all-tenants", () => {
  it("checks every tenant in slug order; one row per tenant per check that is not a pass; exit 1 once one fails", async () => {
    const { w, gamma } = await threeTenants();
    const healthy = await w.gg4l(["doctor", "--all-tenants", "--json"]);
    const before = parseJson<AllDoctor>(healthy);
    expect(before.tenants.map((t) => t.tenant)).toEqual(["beta", "gamma", "uni"]);
    for (const t of before.tenants) expect(t.checks.map((c) => c.check)).toEqual(CHECK_NAMES);
    // gamma never ran a daily sync: a warning, not a failure — exit 0 as doctor's own rules say.
    expect(
      before.tenants.find((t) => t.tenant === "gamma")!.checks.find((c) => c.check === "daily-sync"),
    ).toMatchObject({ status: "warn" });
    expect(before.ok).toBe(before.tenants.every((t) => t.ok));
    expect(healthy.code, healthy.stderr).toBe(before.ok ? 0 : 1);
    expect(before.ok).toBe(true);

    extra.splice(extra.indexOf(gamma), 1);
    await gamma.close();
    const down = await w.gg4l(["doctor", "--all-tenants", "--json"]);
    expect(down.code).toBe(1);
    const after = parseJson<AllDoctor>(down);
    expect(Object.keys(after).sort()).toEqual(["ok", "tenants", "totals"]);
    expect(after.ok).toBe(false);
    expect(after.tenants.map((t) => [t.tenant, t.ok])).toEqual([
      ["beta", true],
      ["gamma", false],
      ["uni", true],
    ]);
    const all = after.tenants.flatMap((t) => t.checks);
    expect(after.totals).toEqual({
      tenants: 3,
      passed: all.filter((c) => c.status === "pass").length,
      warned: all.filter((c) => c.status === "warn").length,
      failed: all.filter((c) => c.status === "fail").length,
    });
    expect(after.totals.passed + after.totals.warned + after.totals.failed).toBe(3 * CHECK_NAMES.length);
    const gammaFails = after.tenants[1]!.checks.filter((c) => c.status === "fail").map((c) => c.check);
    expect(gammaFails).toContain("lms-jwks");

    const piped = await w.gg4l(["doctor", "--all-tenants"]);
    expect(piped.code).toBe(1);
    const rows = piped.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("\t"));
    const notPass = after.tenants.flatMap((t) =>
      t.checks.filter((c) => c.status !== "pass").map((c) => [t.tenant, c.check, c.status]),
    );
    expect(rows.map((r) => r.slice(0, 3))).toEqual(notPass);
    expect(piped.stderr).toContain(
      `3 tenant(s): ${after.totals.passed} passed, ${after.totals.warned} warning(s), ${after.totals.failed} failed`,
    );
    expect(piped.stderr).toMatch(/doctor checks failed for 1 tenant\(s\): gamma/);
    expect((await w.gg4l(["doctor", "--all-tenants", "--tenant", "uni"])).code).toBe(2);

    // As a person sees it: a header, aligned rows, no rule between rows, the totals.
    const t = await runOnTerminal(["doctor", "--all-tenants"], { env: { GG4L_DB: w.box.db }, columns: 140 });
    expect(t.code).toBe(1);
    const lines = plainLines(t.screen);
    const header = lines.findIndex((l) => /^TENANT\s+CHECK\s+STATUS\s+MESSAGE\s+FIX$/.test(l));
    expect(header, t.screen).toBeGreaterThanOrEqual(0);
    const body = lines.slice(header + 1).filter((l) => /^(beta|gamma|uni)\s/.test(l));
    expect(body.map((l) => l.split(/\s+/).slice(0, 3))).toEqual(notPass);
    for (const l of lines) expect(l).not.toMatch(/^[\s─━-]{10,}$/);
    expect(t.screen).toMatch(/3 tenant\(s\): \d+ passed/);
  }, 180_000);

  it("with no tenant yet: doctor's own rows under no tenant, 0 tenants in the totals, exit 1; sync runs lists none", async () => {
    const box = sandboxState();
    try {
      expect((await box.gg4l(["init"])).code).toBe(0);
      const r = await box.gg4l(["doctor", "--all-tenants", "--json"]);
      expect(r.code).toBe(1);
      const body = parseJson<AllDoctor>(r);
      expect(body.tenants.map((t) => t.tenant)).toEqual([null]);
      expect(body.tenants[0]!.checks.map((c) => c.check)).toEqual(CHECK_NAMES);
      expect(body.totals.tenants).toBe(0);
      expect(r.stderr).toMatch(/doctor checks failed: no tenant could be checked/);
      const runs = await box.gg4l(["sync", "runs", "--all-tenants", "--json"]);
      expect(runs.code).toBe(0);
      expect(parseJson<unknown[]>(runs)).toEqual([]);
    } finally {
      box.cleanup();
    }
  }, 60_000);
});
