/**
 * Issue 21 §2, as a person sees it on a terminal (a pseudo-terminal): tables without a rule
 * between rows, and a sync whose progress shows each phase with its own counter, never one
 * that contradicts another, each phase ending with a mark, and figures that add up with the
 * run's summary. Piped, one line per finished phase on stderr and none on stdout; --json
 * piped, no progress at all.
 */
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { parseJson } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal, screenFrames } from "../helpers/pty.js";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const PHASE_END = /^([✓✗]) (Pull|Plan|Columns|Posts|Fold): (.*)$/;
const POSTS = /Posts: (\d+)\/(\d+) · (\d+) posted · (\d+) already in the LMS · (\d+) failed/;
const COLUMNS = /Columns: (\d+)\/(\d+) · (\d+) created · (\d+) found · (\d+) failed/;
/** A line that is only a rule: dashes, box drawing, pluses and bars. */
const RULE = /^[\s\-─━═┼┬┴├┤┌┐└┘│|+]{3,}$/;

/** Two learners with a grade on every item of a course with items, its link opened by both. */
async function gradedWorld(): Promise<{ w: World; course: Course; learners: string[] }> {
  world = await syncWorld({ kind: "moodle", gradeSync: "course" });
  const w = world;
  const course = w.courses.find((c) => c.items.length >= 2)!;
  const learners = w.members.slice(0, 2);
  for (const who of learners)
    w.setGrade(who, course.id, { items: Object.fromEntries(course.items.map((it, i) => [it.id, 60 + i])) });
  const link = w.publish({ courseId: course.id });
  for (const who of learners) w.launch(who, link, { courseId: course.id });
  return { w, course, learners };
}

/** `sync grades` plans from the grades in the state: pull them first, as a person would. */
async function pulledWorld(): Promise<{ w: World; course: Course; learners: string[] }> {
  const graded = await gradedWorld();
  await graded.w.ok(["sync", "daily", "--dry-run"]);
  return graded;
}

/** The finished phase lines, in order: mark, phase, figures text. */
function phaseEnds(lines: string[]): Array<{ mark: string; phase: string; text: string }> {
  return lines.flatMap((line) => {
    const m = PHASE_END.exec(line.trim());
    return m ? [{ mark: m[1]!, phase: m[2]!, text: m[3]! }] : [];
  });
}

const numbers = (m: RegExpExecArray) => m.slice(1).map(Number);

/** Every frame the terminal showed: no counter contradicts another, and posts never count during columns. */
function expectHonestFrames(screen: string): void {
  const frames = screenFrames(screen);
  // At least the posts phase's first frame and its end were drawn: the checks below ran.
  expect(frames.filter((frame) => POSTS.test(frame)).length).toBeGreaterThanOrEqual(2);
  let columnsEnded = false;
  for (const frame of frames) {
    if (/^[✓✗] Columns:/.test(frame.trim())) columnsEnded = true;
    const posts = POSTS.exec(frame);
    if (posts) {
      const [done, total, posted, stale, failed] = numbers(posts) as [number, number, number, number, number];
      expect(done, frame).toBe(posted + stale + failed);
      expect(done, frame).toBeLessThanOrEqual(total);
      expect(columnsEnded, `a posts counter before the columns ended: ${frame}`).toBe(true);
    }
    const columns = COLUMNS.exec(frame);
    if (columns) {
      const [done, total, created, found, failed] = numbers(columns) as [
        number,
        number,
        number,
        number,
        number,
      ];
      expect(done, frame).toBe(created + found + failed);
      expect(done, frame).toBeLessThanOrEqual(total);
    }
    expect(frame, "a frame mixing two phases").not.toMatch(/Columns:.*Posts:|Posts:.*Columns:/);
  }
}

describe("tables on a terminal", () => {
  it("learners list and doctor: a header and aligned columns, no rule between rows", async () => {
    const { w } = await gradedWorld();
    const env = { GG4L_DB: w.box.db };
    const learners = await runOnTerminal(["learners", "list"], { env });
    expect(learners.code).toBe(0);
    const rows = plainLines(learners.screen).filter((line) => line.trim() !== "");
    expect(rows[0]).toMatch(/^EXTERNAL ID/);
    expect(rows.length).toBeGreaterThanOrEqual(1 + w.members.length);
    for (const line of rows) expect(line).not.toMatch(RULE);
    expect(learners.screen).not.toMatch(/[─│┼]/);

    const doctor = await runOnTerminal(["doctor"], { env });
    const lines = plainLines(doctor.screen).filter((line) => line.trim() !== "");
    expect(lines.some((line) => /STATUS/.test(line))).toBe(true);
    for (const line of lines) expect(line).not.toMatch(RULE);
    expect(doctor.screen).not.toMatch(/[─│┼]/);
  }, 90_000);
});

