import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { binPath, parseJson } from "../helpers/gg4l.js";
import { syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Every member launches a link to every item of every course of the program: many posts. */
async function busyWorld(kind: "moodle" | "canvas"): Promise<World> {
  const w = await syncWorld({ kind, gradeSync: "assignment" });
  for (const course of w.courses) {
    for (const item of course.items) {
      const link = w.publish({ courseId: course.id, itemId: item.id });
      for (const member of w.members) w.launch(member, link, { courseId: course.id, itemId: item.id });
    }
  }
  await w.ok(["sync", "daily", "--dry-run"]);
  return w;
}

interface Expected {
  lineItem: string;
  user: string;
  score: number;
}

async function expectedScores(w: World): Promise<Expected[]> {
  const plan = parseJson<{
    items: Array<{ action: string; column: string; lmsUserId: string; scoreGiven: number }>;
  }>(await w.ok(["sync", "grades", "--dry-run", "--json"]));
  return plan.items
    .filter((i) => i.action === "post")
    .map((i) => ({ lineItem: i.column, user: i.lmsUserId, score: i.scoreGiven }));
}

function gradebookScore(w: World, lineItem: string, user: string): number | null | undefined {
  return w.lms
    .gradebook()
    .lineItems.find((li) => li.id === lineItem)
    ?.grades.find((g) => g.userId === user)?.scoreGiven;
}

function startSync(w: World, args: string[] = []) {
  const child = spawn(process.execPath, [binPath, "sync", "grades", "--max-concurrency", "4", ...args], {
    env: { ...process.env, GG4L_DB: w.box.db, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

const acceptedPosts = (w: World) => w.lms.posts().filter((p) => p.applied).length;

async function waitFor(predicate: () => boolean, exited: Promise<unknown>): Promise<boolean> {
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (!predicate()) {
    if (done) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

describe("crash safety (R9)", () => {
  it("SIGKILL at 20 points of an apply: every score delivered once, repeats only for posts in flight", async () => {
    world = await busyWorld("moodle");
    const w = world;
    const expected = await expectedScores(w);
    expect(expected.length).toBeGreaterThan(60);
    // Slow replies keep posts in flight when the kill lands.
    w.lms.addFaults({ route: "scores", type: "slow", delayMs: 8, times: 100_000 });
    const kills: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const threshold = Math.floor((i * expected.length) / 22);
      const run = startSync(w);
      const reached = await waitFor(() => acceptedPosts(w) >= threshold, run.exited);
      run.child.kill("SIGKILL");
      await run.exited;
      if (reached) kills.push(acceptedPosts(w));
    }
    expect(kills.length).toBeGreaterThanOrEqual(15);
    const last = startSync(w);
    expect(await last.exited).toBe(0);

    for (const e of expected)
      expect(gradebookScore(w, e.lineItem, e.user), `${e.lineItem} ${e.user}`).toBe(e.score);
    const perPair = new Map<string, number>();
    for (const p of w.lms.posts().filter((x) => x.applied)) {
      const key = `${p.lineItemId}\u001f${p.userId}`;
      perPair.set(key, (perPair.get(key) ?? 0) + 1);
    }
    expect(perPair.size).toBe(expected.length);
    const repeats = [...perPair.values()].reduce((sum, n) => sum + n - 1, 0);
    // Each kill can leave at most `--max-concurrency` posts acknowledged by the LMS but not recorded.
    expect(repeats).toBeLessThanOrEqual(20 * 4);

    const again = startSync(w);
    const before = w.lms.posts().length;
    expect(await again.exited).toBe(0);
    expect(w.lms.posts().length).toBe(before);
  }, 180_000);

  it("a second run on the tenant exits 6 naming the holder; a killed holder's lease is taken over", async () => {
    world = await busyWorld("moodle");
    const w = world;
    w.lms.addFaults({ route: "scores", type: "slow", delayMs: 50, times: 100_000 });
    const first = startSync(w);
    await waitFor(() => acceptedPosts(w) >= 2, first.exited);
    // The first run must still hold the lease when the second starts, however loaded the
    // machine: its remaining posts now hang until it is killed.
    w.lms.setFaults({ clear: true });
    w.lms.addFaults({ route: "scores", type: "slow", delayMs: 20_000, times: 100_000 });
    const second = await w.gg4l(["sync", "grades"]);
    expect(second.code).toBe(6);
    expect(second.stderr).toMatch(/already running: held by .* \(pid \d+\)/);
    first.child.kill("SIGKILL");
    await first.exited;
    w.lms.setFaults({ clear: true });
    const third = await w.gg4l(["sync", "grades", "--json"]);
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/ended without finishing/);
    const runs = parseJson<Array<{ status: string }>>(await w.ok(["sync", "runs", "--json"]));
    // The killed run is on record as abandoned, in the phase it was killed in.
    expect(runs.map((r) => r.status).slice(0, 2)).toEqual(["ok", "abandoned"]);
  }, 60_000);
});

describe("faults survived", () => {
  const faults = {
    "429 storm": [{ route: "scores", type: "status", status: 429, retryAfter: 0, times: 40 }],
    "5xx": [{ route: "scores", type: "status", status: 503, times: 15 }],
    "connection resets": [{ route: "scores", type: "reset", times: 10 }],
    "slow replies": [{ route: "scores", type: "slow", delayMs: 400, times: 8 }],
  } as const;
  for (const [name, list] of Object.entries(faults)) {
    it(`${name}: every score delivered`, async () => {
      world = await busyWorld("moodle");
      const w = world;
      const expected = await expectedScores(w);
      w.lms.addFaults(...(list as unknown as Parameters<World["lms"]["addFaults"]>));
      const run = parseJson<{ status: string; counts: { posted: number; stale: number; failed: number } }>(
        await w.ok(["sync", "grades", "--json"]),
      );
      expect(run.status).toBe("ok");
      expect(run.counts.failed).toBe(0);
      for (const e of expected) expect(gradebookScore(w, e.lineItem, e.user)).toBe(e.score);
    }, 90_000);
  }

  it("a token that expires mid-run is replaced and every score delivered", async () => {
    world = await busyWorld("canvas");
    const w = world;
    const expected = await expectedScores(w);
    w.lms.addFaults({ route: "scores", type: "slow", delayMs: 5, times: 100_000 });
    const run = startSync(w);
    await waitFor(() => acceptedPosts(w) >= 20, run.exited);
    w.lms.setFaults({ expireTokens: true });
    expect(await run.exited).toBe(0);
    for (const e of expected) expect(gradebookScore(w, e.lineItem, e.user)).toBe(e.score);
    expect(w.lms.requests().some((r) => r.status === 401)).toBe(true);
  }, 90_000);
});
