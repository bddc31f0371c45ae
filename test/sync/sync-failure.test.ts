/**
 * Sync under failure (issue 17), through the built CLI: a refused score is never taken for an
 * acknowledged one, one refused score fails one item, an LMS outage ends the run in seconds,
 * and every run is on record — with what `sync runs`, `sync show`, `doctor`, the exit code and
 * --json say.
 */
import { spawn } from "node:child_process";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { binPath, parseJson } from "../helpers/gg4l.js";
import { type Course, syncWorld, type World, type WorldOptions } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Failure {
  externalId: string | null;
  learner: string | null;
  courseId: string;
  itemId: string | null;
  column: string | null;
  status: number | null;
  message: string;
}
interface Counts {
  planned: number;
  posted: number;
  stale: number;
  failed: number;
  notAttempted: number;
  columnsFailed: number;
}
interface Run {
  runId: number;
  status: string;
  counts: Counts;
  cause: { kind: string; message: string; exitCode: number } | null;
  failures: Failure[];
}
interface RunRow {
  id: number;
  command: string;
  status: string;
  phase: string | null;
  error: string | null;
  counts: Record<string, number>;
}

/** The fake LMS's own record of a learner's grade in a column (to play another tool or Moodle's clock). */
const fakeGrade = (w: World, lineItemUrl: string, sub: string) => {
  const li = w.lms.gradebook().lineItems.find((l) => l.id === lineItemUrl)!;
  return w.lms.state.gradesOf(li.itemId).get(sub)!;
};

const gradedCourse = (w: World): Course => w.courses.find((c) => c.items.length >= 2)!;

/** One item link, launched by the first `n` members, each with a grade on it. */
async function oneColumn(opts: WorldOptions, n: number, grade = 93) {
  world = await syncWorld(opts);
  const w = world;
  const course = gradedCourse(w);
  const item = course.items[0]!;
  const target = { courseId: course.id, itemId: item.id };
  const link = w.publish(target);
  const learners = w.members.slice(0, n);
  for (const [i, l] of learners.entries()) {
    w.setGrade(l, course.id, { items: { [item.id]: grade + i } });
    w.launch(l, link, target);
  }
  return { w, course, item, link, learners };
}

const countsAddUp = (c: Counts) => expect(c.posted + c.stale + c.failed + c.notAttempted).toBe(c.planned);
const runs = async (w: World) => parseJson<RunRow[]>(await w.ok(["sync", "runs", "--json"]));
const show = async (w: World, id: number) =>
  parseJson<RunRow & { failures: Failure[] }>(await w.ok(["sync", "show", String(id), "--json"]));
const lmsScore = (w: World, lineItemUrl: string, sub: string) =>
  w.lms
    .gradebook()
    .lineItems.find((li) => li.id === lineItemUrl)
    ?.grades.find((g) => g.userId === sub)?.scoreGiven;

