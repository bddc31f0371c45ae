/**
 * `gg4l sync daily --all-tenants` through the built CLI, against real fakes over loopback: the
 * JSON shape (each tenant's run exactly as `sync daily --json` prints it), a piped run, a held
 * lease, one tenant's LMS down, Ctrl-C, the live table on a terminal, and tenants sharing one
 * LMS host never having more requests in flight there than one tenant may.
 */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { binPath, parseJson, runGg4l, sandboxState } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal } from "../helpers/pty.js";
import { type TenantsWorld, tenantsWorld } from "../helpers/tenants-world.js";

let world: TenantsWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Counts {
  planned: number;
  posted: number;
  failed: number;
  notAttempted: number;
}
interface Daily {
  tenant: string;
  dryRun: boolean;
  plan: { posts: { total: number } };
  run: {
    runId: number;
    status: string;
    counts: Counts;
    cause: { kind: string; message: string } | null;
  } | null;
}
interface Outcome {
  tenant: string;
  status: string;
  exitCode: number;
  runId: number | null;
  run: Daily | null;
  error: { message: string; hint: string | null; exitCode: number } | null;
}
interface Result {
  dryRun: boolean;
  parallel: number;
  exitCode: number;
  tenants: Outcome[];
  totals: Record<string, number>;
}
interface RunRow {
  id: number;
  status: string;
  command: string;
}

/** The keys of an object and of its nested objects, as paths: the shape, not the values. */
function shape(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    ["durationMs", "failures", "skipped"].includes(k) ? [`${prefix}.${k}`] : shape(v, `${prefix}.${k}`),
  );
}

const runsOf = async (w: TenantsWorld, slug: string) =>
  parseJson<RunRow[]>(await w.ok(["--tenant", slug, "sync", "runs", "--json"]));

