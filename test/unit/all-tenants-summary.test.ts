/**
 * The pieces of `sync daily --all-tenants` that need no remote: the per-host budget of requests
 * in flight, and the exit code and totals that sum the tenants up.
 */
import { describe, expect, it } from "vitest";
import { type TenantOutcome, tenantsExitCode, totalsOf } from "../../src/core/sync/all-tenants.js";
import { HostBudget, hostOf } from "../../src/core/sync/host-budget.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("HostBudget", () => {
  it("holds each host to its budget, hands slots over first come first served, and keeps hosts apart", async () => {
    const budget = new HostBudget(2);
    const a = "http://127.0.0.1:4001/mod/lti/services.php/2/lineitems/7/lineitem/scores";
    const b = "http://127.0.0.1:4002/api/lti/courses/1/line_items/3/scores";
    const leaveA1 = await budget.enter(a);
    const leaveA2 = await budget.enter(`${a}?x=1`);
    const order: string[] = [];
    const third = budget.enter(a).then((leave) => {
      order.push("third");
      return leave;
    });
    const fourth = budget.enter(a).then((leave) => {
      order.push("fourth");
      return leave;
    });
    // Another host is not held up by the first one's full budget.
    const leaveB = await budget.enter(b);
    await tick();
    expect(order).toEqual([]);
    expect(budget.inFlight(a)).toBe(2);
    expect(budget.inFlight(b)).toBe(1);
    leaveA1();
    leaveA1(); // a second call gives back nothing more
    const leaveA3 = await third;
    await tick();
    expect(order).toEqual(["third"]);
    expect(budget.inFlight(a)).toBe(2);
    leaveA2();
    const leaveA4 = await fourth;
    expect(order).toEqual(["third", "fourth"]);
    expect(budget.inFlight(a)).toBe(2);
    for (const leave of [leaveA3, leaveA4, leaveB]) leave();
    expect(budget.inFlight(a)).toBe(0);
    expect(budget.inFlight(b)).toBe(0);
    expect(budget.peak).toBe(2);
  });

  it("many callers at once never have more than the budget in flight", async () => {
    const budget = new HostBudget(3);
    let active = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const leave = await budget.enter("https://moodle.example.edu/score");
        active += 1;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, i % 3));
        active -= 1;
        leave();
      }),
    );
    expect(most).toBe(3);
    expect(budget.inFlight("https://moodle.example.edu/other")).toBe(0);
  });

  it("a host is the origin: scheme, name and port", () => {
    expect(hostOf("https://canvas.example.edu/api/lti/courses/1")).toBe("https://canvas.example.edu");
    expect(hostOf("https://canvas.example.edu:8443/x")).toBe("https://canvas.example.edu:8443");
    expect(hostOf("http://canvas.example.edu/x")).not.toBe(hostOf("https://canvas.example.edu/x"));
    expect(() => new HostBudget(0)).toThrow(RangeError);
  });
});

const outcome = (tenant: string, status: TenantOutcome["status"], posted = 0): TenantOutcome => ({
  tenant,
  status,
  exitCode: 0,
  runId: null,
  run:
    posted > 0
      ? ({
          run: { counts: { planned: posted + 1, posted, stale: 0, failed: 1, notAttempted: 0 } },
        } as unknown as TenantOutcome["run"])
      : null,
  error: null,
  notes: [],
  durationMs: 1,
});

describe("the exit code of all tenants", () => {
  const cases: Array<[string, TenantOutcome["status"][], boolean, number]> = [
    ["all ok", ["ok", "ok"], false, 0],
    ["no tenant at all", [], false, 0],
    ["one partial", ["ok", "partial"], false, 5],
    ["one failed", ["failed", "ok"], false, 5],
    ["skipped and none failed", ["ok", "skipped"], false, 6],
    ["skipped and one failed: the failure wins", ["skipped", "failed"], false, 5],
    ["interrupted: 130 whatever else", ["interrupted", "failed", "skipped"], false, 130],
    ["Ctrl-C before any tenant ran", ["not-started"], true, 130],
  ];
  for (const [name, statuses, aborted, code] of cases) {
    it(`${name} → ${code}`, () => {
      const controller = new AbortController();
      if (aborted) controller.abort();
      const outcomes = statuses.map((s, i) => outcome(`t${i}`, s));
      expect(tenantsExitCode(outcomes, controller.signal)).toBe(code);
    });
  }

  it("totals count tenants by status and add up their runs' scores", () => {
    const totals = totalsOf([
      outcome("a", "ok", 10),
      outcome("b", "partial", 5),
      outcome("c", "skipped"),
      outcome("d", "not-started"),
    ]);
    expect(totals).toEqual({
      tenants: 4,
      ok: 1,
      partial: 1,
      failed: 0,
      skipped: 1,
      interrupted: 0,
      notStarted: 1,
      planned: 17,
      posted: 15,
      stale: 0,
      postsFailed: 2,
      notAttempted: 0,
    });
  });
});