describe("sync progress on a terminal", () => {
  it("sync grades: plan, columns, posts and fold each end with ✓ and figures that add up with the run's", async () => {
    const { w, course } = await pulledWorld();
    // Slow score posts: the spinner draws the posts phase several times on its way.
    w.lms.addFaults({ route: "scores", type: "slow", delayMs: 150, times: 1000 });
    const run = await runOnTerminal(["sync", "grades"], { env: { GG4L_DB: w.box.db } });
    const lines = plainLines(run.screen);
    expect(run.code, lines.join("\n")).toBe(0);
    const ends = phaseEnds(lines);
    expect(ends.map((e) => `${e.mark} ${e.phase}`)).toEqual(["✓ Plan", "✓ Columns", "✓ Posts", "✓ Fold"]);
    expectHonestFrames(run.screen);

    const items = course.items.length;
    const [plan, columns, posts, fold] = ends.map((e) => e.text) as [string, string, string, string];
    expect(plan).toMatch(new RegExp(`^${2 * items} score posts, ${items} columns to create, \\d+ kept out`));
    expect(columns).toMatch(new RegExp(`^${items}/${items} · ${items} created · 0 found · 0 failed`));
    expect(posts).toMatch(
      new RegExp(`^${2 * items}/${2 * items} · ${2 * items} posted · 0 already in the LMS · 0 failed`),
    );
    expect(fold).toMatch(new RegExp(`^${2 * items} acknowledged scores folded into the ledger`));
    const summary = lines.find((line) => /^✓ Run \d+ ok:/.test(line));
    expect(summary, lines.join("\n")).toMatch(
      new RegExp(`${items} column\\(s\\) created, 0 found, ${2 * items} of ${2 * items} score\\(s\\) posted`),
    );
    // The plan table below: a header and rows, no rule.
    for (const line of lines) expect(line).not.toMatch(RULE);
  }, 120_000);

  it("a post the LMS refuses: the posts phase ends with ✗ and its failed figure, the same as the run's", async () => {
    const { w, course } = await pulledWorld();
    w.lms.addFaults({ route: "scores", type: "status", status: 400, body: '{"error":"no such user"}' });
    const run = await runOnTerminal(["sync", "grades"], { env: { GG4L_DB: w.box.db } });
    const lines = plainLines(run.screen);
    expect(run.code, lines.join("\n")).toBe(5);
    expectHonestFrames(run.screen);
    const ends = phaseEnds(lines);
    expect(ends.map((e) => `${e.mark} ${e.phase}`)).toEqual(["✓ Plan", "✓ Columns", "✗ Posts", "✓ Fold"]);
    const total = 2 * course.items.length;
    const posts = POSTS.exec(`Posts: ${ends[2]!.text}`)!;
    expect(numbers(posts)).toEqual([total, total, total - 1, 0, 1]);
    expect(ends[3]!.text).toMatch(new RegExp(`^${total - 1} acknowledged scores folded`));
    expect(lines.join("\n")).toMatch(
      new RegExp(`partly failed: .*${total - 1} of ${total} score\\(s\\) posted, 1 failed`),
    );
  }, 120_000);

  it("Ctrl-C while posting: the posts phase ends with ✗ and how many were not attempted, as the run says", async () => {
    const { w, course } = await pulledWorld();
    w.lms.addFaults({ route: "scores", type: "slow", delayMs: 1000, times: 1000 });
    const run = await runOnTerminal(["sync", "grades", "--max-concurrency", "1"], {
      env: { GG4L_DB: w.box.db },
      answers: [{ when: /Posts: [1-9]/, type: "\u0003" }],
    });
    const lines = plainLines(run.screen);
    expect(run.code, lines.join("\n")).toBe(130);
    expectHonestFrames(run.screen);
    const ends = phaseEnds(lines);
    expect(ends.map((e) => `${e.mark} ${e.phase}`)).toEqual(["✓ Plan", "✓ Columns", "✗ Posts", "✓ Fold"]);
    const total = 2 * course.items.length;
    const [done, planned, posted] = numbers(POSTS.exec(`Posts: ${ends[2]!.text}`)!) as [
      number,
      number,
      number,
    ];
    expect(planned).toBe(total);
    expect(done).toBeLessThan(total);
    expect(ends[2]!.text).toContain(`stopped: ${total - done} not attempted: interrupted`);
    expect(lines.join("\n")).toMatch(
      new RegExp(`interrupted: .*, ${posted} of ${total} score\\(s\\) posted, ${total - done} not attempted`),
    );
    // The note is a line of its own, not drawn into the spinner's.
    const note = lines.find((line) => line.includes("Stopping after the posts in flight"));
    expect(note).toBeDefined();
    expect(note).not.toMatch(/Posts:/);
  }, 120_000);

  it("sync daily (NO_COLOR): pull ends with ✓ and what it read, the same figures as the run's summary", async () => {
    const { w, course } = await gradedWorld();
    const run = await runOnTerminal(["sync", "daily"], { env: { GG4L_DB: w.box.db, NO_COLOR: "1" } });
    const lines = plainLines(run.screen);
    expect(run.code, lines.join("\n")).toBe(0);
    // Drawn in place, but without a colour or a bold.
    expect(run.screen).not.toMatch(/\u001b\[[0-9;]*m/);
    expectHonestFrames(run.screen);
    const ends = phaseEnds(lines);
    expect(ends.map((e) => `${e.mark} ${e.phase}`)).toEqual([
      "✓ Pull",
      "✓ Plan",
      "✓ Columns",
      "✓ Posts",
      "✓ Fold",
    ]);
    // No "Pulling…" line left without its end: the pull phase's line says what was read.
    expect(lines.filter((line) => /Pulling|Refreshing/.test(line))).toEqual([]);
    const pull = /^(\d+) programs?, (\d+) courses?, (\d+) grades? read/.exec(ends[0]!.text)!;
    const note = lines.find((line) => line.startsWith("Pulled "))!;
    const said = /^Pulled (\d+) program\(s\) .*refreshed (\d+) course\(s\) .*pulled (\d+) grade\(s\)/.exec(
      note,
    )!;
    expect(numbers(pull)).toEqual(numbers(said));
    const total = 2 * course.items.length;
    expect(ends[3]!.text).toMatch(new RegExp(`^${total}/${total} · ${total} posted`));
  }, 120_000);
});

describe("a dry run's --json on a terminal", () => {
  it("the items reach the screen whole, no spinner drawn among them, and the plan's ✓ line follows them", async () => {
    const { w, course } = await pulledWorld();
    // Enough grades (never launched: skips) that writing the list outlasts a few spinner frames.
    const db = new Database(w.box.db);
    try {
      const insert = db.prepare(
        `INSERT INTO coursera_grades (tenant_id, external_id, course_id, item_id, program_id, grade)
         SELECT tenant_id, ?, course_id, item_id, program_id, 50.5 FROM coursera_grades
         WHERE course_id = ? AND item_id != '' LIMIT 1`,
      );
      db.transaction(() => {
        for (let i = 0; i < 60_000; i++) insert.run(`bulk${i}@x.edu`, course.id);
      })();
    } finally {
      db.close();
    }
    const run = await runOnTerminal(["sync", "grades", "--dry-run", "--json"], {
      env: { GG4L_DB: w.box.db },
    });
    expect(run.code).toBe(0);
    const start = run.screen.indexOf('{\r\n  "dryRun": true');
    const end = run.screen.indexOf("\r\n}\r\n", start);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const json = run.screen.slice(start, end + 3);
    expect(json).not.toMatch(/\u001b|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|Plan/);
    const plan = JSON.parse(json.replace(/\r\n/g, "\n")) as {
      items: unknown[];
      summary: { skipped: Record<string, number> };
    };
    expect(plan.items.length).toBeGreaterThan(60_000);
    const after = plainLines(run.screen.slice(end)).filter((line) => line.trim() !== "");
    expect(phaseEnds(after).map((e) => `${e.mark} ${e.phase}`)).toEqual(["✓ Plan"]);
  }, 120_000);
});

describe("sync progress piped", () => {
  it("one line per finished phase on stderr, none on stdout; --json piped prints none", async () => {
    const { w } = await gradedWorld();
    const daily = await w.gg4l(["sync", "daily"]);
    expect(daily.code, daily.stderr).toBe(0);
    const ends = phaseEnds(daily.stderr.split("\n"));
    expect(ends.map((e) => `${e.mark} ${e.phase}`)).toEqual([
      "✓ Pull",
      "✓ Plan",
      "✓ Columns",
      "✓ Posts",
      "✓ Fold",
    ]);
    // A running phase may say where it is every few seconds, in its own words; never on stdout.
    for (const line of daily.stderr.split("\n").filter((l) => /(Pull|Plan|Columns|Posts|Fold):/.test(l)))
      expect(line).toMatch(/^([✓✗] )?(\[[# ]+\] )?(Pull|Plan|Columns|Posts|Fold): /);
    expect(daily.stderr).not.toMatch(/\u001b|\r/);
    expect(daily.stdout).not.toMatch(/(Pull|Plan|Columns|Posts|Fold):|Pulling/);

    // No-SSO sync reads the LMS rosters: that is the pull phase of `sync grades`.
    await w.ok(["settings", "set", "no-sso", "on"]);
    const grades = await w.gg4l(["sync", "grades"]);
    expect(grades.code, grades.stderr).toBe(0);
    const gradeEnds = phaseEnds(grades.stderr.split("\n"));
    expect(gradeEnds.map((e) => `${e.mark} ${e.phase}`)).toEqual([
      "✓ Pull",
      "✓ Plan",
      "✓ Columns",
      "✓ Posts",
      "✓ Fold",
    ]);
    expect(gradeEnds[0]!.text).toMatch(/^1 LMS roster read, \d+ learners? matched by e-mail/);
    expect(grades.stderr).not.toMatch(/Read \d+ course roster/);

    const json = await w.gg4l(["sync", "daily", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(parseJson<{ run: { status: string } }>(json).run.status).toBe("ok");
    expect(json.stderr).toBe("");
  }, 120_000);
});