describe("1. a refused score is not an acknowledged score", () => {
  it("Moodle's same-second 409 is answered by posting again past the second; the score lands", async () => {
    const { w, link, learners } = await oneColumn({ kind: "moodle", gradeSync: "assignment" }, 1);
    const sub = w.lmsUser(learners[0]!);
    w.lms.addFaults({
      route: "scores",
      type: "status",
      status: 409,
      contentType: "text/plain",
      body: "Refusing score with an earlier timestamp for item 1 and user 2",
      times: 2,
    });
    const run = parseJson<{ run: Run }>(await w.ok(["sync", "daily", "--json"]));
    expect(run.run).toMatchObject({ status: "ok", counts: { planned: 1, posted: 1, stale: 0, failed: 0 } });
    const posts = w.lms.requests().filter((r) => r.route === "scores");
    expect(posts.map((p) => p.status)).toEqual([409, 409, 200]);
    const sent = w.lms.posts().map((p) => Date.parse(String(p.score.timestamp)));
    // The one post that reached the gradebook carries a timestamp past the refused second.
    expect(sent).toHaveLength(1);
    expect(lmsScore(w, link.lineitemUrl!, sub)).toBe(93);
  }, 90_000);

  it("Moodle refusing every time: an item failure with Moodle's words and what it holds, never acknowledged, planned again", async () => {
    let ahead = 0;
    const { w, course, item, link, learners } = await oneColumn(
      { kind: "moodle", gradeSync: "assignment", lms: { clock: () => Date.now() + ahead } },
      1,
    );
    const ana = learners[0]!;
    const sub = w.lmsUser(ana);
    // Moodle's clock runs half a minute ahead: it keeps the second it received 93 in.
    ahead = 30_000;
    await w.ok(["sync", "daily"]);
    expect(lmsScore(w, link.lineitemUrl!, sub)).toBe(93);
    w.setGrade(ana, course.id, { items: { [item.id]: 94 } });
    const second = await w.gg4l(["sync", "daily", "--json"]);
    expect(second.code).toBe(5);
    const { run } = parseJson<{ run: Run }>(second);
    expect(run).toMatchObject({ status: "partial", counts: { planned: 1, posted: 0, stale: 0, failed: 1 } });
    countsAddUp(run.counts);
    expect(run.failures[0]).toMatchObject({ externalId: ana, status: 409, itemId: item.id });
    expect(run.failures[0]!.message).toMatch(
      /Refusing score with an earlier timestamp for item \S+ and user/,
    );
    expect(run.failures[0]!.message).toMatch(/refused 4 times as older/);
    expect(run.failures[0]!.message).toMatch(/the LMS holds 93\/100, the last grade gg4l sent.*lost a race/);
    expect(second.stderr).toMatch(/partly failed: 0 of 1 score\(s\) posted, 1 failed/);
    expect(second.stderr).not.toMatch(/the rest were posted/);
    expect(lmsScore(w, link.lineitemUrl!, sub)).toBe(93);
    // Never recorded as acknowledged: the next plan posts it again.
    const plan = parseJson<{ summary: { posts: { changed: number } } }>(
      await w.ok(["sync", "grades", "--dry-run", "--json"]),
    );
    expect(plan.summary.posts.changed).toBe(1);
    const shown = await show(w, run.runId);
    expect(shown.failures[0]).toMatchObject({ status: 409, externalId: ana });
    // Moodle's clock is set right, and a minute has passed since it received 93: the next run lands it.
    ahead = 0;
    fakeGrade(w, link.lineitemUrl!, sub).receivedMicros -= 60_000_000;
    const third = parseJson<{ run: Run }>(await w.ok(["sync", "daily", "--json"]));
    expect(third.run.counts).toMatchObject({ posted: 1, failed: 0 });
    expect(lmsScore(w, link.lineitemUrl!, sub)).toBe(94);
  }, 120_000);

  for (const kind of ["canvas", "blackboard"] as const) {
    it(`${kind}: a newer grade another tool put in the LMS is said, with its value, and not overwritten`, async () => {
      const { w, course, item, link, learners } = await oneColumn({ kind, gradeSync: "assignment" }, 1, 70);
      const ana = learners[0]!;
      const sub = w.lmsUser(ana);
      await w.ok(["sync", "daily"]);
      // Another tool posted 80 with a timestamp a day ahead.
      const g = fakeGrade(w, link.lineitemUrl!, sub);
      const tomorrow = Date.now() + 86_400_000;
      Object.assign(g, {
        score: 80,
        scoreGiven: 80,
        scoreMaximum: 100,
        timestamp: new Date(tomorrow).toISOString(),
        timestampMicros: tomorrow * 1000,
      });
      w.setGrade(ana, course.id, { items: { [item.id]: 75 } });
      const r = await w.gg4l(["sync", "daily", "--json"]);
      expect(r.code).toBe(5);
      const { run } = parseJson<{ run: Run }>(r);
      expect(run.counts).toMatchObject({ posted: 0, failed: 1, stale: 0 });
      expect(run.failures[0]!.message).toMatch(
        /the LMS holds a newer grade, 80\/100 \(Coursera: 75\/100\), not one gg4l sent: an instructor or another tool/,
      );
      expect(lmsScore(w, link.lineitemUrl!, sub)).toBe(80);
    }, 90_000);
  }
});

