import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parseJson, type RunResult } from "../helpers/gg4l.js";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Summary {
  columnsToCreate: number;
  posts: { new: number; changed: number; resend: number; total: number };
  skipped: Record<string, number>;
  unchangedResent: number;
  fingerprint: string;
}
interface Run {
  runId: number;
  status: string;
  counts: { posted: number; stale: number; failed: number; columnsCreated: number; columnsFound: number };
  summary: Summary;
}

const dry = async (w: World, ...args: string[]) =>
  parseJson<{
    summary: Summary;
    items: Array<{ action: string; reason?: string; externalId?: string; itemId?: string | null }>;
  }>(await w.ok(["sync", "grades", "--dry-run", "--json", ...args]));
const live = async (w: World, ...args: string[]) =>
  parseJson<Run>(await w.ok(["sync", "grades", "--json", ...args]));
const scoreOf = (
  w: World,
  externalId: string,
  predicate: (li: { resourceId?: string; resourceLinkId?: string }) => boolean,
) => {
  const sub = w.lmsUser(externalId);
  const li = w.lms.gradebook().lineItems.find(predicate);
  return li?.grades.find((g) => g.userId === sub)?.scoreGiven;
};
const gradedCourse = (w: World): Course => w.courses.find((c) => c.items.length >= 2)!;

describe("Option A (assignment): one link per gradable item", () => {
  it("posts a learner's item grade only through a link that learner launched; no-SSO lifts that for program members", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const [item1, item2] = course.items as [Course["items"][0], Course["items"][0]];
    const [ana, ben] = w.members as [string, string];
    w.setGrade(ana, course.id, { items: { [item1.id]: 91, [item2.id]: 72 } });
    w.setGrade(ben, course.id, { items: { [item1.id]: 64, [item2.id]: 55 } });
    const link1 = w.publish({ courseId: course.id, itemId: item1.id });
    const link2 = w.publish({ courseId: course.id, itemId: item2.id });
    w.launch(ana, link1, { courseId: course.id, itemId: item1.id });
    w.launch(ben, link2, { courseId: course.id, itemId: item2.id });
    await w.ok(["sync", "daily", "--dry-run"]);

    const plan = await dry(w, "--learner", ana);
    const anaItems = plan.items.filter(
      (i) => i.externalId === ana && (i.itemId === item1.id || i.itemId === item2.id),
    );
    expect(anaItems.find((i) => i.itemId === item1.id)!.action).toBe("post");
    expect(anaItems.find((i) => i.itemId === item2.id)).toMatchObject({
      action: "skip",
      reason: "never-launched-link",
    });

    const run = await live(w);
    expect(run.status).toBe("ok");
    expect(scoreOf(w, ana, (li) => li.resourceLinkId === link1.linkId)).toBe(91);
    expect(scoreOf(w, ben, (li) => li.resourceLinkId === link2.linkId)).toBe(55);
    expect(scoreOf(w, ana, (li) => li.resourceLinkId === link2.linkId)).toBeUndefined();

    // no-SSO: every member of the program gets grades on every connected link.
    await w.ok(["settings", "set", "no-sso", "on"]);
    const after = await live(w);
    expect(after.counts.posted).toBeGreaterThanOrEqual(2);
    expect(scoreOf(w, ana, (li) => li.resourceLinkId === link2.linkId)).toBe(72);
    expect(scoreOf(w, ben, (li) => li.resourceLinkId === link1.linkId)).toBe(64);
  });

  it("no-SSO finds the LMS user of a learner who never launched through the course roster (NRPS), by e-mail", async () => {
    world = await syncWorld({ kind: "canvas", gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const item = course.items[0]!;
    const [ana, cleo] = w.members as [string, string];
    w.setGrade(cleo, course.id, { items: { [item.id]: 83 } });
    const link = w.publish({ courseId: course.id, itemId: item.id });
    w.launch(ana, link, { courseId: course.id, itemId: item.id });
    w.lmsUser(cleo); // enrolled in the LMS course, never launched
    await w.ok(["sync", "daily", "--dry-run"]);
    expect((await dry(w, "--learner", cleo)).items.find((i) => i.itemId === item.id)?.reason).toBe(
      "never-launched-link",
    );
    await w.ok(["settings", "set", "no-sso", "on"]);
    await live(w);
    expect(scoreOf(w, cleo, (li) => li.resourceLinkId === link.linkId)).toBe(83);
  });
});

describe("Option B (course): one link per course, the sync creates a column per item", () => {
  it("creates the columns once (found by resourceId afterwards), never a duplicate, and posts item grades", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "course" });
    const w = world;
    const course = gradedCourse(w);
    const ana = w.members[0]!;
    w.setGrade(ana, course.id, { items: Object.fromEntries(course.items.map((it, i) => [it.id, 50 + i])) });
    const link = w.publish({ courseId: course.id });
    await w.ok(["sync", "daily", "--dry-run"]);
    expect((await dry(w)).summary.skipped["no-connected-link"]).toBeGreaterThan(0);

    w.launch(ana, link, { courseId: course.id });
    const first = await live(w);
    expect(first.counts.columnsCreated).toBe(course.items.length);
    for (let run = 0; run < 2; run++) {
      const again = await live(w);
      expect(again.counts.columnsCreated).toBe(0);
    }
    const columns = w.lms.gradebook().lineItems.filter((li) => li.resourceLinkId === link.linkId);
    expect(columns).toHaveLength(course.items.length);
    expect(new Set(columns.map((c) => c.resourceId)).size).toBe(course.items.length);
    course.items.forEach((it, i) => {
      expect(scoreOf(w, ana, (li) => li.resourceId === it.id && li.resourceLinkId === link.linkId)).toBe(
        50 + i,
      );
    });
  });

  it("a column that already exists in the LMS is found, not created again (state lost, course copied)", async () => {
    world = await syncWorld({ kind: "canvas", gradeSync: "course" });
    const w = world;
    const course = gradedCourse(w);
    const ana = w.members[0]!;
    w.setGrade(ana, course.id, { items: { [course.items[0]!.id]: 77 } });
    const link = w.publish({ courseId: course.id });
    w.lms.addLineItem({
      contextId: w.lms.contextId,
      label: "existing",
      scoreMaximum: 100,
      resourceId: course.items[0]!.id,
      resourceLinkId: link.linkId,
      tag: "coursera-item",
    });
    w.launch(ana, link, { courseId: course.id });
    await w.ok(["sync", "daily", "--dry-run"]);
    const run = await live(w);
    expect(run.counts.columnsFound).toBe(1);
    expect(run.counts.columnsCreated).toBe(course.items.length - 1);
    expect(w.lms.gradebook().lineItems.filter((li) => li.resourceId === course.items[0]!.id)).toHaveLength(1);
  });
});

