import { type Course, syncWorld, type World } from "./sync-world.js";

type Item = Course["items"][0];

/**
 * A Moodle world (Option A) whose plan holds every kind of post and every skip a learner can
 * have, state after state: `decisionWorld` seeds new posts and the test learner, never
 * launched, no grade and no connected link; `toState` moves it on. For tests that hold two
 * ways of planning to each other.
 */
export interface DecisionWorld {
  w: World;
  course: Course;
  items: [Item, Item, Item];
  /** ana launched item 1, ben item 2, cid nothing (and has no item 2 grade), dee both, as a test learner. */
  learners: { ana: string; ben: string; cid: string; dee: string };
}

export async function decisionWorld(): Promise<DecisionWorld> {
  const w = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
  const course: Course = w.courses.find((c) => c.items.length >= 3)!;
  const [item1, item2, item3] = course.items as [Item, Item, Item];
  const [ana, ben, cid, dee] = w.members as [string, string, string, string];
  w.setGrade(ana, course.id, { items: { [item1.id]: 91.7, [item2.id]: 72, [item3.id]: 40 } });
  w.setGrade(ben, course.id, { items: { [item1.id]: 64, [item2.id]: 55.55 } });
  w.setGrade(cid, course.id, { items: { [item1.id]: 80, [item2.id]: null } });
  w.setGrade(dee, course.id, { items: { [item1.id]: 33.3, [item2.id]: 2 / 3 } });
  const link1 = w.publish({ courseId: course.id, itemId: item1.id });
  const link2 = w.publish({ courseId: course.id, itemId: item2.id });
  w.launch(ana, link1, { courseId: course.id, itemId: item1.id });
  w.launch(ben, link2, { courseId: course.id, itemId: item2.id });
  w.launch(dee, link1, { courseId: course.id, itemId: item1.id });
  w.launch(dee, link2, { courseId: course.id, itemId: item2.id });
  await w.ok(["sync", "daily", "--dry-run"]);
  await w.ok(["learners", "mark-test", dee]);
  return { w, course, items: [item1, item2, item3], learners: { ana, ben, cid, dee } };
}

/**
 * "changed": after a live run, one grade changed on Coursera (unchanged and changed posts);
 * "incremental-off": the unchanged ones posted again; "no-sso": roster eligibility instead of
 * launches (plan with --offline); "program-inactive": every grade kept out. In this order.
 */
export async function toState(
  d: DecisionWorld,
  state: "changed" | "incremental-off" | "no-sso" | "program-inactive",
): Promise<void> {
  const { w, course, items } = d;
  if (state === "changed") {
    await w.ok(["sync", "grades"]);
    w.setGrade(d.learners.ana, course.id, {
      items: { [items[0].id]: 95, [items[1].id]: 72, [items[2].id]: 40 },
    });
    await w.ok(["sync", "daily", "--dry-run"]);
  } else if (state === "incremental-off") await w.ok(["settings", "set", "incremental", "off"]);
  else if (state === "no-sso") await w.ok(["settings", "set", "no-sso", "on"]);
  else await w.ok(["programs", "deactivate", w.programId]);
}