describe("2. one refused score fails one item, not the run", () => {
  it("Canvas 400 'locked' on one score: that item fails with status and words, the rest is posted, exit 5", async () => {
    const { w, item, learners } = await oneColumn({ kind: "canvas", gradeSync: "assignment" }, 3);
    w.lms.addFaults({
      route: "scores",
      type: "status",
      status: 400,
      contentType: "application/json",
      body: JSON.stringify({ errors: { type: "bad_request", message: "This assignment is locked" } }),
      times: 1,
    });
    const r = await w.gg4l(["sync", "daily", "--json"]);
    expect(r.code).toBe(5);
    expect(r.stderr).not.toMatch(/gg4l bug/);
    const { run } = parseJson<{ run: Run }>(r);
    expect(run).toMatchObject({
      status: "partial",
      counts: { planned: 3, posted: 2, failed: 1, notAttempted: 0 },
    });
    countsAddUp(run.counts);
    expect(run.failures).toHaveLength(1);
    expect(run.failures[0]).toMatchObject({ status: 400, itemId: item.id, column: expect.any(String) });
    expect(learners).toContain(run.failures[0]!.externalId);
    expect(run.failures[0]!.message).toMatch(/Canvas answered HTTP 400: This assignment is locked/);
    const shown = await show(w, run.runId);
    expect(shown).toMatchObject({ status: "partial", counts: { failed: 1, posted: 2 } });
    expect(shown.failures[0]).toMatchObject({ status: 400 });
    // As a person reads it: the failure names the column (course and item), not their ids.
    w.lms.addFaults({
      route: "scores",
      type: "status",
      status: 400,
      body: "This assignment is locked",
      times: 1,
    });
    const again = await w.gg4l(["sync", "grades"]);
    expect(again.code).toBe(5);
    const line = again.stderr.split("\n").find((l) => l.includes("[HTTP 400]"))!;
    expect(line).toContain(`"${run.failures[0]!.column}"`);
    expect(line).not.toContain(item.id);
    const table = await w.ok(["sync", "show", String(run.runId)]);
    expect(table.stdout).toMatch(/This assignment is locked/);
  }, 90_000);

  it("a 401 that persists after a fresh token stops the run: failed, exit 4, the rest not attempted with the reason", async () => {
    const { w } = await oneColumn({ kind: "moodle", gradeSync: "assignment" }, 3);
    w.lms.addFaults({ route: "scores", type: "status", status: 401, body: "Invalid token", times: 1000 });
    const r = await w.gg4l(["sync", "daily", "--json"]);
    expect(r.code).toBe(4);
    const { run } = parseJson<{ run: Run }>(r);
    expect(run.status).toBe("failed");
    expect(run.cause).toMatchObject({ kind: "run", exitCode: 4 });
    expect(run.cause!.message).toMatch(/freshly issued token/);
    expect(run.counts.posted).toBe(0);
    expect(run.counts.notAttempted).toBeGreaterThan(0);
    countsAddUp(run.counts);
    expect(r.stderr).toMatch(/stopped: .*freshly issued token/);
    const [row] = await runs(w);
    expect(row).toMatchObject({ status: "failed", phase: "fold" });
    expect(row!.error).toMatch(/not attempted: .*freshly issued token/);
  }, 90_000);
});

/** Copy a learner `n` times in the state (learner, membership, launches, LMS user, grades): a big plan fast. */
function cloneLearner(w: World, template: string, n: number): void {
  const db = new Database(w.box.db);
  const copy = (table: string, where: string, change: (row: Record<string, unknown>, i: number) => void) => {
    const rows = db.prepare(`SELECT * FROM ${table} WHERE ${where}`).all(template) as Array<
      Record<string, unknown>
    >;
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!).filter((c) => c !== "id");
    const insert = db.prepare(
      `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`,
    );
    for (let i = 1; i <= n; i++)
      for (const row of rows) {
        const next = { ...row };
        change(next, i);
        insert.run(Object.fromEntries(columns.map((c) => [c, next[c]])));
      }
  };
  const id = (i: number) => `clone${i}-${template}`;
  db.transaction(() => {
    copy("learners", "external_id = ?", (r, i) => {
      r.external_id = id(i);
      r.email = id(i);
    });
    copy("memberships", "external_id = ?", (r, i) => {
      r.external_id = id(i);
    });
    copy("launches", "external_id = ?", (r, i) => {
      r.external_id = id(i);
      r.lms_sub = `sub-${id(i)}`;
    });
    copy("lms_users", "external_id = ?", (r, i) => {
      r.external_id = id(i);
      r.email = id(i);
      r.sub = `sub-${id(i)}`;
    });
    copy("coursera_grades", "external_id = ?", (r, i) => {
      r.external_id = id(i);
    });
  })();
  db.close();
}

