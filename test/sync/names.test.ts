/**
 * Names, not ids (issue 21): Option B columns carry their course's name, the dry run and
 * Coursera's errors name courses and items (ids kept in --json), `learners show` says what
 * happens to a learner's grades in the dry run's own words, and `sync grades` with no pulled
 * grades names the command that pulls them.
 */
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { parseJson } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal } from "../helpers/pty.js";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Run {
  status: string;
  counts: { posted: number; columnsCreated: number; columnsFound: number };
}
interface Entry {
  action: string;
  reason?: string;
  because?: string;
  courseId: string;
  courseName: string | null;
  itemId: string | null;
  itemName: string | null;
  externalId?: string;
  label?: string;
}
interface DryRun {
  items: Entry[];
  summary: { gradesInState: boolean; posts: { total: number } };
}

const live = async (w: World) => parseJson<Run>(await w.ok(["sync", "grades", "--json"]));
const dryRun = async (w: World, ...args: string[]) =>
  parseJson<DryRun>(await w.ok(["sync", "grades", "--dry-run", "--json", ...args]));
const graded = (w: World): Course[] => w.courses.filter((c) => c.items.length >= 2);

/** Give an item of the state another name, as Coursera may have named it. */
function renameItem(w: World, courseId: string, itemId: string, name: string): void {
  const db = new Database(w.box.db);
  try {
    db.prepare("UPDATE items SET name = ? WHERE course_id = ? AND item_id = ?").run(name, courseId, itemId);
  } finally {
    db.close();
  }
}

describe("Option B column names", () => {
  it("two courses with an item of the same name give two columns, each named after its course; a column made under the old name is found, not made again", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "course" });
    const w = world;
    const [c1, c2] = graded(w) as [Course, Course];
    const ana = w.members[0]!;
    for (const c of [c1, c2])
      w.setGrade(ana, c.id, { items: Object.fromEntries(c.items.map((it, i) => [it.id, 60 + i])) });
    const link1 = w.publish({ courseId: c1.id });
    const link2 = w.publish({ courseId: c2.id });
    w.launch(ana, link1, { courseId: c1.id });
    w.launch(ana, link2, { courseId: c2.id });
    // What an older gg4l made: a column named after the item alone, in the LMS only (its state is lost).
    const old = c1.items[1]!;
    w.lms.addLineItem({
      contextId: w.lms.contextId,
      label: old.name,
      scoreMaximum: 100,
      resourceId: old.id,
      resourceLinkId: link1.linkId,
      tag: "coursera-item",
    });
    await w.ok(["sync", "daily", "--dry-run"]);
    const shared = "Quiz 2: Applying the Basics";
    renameItem(w, c1.id, c1.items[0]!.id, shared);
    renameItem(w, c2.id, c2.items[0]!.id, shared);

    const plan = await dryRun(w);
    const labels = plan.items.filter((e) => e.action === "create-column").map((e) => e.label);
    expect(labels).toContain(`${c1.name} — ${shared}`);
    expect(labels).toContain(`${c2.name} — ${shared}`);
    expect(new Set(labels).size).toBe(labels.length);

    const run = await live(w);
    expect(run.status).toBe("ok");
    expect(run.counts).toMatchObject({
      columnsFound: 1,
      columnsCreated: c1.items.length + c2.items.length - 1,
    });
    const columns = w.lms.gradebook().lineItems;
    const ours = columns.filter((li) => [...c1.items, ...c2.items].some((it) => it.id === li.resourceId));
    expect(ours).toHaveLength(c1.items.length + c2.items.length);
    // The old column keeps the name it has in the gradebook: gg4l does not rename what it finds.
    expect(ours.find((li) => li.resourceId === old.id)!.label).toBe(old.name);
    for (const c of [c1, c2])
      for (const it of c.items.filter((i) => i.id !== old.id)) {
        const name = it.id === c.items[0]!.id ? shared : it.name;
        expect(ours.find((li) => li.resourceId === it.id)!.label).toBe(`${c.name} — ${name}`);
      }
    expect(new Set(ours.map((li) => li.label)).size).toBe(ours.length);

    // Again, nothing is made twice.
    expect((await live(w)).counts).toMatchObject({ posted: 0, columnsCreated: 0, columnsFound: 0 });
    expect(w.lms.gradebook().lineItems).toHaveLength(columns.length);
  });
});

describe("the dry run names courses and items", () => {
  it("--verbose lines say the course and item names; --json keeps the ids and adds the names", async () => {
    world = await syncWorld({ kind: "canvas", gradeSync: "assignment" });
    const w = world;
    const course = graded(w)[0]!;
    const [item1, item2] = course.items as [Course["items"][0], Course["items"][0]];
    const ana = w.members[0]!;
    w.setGrade(ana, course.id, { items: { [item1.id]: 91, [item2.id]: 72 } });
    const link1 = w.publish({ courseId: course.id, itemId: item1.id });
    w.launch(ana, link1, { courseId: course.id, itemId: item1.id });
    await w.ok(["sync", "daily", "--dry-run"]);

    const verbose = await w.ok(["sync", "grades", "--dry-run", "--verbose", "--learner", ana]);
    const lines = verbose.stdout.trim().split("\n");
    const post = lines.find((l) => l.startsWith("post"))!;
    expect(post).toContain(`${course.name} — ${item1.name}`);
    expect(post).not.toContain(`${course.id}/`);
    const skip = lines.find((l) => l.startsWith("skip") && l.includes(item2.name))!;
    expect(skip).toContain(`${course.name} — ${item2.name}`);

    const json = await dryRun(w, "--learner", ana);
    const posted = json.items.find((e) => e.action === "post")!;
    expect(posted).toMatchObject({
      courseId: course.id,
      courseName: course.name,
      itemId: item1.id,
      itemName: item1.name,
    });
    const final = json.items.find((e) => e.itemId === null);
    if (final) expect(final).toMatchObject({ courseName: expect.any(String), itemName: null });
  });
});

