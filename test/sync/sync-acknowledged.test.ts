/**
 * R9 end to end: a score is delivered only when the LMS acknowledged it as its personality
 * documents. A 200 login page from a proxy fails the item and the next run sends it again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseJson } from "../helpers/gg4l.js";
import { syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Run {
  runId: number;
  status: string;
  counts: { posted: number; failed: number };
  failures: Array<{ message: string }>;
}

describe("a score is acknowledged only by the LMS's documented answer (R9)", () => {
  it("a score POST answered 200 with an HTML page fails that item (exit 5), is not recorded as sent, and the next run posts it", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course = w.courses.find((c) => c.items.length >= 1)!;
    const item = course.items[0]!;
    const [ana, ben] = w.members as [string, string];
    const link = w.publish({ courseId: course.id, itemId: item.id });
    w.setGrade(ana, course.id, { items: { [item.id]: 26 } });
    w.setGrade(ben, course.id, { items: { [item.id]: 81 } });
    w.launch(ana, link, { courseId: course.id, itemId: item.id });
    w.launch(ben, link, { courseId: course.id, itemId: item.id });
    await w.ok(["sync", "daily", "--dry-run"]);

    w.lms.addFaults({ route: "scores", type: "login-page" });
    const first = await w.gg4l(["sync", "grades", "--max-concurrency", "1", "--json"]);
    expect(first.code).toBe(5);
    const run = parseJson<Run>(first);
    expect(run.status).toBe("partial");
    expect(run.counts).toMatchObject({ posted: 1, failed: 1 });
    expect(run.failures[0]!.message).toMatch(
      /did not acknowledge it \(HTTP 200, text\/html; charset=utf-8, "<!DOCTYPE html>"/,
    );
    const graded = () => w.lms.gradebook().lineItems.flatMap((li) => li.grades).length;
    expect(graded()).toBe(1);

    // The dry run does not call it "unchanged since the LMS acknowledged it": it is planned again.
    const dry = parseJson<{ summary: { posts: { total: number }; skipped: Record<string, number> } }>(
      await w.ok(["sync", "grades", "--dry-run", "--json"]),
    );
    expect(dry.summary.posts.total).toBe(1);
    expect(dry.summary.skipped.unchanged).toBe(1);

    const second = parseJson<Run>(await w.ok(["sync", "grades", "--json"]));
    expect(second.counts).toMatchObject({ posted: 1, failed: 0 });
    expect(graded()).toBe(2);
    expect(w.lms.posts().filter((p) => p.applied)).toHaveLength(2);
  });
});
