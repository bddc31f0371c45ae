/** The phase events a caller other than the CLI follows (several tenants at once, say). */
import { describe, expect, it } from "vitest";
import type { Context } from "../../src/core/context.js";
import { type PhaseEvent, Phases } from "../../src/core/sync/phases.js";

const silentLogger = { debug() {}, info() {}, warn() {} };

describe("Phases", () => {
  it("each event names the tenant and carries a snapshot of that phase's own figures", async () => {
    const events: PhaseEvent[] = [];
    let clock = 1000;
    const phases = new Phases(
      "uni-x",
      (e) => events.push(e),
      () => clock,
    );
    const posts = phases.start("posts", { total: 3, posted: 0, stale: 0, failed: 0 });
    posts.posted += 1;
    phases.progress("posts", { concurrency: 4 });
    posts.failed += 1;
    posts.stale += 1;
    clock = 2000;
    phases.done("posts");
    await phases.run("fold", { folded: 0 }, (f) => {
      f.folded = 2;
    });
    expect(events.map((e) => [e.tenant, e.phase, e.state])).toEqual([
      ["uni-x", "posts", "start"],
      ["uni-x", "posts", "progress"],
      ["uni-x", "posts", "done"],
      ["uni-x", "fold", "start"],
      ["uni-x", "fold", "done"],
    ]);
    // Snapshots: the first event still says what was true then.
    expect(events[0]!.figures).toEqual({ total: 3, posted: 0, stale: 0, failed: 0 });
    expect(events[1]).toMatchObject({ figures: { posted: 1 }, concurrency: 4, startedAt: 1000 });
    expect(events[2]!.figures).toEqual({ total: 3, posted: 1, stale: 1, failed: 1 });
    expect(events[4]!.figures).toEqual({ folded: 2 });
  });

  it("a phase that throws ends failed with the cause; progress of a phase not open is not reported", async () => {
    const events: PhaseEvent[] = [];
    const phases = new Phases("uni-x", (e) => events.push(e));
    phases.progress("columns");
    await expect(
      phases.run("plan", { posts: 0, columns: 0, skipped: 0 }, () => {
        throw new Error("no learner ana");
      }),
    ).rejects.toThrow("no learner ana");
    expect(events.map((e) => [e.phase, e.state, e.error])).toEqual([
      ["plan", "start", undefined],
      ["plan", "failed", "no learner ana"],
    ]);
    phases.start("posts", { total: 2, posted: 1, stale: 0, failed: 0 });
    phases.failOpen(new Error("the LMS is down"));
    expect(events.at(-1)).toMatchObject({ phase: "posts", state: "failed", error: "the LMS is down" });
  });

  it("while followed, a service's progress log line becomes the phase's step; unfollowed, it stays a log line", async () => {
    const logged: string[] = [];
    const ctx = { logger: { ...silentLogger, info: (m: string) => logged.push(m) } } as unknown as Context;
    const events: PhaseEvent[] = [];
    const followed = new Phases("uni-x", (e) => events.push(e));
    await followed.run("pull", {}, () =>
      followed.steps(ctx, "pull", async () => ctx.logger.info("Pulling Coursera gradebooks…")),
    );
    expect(logged).toEqual([]);
    expect(events.find((e) => e.state === "progress")?.step).toBe("Pulling Coursera gradebooks…");
    const unfollowed = new Phases("uni-x", undefined);
    await unfollowed.steps(ctx, "pull", async () => ctx.logger.info("Pulling Coursera gradebooks…"));
    expect(logged).toEqual(["Pulling Coursera gradebooks…"]);
  });
});