describe("3. an LMS outage ends the run in seconds", () => {
  it("with the LMS stopped, a run planned at 10,000 posts stops at the circuit breaker: failed, exit 5, the rest not attempted", async () => {
    const { w, learners } = await oneColumn({ kind: "moodle", gradeSync: "assignment" }, 1);
    await w.ok(["sync", "daily", "--dry-run"]);
    cloneLearner(w, learners[0]!, 9_999);
    const plan = parseJson<{ summary: { posts: { total: number } } }>(
      await w.ok(["sync", "grades", "--dry-run", "--json"]),
    );
    expect(plan.summary.posts.total).toBe(10_000);
    await w.lms.close();
    w.lms.close = async () => {};
    const started = Date.now();
    const r = await w.gg4l(["sync", "grades", "--json"]);
    // A generous guard, not a measurement: without the breaker this run takes hours.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.code).toBe(5);
    const run = parseJson<Run>(r);
    expect(run.status).toBe("failed");
    expect(run.cause).toMatchObject({ kind: "lms-down", exitCode: 5 });
    expect(run.cause!.message).toMatch(
      /^the LMS at 127\.0\.0\.1:\d+ has not answered since \d{4}-\d\d-\d\dT[\d:.]+Z: /,
    );
    expect(run.counts.posted).toBe(0);
    expect(run.counts.failed).toBeGreaterThanOrEqual(8);
    expect(run.counts.failed).toBeLessThanOrEqual(8 + 16);
    expect(run.counts.notAttempted).toBe(10_000 - run.counts.failed);
    countsAddUp(run.counts);
    expect(r.stderr).toMatch(/has not answered since/);
    expect(r.stderr).toMatch(/0 of 10000 score\(s\) posted/);
    expect(r.stderr).not.toMatch(/were posted and recorded/);
    const [row] = await runs(w);
    expect(row).toMatchObject({ status: "failed", counts: { notAttempted: run.counts.notAttempted } });
    expect(row!.error).toMatch(/not attempted: the LMS at .* has not answered since/);
  }, 180_000);
});