describe("learners show says what happens to the grades", () => {
  it("a grade on an item whose link the learner never opened: the dry run's reason, word for word; no grade yet: what comes next", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course = graded(w)[0]!;
    const [item1, item2] = course.items as [Course["items"][0], Course["items"][0]];
    const [ana, ben] = w.members as [string, string];
    w.setGrade(ana, course.id, { items: { [item1.id]: 91, [item2.id]: 72 } });
    const link1 = w.publish({ courseId: course.id, itemId: item1.id });
    const link2 = w.publish({ courseId: course.id, itemId: item2.id });
    w.launch(ana, link1, { courseId: course.id, itemId: item1.id });
    w.launch(ben, link2, { courseId: course.id, itemId: item2.id });
    await w.ok(["sync", "daily", "--dry-run"]);

    const plan = await dryRun(w, "--learner", ana);
    const skipped = plan.items.find((e) => e.action === "skip" && e.itemId === item2.id)!;
    expect(skipped.reason).toBe("never-launched-link");
    const shown = parseJson<{ diagnosis: string[]; unsentGrades: Array<{ courseId: string }> }>(
      await w.ok(["learners", "show", ana, "--offline", "--json"]),
    );
    // The dataset's other grades of hers have no published link at all: said apart.
    expect(shown.unsentGrades.filter((u) => u.courseId === course.id)).toEqual([
      {
        courseId: course.id,
        courseName: course.name,
        itemId: item2.id,
        itemName: item2.name,
        grade: 72,
        reason: "never-launched-link",
        because: skipped.because,
      },
    ]);
    const line = shown.diagnosis.find((d) => d.includes(item2.name))!;
    expect(line).toBe(`1 grade(s) not sent ("${course.name} — ${item2.name}" 72): ${skipped.because}`);
    expect(shown.diagnosis.some((d) => d.includes(item1.name))).toBe(false);

    // A learner Coursera has no grade for: said, with what happens next.
    const db = new Database(w.box.db, { readonly: true });
    const ungraded = w.members.find(
      (m) =>
        db.prepare("SELECT 1 FROM coursera_grades WHERE external_id = ? AND grade IS NOT NULL").get(m) ===
        undefined,
    );
    db.close();
    expect(ungraded).toBeDefined();
    const none = parseJson<{ diagnosis: string[]; unsentGrades: unknown[] }>(
      await w.ok(["learners", "show", ungraded!, "--offline", "--json"]),
    );
    expect(none.unsentGrades).toEqual([]);
    expect(none.diagnosis).toContain(
      "no Coursera grade yet: nothing to send to the LMS until Coursera has one; the next `gg4l sync daily` after that pulls it and posts it",
    );

    // As a person sees it.
    const screen = plainLines(
      (
        await runOnTerminal(["learners", "show", ana, "--offline"], {
          env: { GG4L_DB: w.box.db },
          columns: 400,
        })
      ).screen,
    );
    expect(
      screen.some((l) => l.includes(`• 1 grade(s) not sent ("${course.name} — ${item2.name}" 72)`)),
    ).toBe(true);
  });
});

describe("sync grades before any pull", () => {
  it("says which command pulls the grades, exit 0; --json says gradesInState false", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const piped = await w.gg4l(["sync", "grades", "--dry-run"]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe("");
    expect(piped.stderr).toContain(
      "Nothing to sync: no Coursera grades pulled yet for tenant uni. `sync grades` plans from the grades in the state; `gg4l sync daily` pulls them from Coursera, then posts",
    );
    const json = await dryRun(w);
    expect(json.summary.gradesInState).toBe(false);
    const run = await w.gg4l(["sync", "grades"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("`gg4l sync daily` pulls them from Coursera, then posts");

    const screen = plainLines(
      (await runOnTerminal(["sync", "grades", "--dry-run"], { env: { GG4L_DB: w.box.db }, columns: 300 }))
        .screen,
    );
    expect(screen.some((l) => l.includes("no Coursera grades pulled yet for tenant uni"))).toBe(true);

    await w.ok(["sync", "daily", "--dry-run"]);
    expect((await dryRun(w)).summary.gradesInState).toBe(true);
  });
});

describe("Coursera errors name what the state knows", () => {
  it("a course whose items Coursera keeps failing to give is named, its id kept", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    w.coursera.addFault({ kind: "serverError", count: 1000, path: "courseGradebookReports" });
    const failed = await w.gg4l(["courses", "refresh", "--all"]);
    expect(failed.code).not.toBe(0);
    const m = /reading the items of course "([^"]+)" \(([^)]+)\)/.exec(failed.stderr);
    expect(m, failed.stderr).not.toBeNull();
    expect(w.courses.find((c) => c.id === m![2])?.name).toBe(m![1]);
  });
});
