import { afterEach, describe, expect, it } from "vitest";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";

/**
 * A dry run that shows only the summary counts its plan without storing it (store/plan.ts
 * countPlan); --verbose builds and lists the whole plan, then prints the same summary. Both
 * must decide alike: through every skip reason and kind of post these states reach, the
 * counted summary is the listed run's summary, line for line.
 */
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function expectCountedAsListed(w: World, ...args: string[]): Promise<string> {
  const counted = await w.ok(["sync", "grades", "--dry-run", ...args]);
  const listed = await w.ok(["sync", "grades", "--dry-run", "--verbose", ...args]);
  expect(counted.stdout.trim().length).toBeGreaterThan(0);
  expect(listed.stdout.endsWith(counted.stdout)).toBe(true);
  // The listing itself is there, above the summary.
  expect(listed.stdout.length).toBeGreaterThan(counted.stdout.length);
  return counted.stdout;
}

describe("a dry run that only counts", () => {
  it("decides every grade as the listed dry run does, whatever the reason and settings", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course: Course = w.courses.find((c) => c.items.length >= 3)!;
    const [item1, item2, item3] = course.items as [
      Course["items"][0],
      Course["items"][0],
      Course["items"][0],
    ];
    const [ana, ben, cid, dee] = w.members as [string, string, string, string];
    w.setGrade(ana, course.id, { items: { [item1.id]: 91, [item2.id]: 72, [item3.id]: 40 } });
    w.setGrade(ben, course.id, { items: { [item1.id]: 64, [item2.id]: 55 } });
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

    // New posts; kept out: test learner, never launched, no grade, no connected link.
    const first = await expectCountedAsListed(w);
    expect(first).toMatch(/never launched/);
    expect(first).toMatch(/test learner/);
    // sync daily --dry-run counts too: after pulling the same grades, the same summary.
    expect((await w.ok(["sync", "daily", "--dry-run"])).stdout).toBe(first);
    await expectCountedAsListed(w, "--learner", ana);

    // After a run: unchanged (incremental on), then changed.
    await w.ok(["sync", "grades"]);
    w.setGrade(ana, course.id, { items: { [item1.id]: 95, [item2.id]: 72, [item3.id]: 40 } });
    await w.ok(["sync", "daily", "--dry-run"]);
    const later = await expectCountedAsListed(w);
    expect(later).toMatch(/unchanged/);
    expect(later).toMatch(/changed score/);

    // Incremental off: the unchanged ones are posted again.
    await w.ok(["settings", "set", "incremental", "off"]);
    expect(await expectCountedAsListed(w)).toMatch(/re-posted/);

    // No-SSO on: roster eligibility instead of launches.
    await w.ok(["settings", "set", "no-sso", "on"]);
    await expectCountedAsListed(w, "--offline");

    // The program deactivated: every grade kept out.
    await w.ok(["programs", "deactivate", w.programId]);
    expect(await expectCountedAsListed(w, "--offline")).toMatch(/not active/);
  });
});