function startCli(w: World, args: string[]) {
  const child = spawn(process.execPath, [binPath, ...args], {
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

async function until(
  predicate: () => boolean | Promise<boolean>,
  guardMs = 60_000,
  said: () => string = () => "",
): Promise<void> {
  const end = Date.now() + guardMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`condition not reached ${said()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("4. every run is on record from its first second", () => {
  it("a daily sync failing in its pull is recorded failed with the phase; doctor fails daily-sync naming the run", async () => {
    const { w } = await oneColumn({ kind: "moodle", gradeSync: "assignment" }, 1);
    await w.ok(["sync", "daily"]);
    w.coursera.addFault({ kind: "serverError", status: 503, count: 100 });
    const r = await w.gg4l(["sync", "daily", "--json"]);
    expect(r.code).not.toBe(0);
    const [row] = await runs(w);
    expect(row).toMatchObject({ command: "sync daily", status: "failed", phase: "pull" });
    expect(row!.error).toMatch(/503/);
    const doctor = parseJson<{
      checks: Array<{ check: string; status: string; message: string; fix: string | null }>;
    }>(await w.gg4l(["doctor", "--json"]));
    const check = doctor.checks.find((c) => c.check === "daily-sync")!;
    expect(check.status).toBe("fail");
    expect(check.message).toMatch(new RegExp(`run ${row!.id}\\b.*failed in its pull phase`));
    expect(check.fix).toMatch(new RegExp(`gg4l sync show ${row!.id}`));
  }, 90_000);

  it("the lease comes first: a second daily sync exits 6 while the first is still pulling", async () => {
    const { w } = await oneColumn({ kind: "moodle", gradeSync: "assignment" }, 1);
    w.coursera.addFault({ kind: "delay", ms: 4000, count: 1 });
    const first = startCli(w, ["sync", "daily"]);
    await until(async () => (await runs(w)).some((r) => r.status === "running"));
    const second = await w.gg4l(["sync", "daily"]);
    expect(second.code).toBe(6);
    expect(second.stderr).toMatch(/already running: held by .* \(pid \d+\)/);
    expect((await runs(w))[0]).toMatchObject({ status: "running", phase: "pull" });
    expect(await first.exited).toBe(0);
    expect((await runs(w)).map((r) => r.status)).toEqual(["ok"]);
  }, 90_000);

  it("SIGTERM records the run interrupted (exit 130); SIGKILL leaves it abandoned as the next command finds it", async () => {
    const { w, learners } = await oneColumn({ kind: "moodle", gradeSync: "assignment" }, 1);
    await w.ok(["sync", "daily", "--dry-run"]);
    cloneLearner(w, learners[0]!, 200);
    w.lms.addFaults({ route: "scores", type: "slow", delayMs: 300, times: 100_000 });
    // The clones are not users of the fake LMS: it refuses them (400), which is an answer all the same.
    const posted = () => w.lms.requests().filter((r) => r.route === "scores").length;
    const term = startCli(w, ["sync", "grades", "--max-concurrency", "2"]);
    await until(() => posted() >= 2, 60_000, term.stderr);
    term.child.kill("SIGTERM");
    expect(await term.exited).toBe(130);
    expect(term.stderr()).toMatch(/interrupted: \d+ of 201 score\(s\) posted, \d+ failed, \d+ not attempted/);
    const [interrupted] = await runs(w);
    expect(interrupted).toMatchObject({ status: "interrupted", phase: "fold" });
    expect(interrupted!.error).toMatch(/not attempted: interrupted/);

    const kill = startCli(w, ["sync", "grades", "--max-concurrency", "2"]);
    const before = posted();
    await until(() => posted() >= before + 2);
    kill.child.kill("SIGKILL");
    await kill.exited;
    const [row] = await runs(w);
    expect(row).toMatchObject({ status: "abandoned", phase: "post" });
    expect(row!.error).toMatch(/process ended before the run finished/);
    const table = await w.ok(["sync", "runs"]);
    expect(table.stdout).toMatch(/abandoned\tpost/);
  }, 120_000);
});

describe("5. the dry run and the live run agree", () => {
  type Plan = { summary: { posts: Record<string, number>; skipped: Record<string, number> } };
  const perAction = (p: Plan["summary"]) => ({ posts: p.posts, skipped: p.skipped });
  for (const kind of ["moodle", "canvas", "blackboard", "d2l", "schoology", "buzz"] as const) {
    it(`${kind}: with nothing changed in between, the dry run's counts per action are the live run's, no-SSO on and off`, async () => {
      const { w, course, item } = await oneColumn({ kind, gradeSync: "assignment" }, 1);
      const others = w.members.slice(1, 4);
      for (const m of others) w.setGrade(m, course.id, { items: { [item.id]: 60 } });
      await w.ok(["sync", "daily", "--dry-run"]);
      // Off: only the learner who launched is posted.
      const dryOff = parseJson<Plan>(await w.ok(["sync", "grades", "--dry-run", "--json"]));
      const liveOff = parseJson<{ summary: Plan["summary"]; counts: Counts }>(
        await w.ok(["sync", "grades", "--json"]),
      );
      expect(perAction(liveOff.summary)).toEqual(perAction(dryOff.summary));
      expect(liveOff.counts.posted).toBe(dryOff.summary.posts.total);

      // On: a live run reads the roster while the others are not in the LMS course yet…
      await w.ok(["settings", "set", "no-sso", "on"]);
      await w.ok(["sync", "grades"]);
      // …then they are added to it. The dry run must read the roster again, as the live run will.
      for (const m of others) w.lmsUser(m);
      const dryOn = parseJson<Plan & { rosters: { source: string } }>(
        await w.ok(["sync", "grades", "--dry-run", "--json"]),
      );
      expect(dryOn.rosters.source).toBe("read");
      expect(dryOn.summary.posts.total).toBe(others.length);
      const liveOn = parseJson<{ summary: Plan["summary"]; counts: Counts }>(
        await w.ok(["sync", "grades", "--json"]),
      );
      expect(perAction(liveOn.summary)).toEqual(perAction(dryOn.summary));
      expect(liveOn.counts.posted).toBe(dryOn.summary.posts.total);
    }, 240_000);
  }

  it("--offline plans from the stored rosters and says how old they are", async () => {
    const { w } = await oneColumn({ kind: "moodle", gradeSync: "assignment" }, 1);
    await w.ok(["settings", "set", "no-sso", "on"]);
    const never = await w.ok(["sync", "grades", "--dry-run", "--offline"]);
    expect(never.stderr).toMatch(/--offline: the LMS course rosters were never read/);
    await w.ok(["sync", "daily"]);
    const offline = await w.ok(["sync", "grades", "--dry-run", "--offline"]);
    expect(offline.stderr).toMatch(
      /--offline: roster eligibility comes from the LMS course rosters stored at \S+ \(\d+ min old\)/,
    );
    const json = parseJson<{ rosters: { source: string; readAt: string; ageMs: number } }>(
      await w.ok(["sync", "grades", "--dry-run", "--offline", "--json"]),
    );
    expect(json.rosters).toMatchObject({ source: "stored", readAt: expect.any(String) });
    expect(json.rosters.ageMs).toBeGreaterThanOrEqual(0);
    const requestsBefore = w.lms.requests().length;
    await w.ok(["sync", "grades", "--dry-run", "--offline"]);
    expect(w.lms.requests().length).toBe(requestsBefore);
    expect((await w.gg4l(["sync", "grades", "--offline"])).code).toBe(2);
  }, 90_000);
});
