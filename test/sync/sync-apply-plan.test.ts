/**
 * `sync apply plan.json` applies the file, exactly (terraform-style: what was reviewed is what
 * happens): an edited file is refused (exit 6, "was edited"), a file whose state moved on is
 * refused (exit 6, "stale"), and an intact one posts exactly its items and creates exactly its
 * columns.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { fingerprintOfEntries, type PlanEntry } from "../../src/core/sync/plan.js";
import { parseJson } from "../helpers/gg4l.js";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface PlanFile {
  fingerprint: string;
  items: PlanEntry[];
}

const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as PlanFile;
const write = (path: string, file: PlanFile) => writeFileSync(path, JSON.stringify(file, null, 2));

describe("sync apply: the plan file, exactly", () => {
  it("refuses an edited file (exit 6) and a stale one (exit 6); an intact file posts exactly its items and creates exactly its columns", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "course" });
    const w = world;
    const course = w.courses.find((c) => c.items.length >= 2) as Course;
    const [ana, ben] = w.members as [string, string];
    const link = w.publish({ courseId: course.id });
    for (const [i, learner] of [ana, ben].entries()) {
      w.setGrade(learner, course.id, {
        items: Object.fromEntries(course.items.map((it, n) => [it.id, 40 + 10 * i + n + 0.1 * (n % 3)])),
      });
      w.launch(learner, link, { courseId: course.id });
    }
    // Scores whose shortest decimal form SQLite and JavaScript write differently hash alike.
    w.setGrade(ana, course.id, {
      items: { [course.items[0]!.id]: 83.33333333333334, [course.items[1]!.id]: 0.1 + 0.2 },
    });
    await w.ok(["sync", "daily", "--dry-run"]);
    const plan = `${w.box.dir}/plan.json`;
    await w.ok(["sync", "grades", "--dry-run", "--plan-out", plan]);
    const original = read(plan);
    const posts = original.items.filter((e) => e.action === "post");
    const columns = original.items.filter((e) => e.action === "create-column");
    expect(columns).toHaveLength(course.items.length);
    expect(posts).toHaveLength(2 * course.items.length);
    // The file's items hash to its fingerprint, which is the state's.
    expect(fingerprintOfEntries(original.items)).toBe(original.fingerprint);

    const refused = async (file: PlanFile, pattern: RegExp) => {
      write(plan, file);
      const r = await w.gg4l(["sync", "apply", plan]);
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(pattern);
      expect(w.lms.posts()).toHaveLength(0);
      expect(w.lms.gradebook().lineItems.filter((li) => li.resourceLinkId === link.linkId)).toHaveLength(0);
    };
    const edited = /was edited: its items do not match its fingerprint/;
    // Items removed (the observed case: all 336 were posted anyway), a score changed, a column dropped.
    await refused({ ...original, items: columns }, edited);
    await refused({ ...original, items: [] }, edited);
    await refused(
      { ...original, items: original.items.map((e) => (e === posts[0] ? { ...e, scoreGiven: 100 } : e)) },
      edited,
    );
    await refused({ ...original, items: original.items.filter((e) => e !== columns[0]) }, edited);
    const { items: _gone, ...noItems } = original;
    await refused(noItems as PlanFile, edited);
    // Edited and re-fingerprinted: it no longer matches what the state plans, so it is stale.
    const trimmed = original.items.filter((e) => e !== posts[0]);
    await refused({ ...original, items: trimmed, fingerprint: fingerprintOfEntries(trimmed) }, /is stale/);

    write(plan, original);
    const applied = parseJson<{ counts: { posted: number; columnsCreated: number } }>(
      await w.ok(["sync", "apply", plan, "--json"]),
    );
    expect(applied.counts).toMatchObject({ posted: posts.length, columnsCreated: columns.length });
    const created = w.lms.gradebook().lineItems.filter((li) => li.resourceLinkId === link.linkId);
    expect(created.map((li) => li.resourceId).sort()).toEqual(columns.map((c) => c.itemId).sort());
    const sent = w.lms.posts().map((p) => `${p.userId}:${p.score.scoreGiven}`);
    expect(sent.sort()).toEqual(posts.map((p) => `${p.lmsUserId}:${p.scoreGiven}`).sort());
  });
});