describe("final grade", () => {
  it("posts the course grade only once Coursera marks the course completed", async () => {
    world = await syncWorld({ kind: "blackboard", gradeSync: "final" });
    const w = world;
    const course = gradedCourse(w);
    const ana = w.members[0]!;
    w.setGrade(ana, course.id, { course: 88, completed: false });
    const link = w.publish({ courseId: course.id });
    w.launch(ana, link, { courseId: course.id });
    await w.ok(["sync", "daily", "--dry-run"]);
    expect((await dry(w, "--learner", ana, "--course", course.id)).items).toEqual([
      expect.objectContaining({ action: "skip", reason: "not-completed", externalId: ana }),
    ]);
    expect((await live(w)).counts.posted).toBe(0);
    w.setGrade(ana, course.id, { course: 93, completed: true });
    await w.ok(["sync", "daily"]);
    expect(scoreOf(w, ana, (li) => li.resourceLinkId === link.linkId)).toBe(93);
  });
});

describe("incremental sync (R7), test learners", () => {
  it("on: only new and changed scores are posted and unchanged ones cause no notification; off: they are re-posted", async () => {
    world = await syncWorld({ kind: "canvas", gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const item = course.items[0]!;
    const learners = w.members.slice(0, 4);
    const link = w.publish({ courseId: course.id, itemId: item.id });
    learners.forEach((l, i) => {
      w.setGrade(l, course.id, { items: { [item.id]: 60 + i } });
      w.launch(l, link, { courseId: course.id, itemId: item.id });
    });
    await w.ok(["sync", "daily", "--dry-run"]);
    expect((await live(w)).counts.posted).toBe(4);
    const notified = w.lms.notifications().total;
    const posts = w.lms.posts().length;

    const second = await live(w);
    expect(second.counts.posted).toBe(0);
    expect(second.summary.skipped.unchanged).toBe(4);
    expect(w.lms.posts().length).toBe(posts);
    expect(w.lms.notifications().total).toBe(notified);

    w.setGrade(learners[0]!, course.id, { items: { [item.id]: 99 } });
    await w.ok(["sync", "daily", "--dry-run"]);
    const changed = await live(w);
    expect(changed.summary.posts).toMatchObject({ changed: 1, new: 0 });
    expect(scoreOf(w, learners[0]!, (li) => li.resourceLinkId === link.linkId)).toBe(99);

    await w.ok(["settings", "set", "incremental", "off"]);
    const preview = await w.ok(["sync", "grades", "--dry-run"]);
    expect(preview.stderr).toMatch(
      /4 unchanged grade\(s\) would be posted again because incremental sync is off/,
    );
    const resent = await live(w);
    expect(resent.summary.posts.resend).toBe(4);
    expect(resent.counts.posted).toBe(4);
  });

  it("test learners are kept out of grade sync", async () => {
    world = await syncWorld({ kind: "d2l", gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const item = course.items[0]!;
    const [ana, tess] = w.members as [string, string];
    const link = w.publish({ courseId: course.id, itemId: item.id });
    for (const l of [ana, tess]) {
      w.setGrade(l, course.id, { items: { [item.id]: 80 } });
      w.launch(l, link, { courseId: course.id, itemId: item.id });
    }
    await w.ok(["learners", "mark-test", tess]);
    await w.ok(["sync", "daily", "--dry-run"]);
    expect((await dry(w, "--learner", tess)).items.find((i) => i.itemId === item.id)?.reason).toBe(
      "test-learner",
    );
    await live(w);
    expect(scoreOf(w, ana, (li) => li.resourceLinkId === link.linkId)).toBe(80);
    expect(scoreOf(w, tess, (li) => li.resourceLinkId === link.linkId)).toBeUndefined();
  });
});

describe("dry runs and saved plans", () => {
  it("--dry-run changes nothing anywhere; a saved plan applies exactly, and a stale one is refused (exit 6)", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const item = course.items[0]!;
    const [ana, ben] = w.members as [string, string];
    const link = w.publish({ courseId: course.id, itemId: item.id });
    for (const l of [ana, ben]) {
      w.setGrade(l, course.id, { items: { [item.id]: 70 } });
      w.launch(l, link, { courseId: course.id, itemId: item.id });
    }
    await w.ok(["sync", "daily", "--dry-run"]);
    const sha = () => createHash("sha256").update(readFileSync(w.box.db)).digest("hex");
    const before = sha();
    const requests = w.lms.requests().length;
    const plan = `${w.box.dir}/plan.json`;
    const saved = await w.ok(["sync", "grades", "--dry-run", "--plan-out", plan]);
    expect(saved.stderr).toMatch(/Plan saved to/);
    await w.ok(["sync", "grades", "--dry-run", "--verbose"]);
    expect(sha()).toBe(before);
    expect(w.lms.requests().length).toBe(requests);
    const file = JSON.parse(readFileSync(plan, "utf8")) as {
      format: string;
      version: number;
      tenant: string;
      fingerprint: string;
      createdAt: string;
      items: unknown[];
    };
    expect(file).toMatchObject({ format: "gg4l-sync-plan", version: 3, tenant: "uni" });
    expect(file.items).toHaveLength(2);

    w.setGrade(ana, course.id, { items: { [item.id]: 95 } });
    await w.ok(["sync", "daily", "--dry-run"]);
    const stale = await w.gg4l(["sync", "apply", plan]);
    expect(stale.code).toBe(6);
    expect(stale.stderr).toMatch(/is stale: the state changed since it was made/);
    expect(w.lms.posts()).toHaveLength(0);

    await w.ok(["sync", "grades", "--dry-run", "--plan-out", plan]);
    const applied = parseJson<Run>(await w.ok(["sync", "apply", plan, "--json"]));
    expect(applied.counts.posted).toBe(2);
    expect(scoreOf(w, ana, (li) => li.resourceLinkId === link.linkId)).toBe(95);
    writeFileSync(plan, "{not json");
    expect((await w.gg4l(["sync", "apply", plan])).code).toBe(4);
  });

  it("sync runs and sync show record who, when, options, counts and failures; exit 5 when a learner is refused", async () => {
    world = await syncWorld({ kind: "d2l", gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const item = course.items[0]!;
    const [ana, gone] = w.members as [string, string];
    const link = w.publish({ courseId: course.id, itemId: item.id });
    for (const l of [ana, gone]) {
      w.setGrade(l, course.id, { items: { [item.id]: 66 } });
      w.launch(l, link, { courseId: course.id, itemId: item.id });
    }
    // The learner left the LMS course: D2L refuses their score (403 not enrolled).
    w.lms.state.enrolments.get(w.lms.contextId)!.delete(w.lmsUser(gone));
    await w.ok(["sync", "daily", "--dry-run"]);
    const result: RunResult = await w.gg4l(["sync", "grades", "--json"]);
    const runs = parseJson<
      Array<{ id: number; status: string; osUser: string; counts: Record<string, number> }>
    >(await w.ok(["sync", "runs", "--json"]));
    expect(runs[0]!.osUser).not.toBe("");
    expect(result.code).toBe(5);
    expect(parseJson<Run>(result).counts).toMatchObject({ posted: 1, failed: 1 });
    expect(runs[0]).toMatchObject({ status: "partial", counts: { posted: 1, failed: 1 } });
    const shown = parseJson<{ failures: Array<{ externalId: string; message: string }> }>(
      await w.ok(["sync", "show", String(runs[0]!.id), "--json"]),
    );
    expect(shown.failures).toEqual([expect.objectContaining({ externalId: gone })]);
    expect(shown.failures[0]!.message).toMatch(/not enrolled/i);
    expect((await w.gg4l(["sync", "show", "999"])).code).toBe(3);
  });
});
