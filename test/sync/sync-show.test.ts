/**
 * `gg4l sync show <run>` (issue 21): what a run did per learner and column — posted, unchanged,
 * failed — with names a person reads, ids kept in --json, and the --posted/--unchanged/--failed
 * filters; through the built CLI against the fakes, piped, as JSON and on a terminal.
 */
import { spawnSync } from "node:child_process";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { binPath, parseJson } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal } from "../helpers/pty.js";
import { syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Item {
  status: "posted" | "unchanged" | "failed";
  action: string;
  kind: string | null;
  externalId: string | null;
  email: string | null;
  learner: string | null;
  lmsUserId: string | null;
  courseId: string | null;
  course: string | null;
  itemId: string | null;
  item: string | null;
  column: string | null;
  columnUrl: string | null;
  scoreGiven: number | null;
  scoreMaximum: number | null;
  httpStatus: number | null;
  message: string | null;
}
interface Shown {
  id: number;
  tenant: string;
  status: string;
  counts: Record<string, number>;
  failures: Array<{ externalId: string; message: string }>;
  show: string[];
  sources: Record<string, string>;
  items: Item[];
  listed: Record<string, number>;
  counted: Record<string, number>;
}

/**
 * Four learners on one item column. Run 1 posts three; then one grade changes, one stays, the
 * third learner's grade changes but they left the LMS course (D2L refuses: 403 not enrolled),
 * and a fourth learner is new: run 2 posts two, finds one unchanged, and fails one.
 */
async function twoRuns() {
  world = await syncWorld({ kind: "d2l", gradeSync: "assignment" });
  const w = world;
  const course = w.courses.find((c) => c.items.length >= 1)!;
  const item = course.items[0]!;
  const target = { courseId: course.id, itemId: item.id };
  const link = w.publish(target);
  const [changed, same, gone, late] = w.members as [string, string, string, string];
  for (const [i, l] of [changed, same, gone].entries()) {
    w.setGrade(l, course.id, { items: { [item.id]: 60 + i } });
    w.launch(l, link, target);
  }
  await w.ok(["sync", "daily"]);
  w.setGrade(changed, course.id, { items: { [item.id]: 90 } });
  w.setGrade(gone, course.id, { items: { [item.id]: 91 } });
  w.setGrade(late, course.id, { items: { [item.id]: 77 } });
  w.launch(late, link, target);
  w.lms.state.enrolments.get(w.lms.contextId)!.delete(w.lmsUser(gone));
  const second = await w.gg4l(["sync", "daily"]);
  expect(second.code).toBe(5);
  const ids = parseJson<Array<{ id: number }>>(await w.ok(["sync", "runs", "--json"])).map((r) => r.id);
  return { w, course, item, changed, same, gone, late, first: ids[1]!, second: ids[0]! };
}

const shown = async (w: World, args: string[]) =>
  parseJson<Shown>(await w.ok(["sync", "show", ...args, "--json"]));
const who = (items: Item[]) => items.map((i) => `${i.status} ${i.externalId}`).sort();

describe("gg4l sync show", () => {
  it("lists a run's posted, unchanged and failed rows with names; --json keeps the run's fields and ids", async () => {
    const { w, course, item, changed, same, gone, late, first, second } = await twoRuns();
    const run = await shown(w, [String(second)]);
    // The contract as before: the run's fields and its failures.
    expect(run).toMatchObject({ id: second, tenant: "uni", status: "partial" });
    expect(run.failures).toEqual([expect.objectContaining({ externalId: gone })]);
    expect(who(run.items)).toEqual(
      [`posted ${changed}`, `posted ${late}`, `unchanged ${same}`, `failed ${gone}`].sort(),
    );
    expect(run.listed).toEqual({ posted: 2, unchanged: 1, failed: 1 });
    expect(run.counted).toEqual(run.listed);
    expect(run.show).toEqual(["posted", "unchanged", "failed"]);
    const db = new Database(w.box.db, { readonly: true });
    const learner = db.prepare("SELECT email, full_name AS name FROM learners WHERE external_id = ?");
    const names = learner.get(changed) as { email: string; name: string };
    db.close();
    const posted = run.items.find((i) => i.externalId === changed)!;
    expect(posted).toMatchObject({
      action: "post",
      kind: "changed",
      email: names.email,
      learner: names.name,
      courseId: course.id,
      course: course.name,
      itemId: item.id,
      item: item.name,
      column: item.name,
      scoreGiven: 90,
      scoreMaximum: 100,
    });
    expect(posted.columnUrl).toMatch(/^http/);
    expect(posted.lmsUserId).toBe(w.lmsUser(changed));
    expect(run.items.find((i) => i.externalId === late)).toMatchObject({ kind: "new", scoreGiven: 77 });
    expect(run.items.find((i) => i.externalId === same)).toMatchObject({
      scoreGiven: 61,
      course: course.name,
    });
    const failed = run.items.find((i) => i.status === "failed")!;
    expect(failed).toMatchObject({
      httpStatus: 403,
      scoreGiven: 91,
      courseId: course.id,
      course: course.name,
    });
    expect(failed.message).toMatch(/not enrolled/i);

    // Run 1 still shows the three scores it posted, though run 2 posted one of them again.
    const earlier = await shown(w, [String(first)]);
    expect(who(earlier.items)).toEqual([`posted ${changed}`, `posted ${gone}`, `posted ${same}`].sort());
    expect(earlier.items.find((i) => i.externalId === changed)).toMatchObject({
      kind: "new",
      scoreGiven: 60,
    });
  }, 120_000);

  it("--posted, --unchanged and --failed keep only those rows, and add up when combined; piped rows are tab-separated with ids", async () => {
    const { w, changed, same, gone, late, second } = await twoRuns();
    const id = String(second);
    expect(who((await shown(w, [id, "--posted"])).items)).toEqual(
      [`posted ${changed}`, `posted ${late}`].sort(),
    );
    expect(who((await shown(w, [id, "--unchanged"])).items)).toEqual([`unchanged ${same}`]);
    const onlyFailed = await shown(w, [id, "--failed"]);
    expect(who(onlyFailed.items)).toEqual([`failed ${gone}`]);
    expect(onlyFailed.show).toEqual(["failed"]);
    expect(onlyFailed.listed).toEqual({ posted: 0, unchanged: 0, failed: 1 });
    expect(who((await shown(w, [id, "--posted", "--failed"])).items)).toEqual(
      [`posted ${changed}`, `posted ${late}`, `failed ${gone}`].sort(),
    );

    const piped = await w.ok(["sync", "show", id, "--failed"]);
    const rows = piped.stdout.split("\n").filter((l) => l.startsWith("failed\t"));
    expect(rows).toHaveLength(1);
    const cells = rows[0]!.split("\t");
    expect(cells[1]).toBe(gone);
    expect(cells).toContain("403");
    expect(rows[0]).toMatch(/not enrolled/i);
    expect(piped.stdout).toMatch(/^run\t\d+$/m);
    const all = await w.ok(["sync", "show", id]);
    expect(all.stdout.split("\n").filter((l) => /^(posted|unchanged|failed)\t/.test(l))).toHaveLength(4);
    // Nothing that matches: said on stderr, exit 0.
    const firstRun = String(second - 1);
    const none = await w.ok(["sync", "show", firstRun, "--failed"]);
    expect(none.stdout).not.toMatch(/^failed\t/m);
    expect(none.stderr).toMatch(/has no failed score to list/);
  }, 120_000);

  it("on a terminal: a header, aligned rows with names, no rule between rows", async () => {
    const { w, course, same, second } = await twoRuns();
    const t = await runOnTerminal(["sync", "show", String(second)], {
      env: { GG4L_DB: w.box.db, GG4L_TENANT: "uni" },
      columns: 160,
    });
    expect(t.code).toBe(0);
    const lines = plainLines(t.screen);
    const header = lines.findIndex((l) =>
      /^STATUS\s+LEARNER\s+NAME\s+COURSE\s+COLUMN\s+SCORE\s+DETAIL$/.test(l),
    );
    expect(header, t.screen).toBeGreaterThan(0);
    const body = lines.slice(header + 1, header + 5);
    expect(body.map((l) => l.split(/\s+/)[0]).sort()).toEqual(["failed", "posted", "posted", "unchanged"]);
    for (const line of body) expect(line).not.toMatch(/^[-─━=+|\s]+$/);
    // Aligned: every row's LEARNER starts where the header's does.
    const at = lines[header]!.indexOf("LEARNER");
    for (const line of body) expect(line.slice(at - 2, at)).toBe("  ");
    expect(body.join("\n")).toContain(course.name.slice(0, 10));
    expect(body.find((l) => l.startsWith("unchanged"))).toContain(same);
    expect(body.find((l) => l.startsWith("failed"))).toMatch(/HTTP 403/);
  }, 120_000);

  it("a run of 60,000 posted scores: every row listed in --json and piped, and `| head -1` ends quietly", async () => {
    const { w, changed, second } = await twoRuns();
    const db = new Database(w.box.db);
    const sub = w.lmsUser(changed);
    // The run's own rows, repeated: what a large run leaves in the state.
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
       INSERT INTO run_scores (run_id, column_id, lms_user_id, kind, score_given, score_maximum, outcome)
       SELECT ?, (SELECT column_id FROM run_scores WHERE run_id = ? LIMIT 1), ?, 'new', i % 100, 100, 'accepted' FROM n`,
    ).run(second, second, sub);
    db.close();
    const json = await shown(w, [String(second), "--posted"]);
    expect(json.items).toHaveLength(60_002);
    expect(json.listed.posted).toBe(60_002);
    expect(json.items.at(-1)).toMatchObject({ status: "posted", externalId: changed, scoreGiven: 0 });
    const piped = await w.ok(["sync", "show", String(second), "--posted"]);
    expect(piped.stdout.split("\n").filter((l) => l.startsWith("posted\t"))).toHaveLength(60_002);
    expect(piped.stderr).toMatch(/posted: 60002 listed, the run counted 2/);
    for (const flags of [[], ["--json"]]) {
      const head = spawnSync(
        "bash",
        [
          "-c",
          `set -o pipefail; "${process.execPath}" "${binPath}" sync show ${second} ${flags.join(" ")} | head -1`,
        ],
        { env: { ...process.env, NO_COLOR: "1", GG4L_DB: w.box.db, GG4L_TENANT: "uni" }, encoding: "utf8" },
      );
      expect(head.stderr).not.toMatch(/EPIPE|node:events|Error:/);
      expect(head.status, head.stderr).toBe(0);
      expect(head.stdout.split("\n")).toHaveLength(2);
    }
  }, 180_000);
});
