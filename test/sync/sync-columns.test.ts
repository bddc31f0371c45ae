/**
 * One column per Coursera item per LMS context: a course published twice into one context
 * (Option B, final) shares its columns; every score goes there once, whichever link the
 * learner launched.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseJson } from "../helpers/gg4l.js";
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
const live = async (w: World) => parseJson<Run>(await w.ok(["sync", "grades", "--json"]));
const gradedCourse = (w: World): Course => w.courses.find((c) => c.items.length >= 2)!;

describe.each(["moodle", "canvas"] as const)("%s", (kind) => {
  it("Option B: a second link to the same course in the context shares the columns; each score is posted once", async () => {
    world = await syncWorld({ kind, gradeSync: "course" });
    const w = world;
    const course = gradedCourse(w);
    const [ana, ben] = w.members as [string, string];
    for (const who of [ana, ben])
      w.setGrade(who, course.id, { items: Object.fromEntries(course.items.map((it, i) => [it.id, 60 + i])) });
    const first = w.publish({ courseId: course.id });
    const second = w.publish({ courseId: course.id });
    w.launch(ana, first, { courseId: course.id });
    // ben only ever opened the second link: his grades still flow, to the same columns.
    w.launch(ben, second, { courseId: course.id });
    await w.ok(["sync", "daily", "--dry-run"]);

    const run = await live(w);
    expect(run.status).toBe("ok");
    expect(run.counts.columnsCreated).toBe(course.items.length);
    expect(run.counts.posted).toBe(2 * course.items.length);
    const columns = w.lms
      .gradebook()
      .lineItems.filter((li) => course.items.some((it) => it.id === li.resourceId));
    expect(columns).toHaveLength(course.items.length);
    for (const column of columns) {
      expect(column.grades.map((g) => g.userId).sort()).toEqual([w.lmsUser(ana), w.lmsUser(ben)].sort());
    }
    expect((await live(w)).counts).toMatchObject({ posted: 0, columnsCreated: 0 });

    // Both links show the shared columns.
    const links = parseJson<
      Array<{ resourceLinkId: string; columns: Array<{ url: string; acknowledged: number }> }>
    >(await w.ok(["links", "list", "--json"]));
    expect(links.map((l) => l.resourceLinkId).sort()).toEqual([first.linkId, second.linkId].sort());
    for (const l of links) {
      expect(l.columns.map((c) => c.url).sort()).toEqual(columns.map((c) => c.id).sort());
      expect(l.columns.every((c) => c.acknowledged === 2)).toBe(true);
    }
  });
});

describe("final", () => {
  it("two links to the same course in one context: the final grade goes to one column, once", async () => {
    world = await syncWorld({ kind: "blackboard", gradeSync: "final" });
    const w = world;
    const course = gradedCourse(w);
    const ana = w.members[0]!;
    w.setGrade(ana, course.id, { course: 88, completed: true });
    const first = w.publish({ courseId: course.id });
    const second = w.publish({ courseId: course.id });
    w.launch(ana, first, { courseId: course.id });
    w.launch(ana, second, { courseId: course.id });
    await w.ok(["sync", "daily", "--dry-run"]);
    const run = await live(w);
    expect(run.counts.posted).toBe(1);
    const graded = w.lms.gradebook().lineItems.filter((li) => li.grades.length > 0);
    expect(graded.map((li) => li.id)).toEqual([first.lineitemUrl]);
  });
});