function startCli(w: TenantsWorld, args: string[]) {
  const child = spawn(process.execPath, [binPath, ...args], {
    env: { ...process.env, GG4L_DB: w.box.db, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe("sync daily --all-tenants", () => {
  it("runs every registered tenant: --json holds each tenant's `sync daily --json` object and the totals; tenants on one LMS host never exceed one tenant's in-flight limit", async () => {
    world = await tenantsWorld({
      tenants: { "uni-a": "shared", "uni-b": "shared", "uni-c": "shared", "uni-d": "own", "no-lms": null },
      learners: 30,
      lms: { latencyMs: 20 },
    });
    const w = world;
    const r = await w.gg4l(["sync", "daily", "--all-tenants", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const result = parseJson<Result>(r);
    expect(Object.keys(result)).toEqual(["dryRun", "parallel", "tenants", "totals", "exitCode"]);
    expect(result).toMatchObject({ dryRun: false, parallel: 8, exitCode: 0 });
    // The tenant without an LMS registration is not a tenant of the daily job.
    expect(result.tenants.map((t) => t.tenant)).toEqual(["uni-a", "uni-b", "uni-c", "uni-d"]);
    for (const t of result.tenants) {
      expect(t).toMatchObject({ status: "ok", exitCode: 0, error: null, runId: t.run!.run!.runId });
      expect(t.run!.tenant).toBe(t.tenant);
      expect(t.run!.run!.counts.planned).toBeGreaterThan(100);
      // Every score the run planned is in that tenant's gradebook at its LMS.
      expect(w.delivered(t.tenant)).toBe(t.run!.run!.counts.planned);
      expect(t.run!.run!.counts.posted).toBe(t.run!.run!.counts.planned);
    }
    const planned = result.tenants.reduce((n, t) => n + t.run!.run!.counts.planned, 0);
    expect(result.totals).toMatchObject({
      tenants: 4,
      ok: 4,
      partial: 0,
      failed: 0,
      skipped: 0,
      interrupted: 0,
      notStarted: 0,
      planned,
      posted: planned,
      postsFailed: 0,
      notAttempted: 0,
    });
    // Three tenants on one host, each allowed 16 at once: together still never more than 16 there.
    const shared = w.hosts.get("shared")!.maxInFlight();
    expect(shared).toBeGreaterThan(1);
    expect(shared).toBeLessThanOrEqual(16);

    // The run object is exactly what `sync daily --json` prints for one tenant.
    const single = parseJson<Daily>(await w.ok(["--tenant", "uni-a", "sync", "daily", "--json"]));
    expect(shape(result.tenants[0]!.run)).toEqual(shape(single));
    const runs = await runsOf(w, "uni-b");
    expect(runs.map((x) => [x.command, x.status])).toEqual([["sync daily", "ok"]]);
    expect(runs[0]!.id).toBe(result.tenants[1]!.runId);

    // Piped, without --json: a line per tenant as it finishes and a summary on stderr, the table on stdout.
    const piped = await w.gg4l(["sync", "daily", "--all-tenants", "--parallel", "2"]);
    expect(piped.code, piped.stderr).toBe(0);
    for (const slug of ["uni-a", "uni-b", "uni-c", "uni-d"])
      expect(piped.stderr).toMatch(
        new RegExp(`^✓ ${slug} ok in [\\d.]+ s: run \\d+ 0 of 0 score\\(s\\) posted$`, "m"),
      );
    expect(piped.stderr).toMatch(
      /^4 tenant\(s\) in [\d.]+ s, 2 at once: 4 ok, 0 partial, 0 failed, 0 skipped · 0 of 0 score\(s\) posted$/m,
    );
    expect(piped.stderr).not.toMatch(/\u001b/);
    const rows = piped.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("\t"));
    expect(rows.map((row) => row.slice(0, 2))).toEqual([
      ["uni-a", "ok"],
      ["uni-b", "ok"],
      ["uni-c", "ok"],
      ["uni-d", "ok"],
    ]);
  }, 240_000);

  it("a tenant whose lease is held is skipped, not waited for, and named; the others finish; exit 6", async () => {
    world = await tenantsWorld({ tenants: { "uni-a": "one", "uni-b": "two" } });
    const w = world;
    w.holdLease("uni-b");
    const r = await w.gg4l(["sync", "daily", "--all-tenants", "--json"]);
    expect(r.code).toBe(6);
    const result = parseJson<Result>(r);
    expect(result.exitCode).toBe(6);
    const [a, b] = result.tenants;
    expect(a).toMatchObject({ tenant: "uni-a", status: "ok" });
    expect(w.delivered("uni-a")).toBe(a!.run!.run!.counts.planned);
    expect(b).toMatchObject({ tenant: "uni-b", status: "skipped", exitCode: 6, run: null, runId: null });
    expect(b!.error!.message).toMatch(
      /a sync for tenant "uni-b" is already running: held by night-ops on .* \(pid \d+\)/,
    );
    expect(result.totals).toMatchObject({ ok: 1, skipped: 1 });
    const error = JSON.parse(r.stderr.trim().split("\n").pop()!) as {
      error: { message: string; exitCode: number };
    };
    expect(error.error.exitCode).toBe(6);
    expect(error.error.message).toMatch(
      /^1 tenant\(s\) skipped, their lease held by another sync: uni-b \(skipped: a sync for tenant "uni-b" is already running/,
    );
    // Nothing of uni-b was run or posted; its holder still holds the lease.
    expect(await runsOf(w, "uni-b")).toEqual([]);
    expect(w.delivered("uni-b")).toBe(0);
    const again = await w.gg4l(["sync", "daily", "--all-tenants"]);
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(
      /^! uni-b skipped in [\d.]+ s: a sync for tenant "uni-b" is already running/m,
    );
    expect(again.stderr).toMatch(/^error: 1 tenant\(s\) skipped, their lease held by another sync: uni-b/m);
  }, 120_000);

  it("one tenant's LMS down: that tenant fails on record and is named, the others finish; exit 5", async () => {
    world = await tenantsWorld({ tenants: { "uni-a": "one", "uni-b": "down", "uni-c": "three" } });
    const w = world;
    w.hosts.get("down")!.addFaults({ route: "any", type: "reset", times: 1_000_000 });
    const r = await w.gg4l(["sync", "daily", "--all-tenants", "--json"]);
    expect(r.code).toBe(5);
    const result = parseJson<Result>(r);
    const status = Object.fromEntries(result.tenants.map((t) => [t.tenant, t.status]));
    expect(status).toEqual({ "uni-a": "ok", "uni-b": "failed", "uni-c": "ok" });
    for (const slug of ["uni-a", "uni-c"]) {
      const t = result.tenants.find((x) => x.tenant === slug)!;
      expect(w.delivered(slug)).toBe(t.run!.run!.counts.planned);
    }
    const b = result.tenants.find((t) => t.tenant === "uni-b")!;
    expect(b.exitCode).toBe(5);
    expect(b.runId).toEqual(expect.any(Number));
    const why = b.run?.run?.cause?.message ?? b.error?.message;
    expect(why).toMatch(/127\.0\.0\.1:\d+/);
    const [row] = await runsOf(w, "uni-b");
    expect(row).toMatchObject({ id: b.runId, status: "failed" });
    const error = JSON.parse(r.stderr.trim().split("\n").pop()!) as {
      error: { message: string; exitCode: number };
    };
    expect(error.error).toMatchObject({ exitCode: 5 });
    expect(error.error.message).toMatch(/^1 tenant\(s\) partly failed or failed: uni-b \(failed: /);
    expect(error.error.message).not.toMatch(/uni-a|uni-c/);
  }, 180_000);

  it("Ctrl-C: exit 130, the running tenant's run recorded interrupted, the waiting one not started", async () => {
    world = await tenantsWorld({ tenants: { "uni-a": "one", "uni-b": "two" }, learners: 30 });
    const w = world;
    const one = w.hosts.get("one")!;
    one.addFaults({ route: "scores", type: "slow", delayMs: 100, times: 1_000_000 });
    const cli = startCli(w, ["sync", "daily", "--all-tenants", "--parallel", "1", "--json"]);
    const end = Date.now() + 60_000;
    while (one.posts().length < 5 && Date.now() < end)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(one.posts().length).toBeGreaterThanOrEqual(5);
    cli.child.kill("SIGINT");
    expect(await cli.exited).toBe(130);
    const result = JSON.parse(cli.stdout()) as Result;
    expect(result.exitCode).toBe(130);
    const [a, b] = result.tenants;
    expect(a).toMatchObject({ tenant: "uni-a", status: "interrupted", exitCode: 130 });
    expect(a!.run!.run!.counts.notAttempted).toBeGreaterThan(0);
    expect(b).toMatchObject({ tenant: "uni-b", status: "not-started", run: null });
    expect(result.totals).toMatchObject({ interrupted: 1, notStarted: 1 });
    const [row] = await runsOf(w, "uni-a");
    expect(row).toMatchObject({ id: a!.runId, status: "interrupted" });
    expect(await runsOf(w, "uni-b")).toEqual([]);
    expect(cli.stderr()).toMatch(
      /interrupted: 1 tenant run\(s\) recorded interrupted \(uni-a\), 1 not started \(uni-b\)/,
    );
  }, 120_000);

  it("on a terminal: a live table of the tenants at work redrawn in place, each finished tenant's line above it", async () => {
    world = await tenantsWorld({ tenants: { "uni-a": "one", "uni-b": "two" }, learners: 30 });
    const w = world;
    for (const lms of w.hosts.values())
      lms.addFaults({ route: "scores", type: "slow", delayMs: 30, times: 1_000_000 });
    const t = await runOnTerminal(["sync", "daily", "--all-tenants"], { env: { GG4L_DB: w.box.db } });
    expect(t.code, t.screen).toBe(0);
    const lines = plainLines(t.screen);
    expect(lines.some((l) => /^TENANT\s+PHASE\s+PROGRESS\s+POSTED\s+FAILED$/.test(l))).toBe(true);
    expect(lines.some((l) => /^uni-[ab]\s+posts\s+\d+\/\d+\s+\d+\s+0$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\d of 2 tenant\(s\) done, \d running, \d waiting · [\d.]+ s$/.test(l))).toBe(
      true,
    );
    // Redrawn in place: the cursor goes back up over the table.
    expect(t.screen).toMatch(/\u001b\[\d+A\r\u001b\[J/);
    expect(lines.some((l) => /^✓ uni-a ok in [\d.]+ s: run \d+ \d+ of \d+ score\(s\) posted$/.test(l))).toBe(
      true,
    );
    expect(lines.some((l) => /^✓ uni-b ok in/.test(l))).toBe(true);
    expect(lines.some((l) => /^2 tenant\(s\) in [\d.]+ s, 8 at once: 2 ok/.test(l))).toBe(true);
  }, 120_000);

  it("flags: --parallel needs --all-tenants, --tenant does not go with it, --parallel takes 1 to 64 (exit 2)", async () => {
    const box = sandboxState();
    try {
      const cases: Array<[string[], RegExp]> = [
        [["sync", "daily", "--parallel", "4"], /--parallel goes with --all-tenants/],
        [["--tenant", "uni-a", "sync", "daily", "--all-tenants"], /--tenant names one/],
        [
          ["sync", "daily", "--all-tenants", "--parallel", "0"],
          /--parallel takes a whole number from 1 to 64, not "0"/,
        ],
        [["sync", "daily", "--all-tenants", "--parallel", "many"], /not "many"/],
      ];
      for (const [args, message] of cases) {
        const r = await runGg4l(args, { env: { GG4L_DB: box.db } });
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(message);
      }
    } finally {
      box.cleanup();
    }
  }, 60_000);
});
