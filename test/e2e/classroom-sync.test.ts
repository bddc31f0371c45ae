/**
 * Google Classroom end to end: `gg4l classroom publish` creates the course work (idempotently),
 * and the grade sync matches roster students by e-mail and writes their grades through the
 * Classroom API — for each grade-sync option, with ownership refusals, non-teachers, quota
 * throttling, returns and incremental re-runs.
 */
import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type ClassroomWorld, classroomWorld, gradedCourse } from "../helpers/classroom-world.js";
import { parseJson } from "../helpers/gg4l.js";

let world: ClassroomWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Published {
  created: number;
  found: number;
  columns: Array<{
    itemId: string | null;
    courseWorkId: string;
    columnRef: string;
    title: string;
    created: boolean;
    link: string | null;
  }>;
  failures: unknown[];
}
interface Daily {
  run: {
    runId: number;
    status: string;
    counts: { posted: number; failed: number; columnsCreated: number; columnsFound: number };
  };
  plan: { skipped: Record<string, number>; posts: { total: number } };
}

const publish = async (w: ClassroomWorld, ...args: string[]) =>
  parseJson<Published>(
    await w.ok(["classroom", "publish", "--classroom-course", w.classroom.courseId, ...args, "--json"]),
  );
const daily = async (w: ClassroomWorld) => parseJson<Daily>(await w.ok(["sync", "daily", "--json"]));
const ourWork = (w: ClassroomWorld) =>
  w.classroom
    .gradebook(w.classroom.courseId)
    .courseWork.filter((cw) => cw.createdBy === w.classroom.projectId);

describe("classroom publish", () => {
  it("creates one course work per gradable item, linked to Coursera, and finds it again instead of duplicating", async () => {
    world = await classroomWorld({ gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const first = await publish(w, "--course", course.name);
    expect(first).toMatchObject({ created: course.items.length, found: 0, failures: [] });
    expect(first.columns.map((c) => c.itemId)).toEqual(course.items.map((i) => i.id));
    for (const c of first.columns)
      expect(c.link).toMatch(new RegExp(`^https://www\\.coursera\\.org/learn/.+/item/${c.itemId}$`));
    const second = await publish(w, "--course", course.id);
    expect(second).toMatchObject({ created: 0, found: course.items.length });
    expect(second.columns.map((c) => c.courseWorkId)).toEqual(first.columns.map((c) => c.courseWorkId));
    expect(ourWork(w)).toHaveLength(course.items.length);

    // The state forgets what it published (restored from an old backup): gg4l's markers find the columns.
    w.db().exec("DELETE FROM classroom_course_work; DELETE FROM links;");
    const third = await publish(w, "--course", course.id);
    expect(third).toMatchObject({ created: 0, found: course.items.length });
    expect(ourWork(w)).toHaveLength(course.items.length);
    const links = w
      .db()
      .prepare(
        "SELECT lineitem_url AS url, item_id AS itemId, connected_at AS connectedAt, program_id AS programId FROM links",
      )
      .all() as Array<Record<string, string>>;
    expect(links).toHaveLength(course.items.length);
    for (const l of links) {
      expect(l.connectedAt).toBeTruthy();
      expect(l.programId).toBe(w.programId);
      expect(first.columns.map((c) => c.columnRef)).toContain(l.url);
    }
  });

  it("refuses what does not fit: --item under final, an unknown Classroom course, a missing flag", async () => {
    world = await classroomWorld({ gradeSync: "final" });
    const w = world;
    const course = gradedCourse(w);
    const withItem = await w.gg4l([
      "classroom",
      "publish",
      "--classroom-course",
      w.classroom.courseId,
      "--course",
      course.id,
      "--item",
      course.items[0]!.id,
    ]);
    expect(withItem.code).toBe(2);
    expect(withItem.stderr).toMatch(/--item does not apply/);
    const unknown = await w.gg4l([
      "classroom",
      "publish",
      "--classroom-course",
      "999999",
      "--course",
      course.id,
    ]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no Classroom course 999999 \(as seen by t…@school\.test\)/);
    const missingFlag = await w.gg4l(["classroom", "publish", "--course", course.id]);
    expect(missingFlag.code).toBe(2);
    expect(ourWork(w)).toHaveLength(0);
  });
});

describe("the dry run and the live run agree on Classroom (issue 17, point 5)", () => {
  type Plan = { posts: Record<string, number>; skipped: Record<string, number> };
  it("with nothing changed in between, the dry run's counts per action are the live run's, no-SSO on and off, the roster read by both", async () => {
    world = await classroomWorld({ gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const [ana, ben, cy] = w.students as [string, string, string];
    for (const [i, s] of [ana, ben, cy].entries())
      w.setGrade(s, course.id, { items: { [course.items[0]!.id]: 60 + i } });
    await publish(w, "--course", course.id);
    // Cy leaves the Classroom course before the grades are pulled.
    w.classroom.unenrol(w.classroom.courseId, cy);
    await w.ok(["sync", "daily", "--dry-run"]);
    for (const noSso of ["off", "on"]) {
      await w.ok(["settings", "set", "no-sso", noSso]);
      const dry = parseJson<{ summary: Plan }>(await w.ok(["sync", "grades", "--dry-run", "--json"]));
      const live = parseJson<{ summary: Plan; counts: { posted: number } }>(
        await w.ok(["sync", "grades", "--json"]),
      );
      expect({ posts: live.summary.posts, skipped: live.summary.skipped }).toEqual({
        posts: dry.summary.posts,
        skipped: dry.summary.skipped,
      });
      expect(live.counts.posted).toBe(dry.summary.posts.total);
      // Cy comes back to the course: the next dry run reads the roster again, as the live run will.
      w.classroom.enrol(w.classroom.courseId, cy);
    }
    expect(w.gradeOf(cy, course.items[0]!.name)).toMatchObject({ assignedGrade: 62 });
  }, 180_000);
});

describe("grade sync through the Classroom API", () => {
  it("Option A: roster students matched by e-mail get their item grades; the incremental re-run posts nothing", async () => {
    world = await classroomWorld({ gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const [ana, ben] = w.students as [string, string];
    const [i1, i2] = course.items as [{ id: string; name: string }, { id: string; name: string }];
    w.setGrade(ana, course.id, { items: { [i1.id]: 91, [i2.id]: 72.5 } });
    w.setGrade(ben, course.id, { items: { [i1.id]: 64 } });
    await publish(w, "--course", course.id);

    const first = await daily(w);
    expect(first.run.status).toBe("ok");
    expect(first.run.counts.posted).toBeGreaterThanOrEqual(3);
    expect(w.gradeOf(ana, i1.name)).toMatchObject({ assignedGrade: 91, draftGrade: 91 });
    expect(w.gradeOf(ana, i2.name)).toMatchObject({ assignedGrade: 72.5, draftGrade: 72.5 });
    expect(w.gradeOf(ben, i1.name)).toMatchObject({ assignedGrade: 64 });
    expect(w.gradeOf(w.stranger, i1.name)).toMatchObject({ assignedGrade: null });

    const posts = w.classroom.posts().length;
    const again = await daily(w);
    expect(again.run.counts.posted).toBe(0);
    expect(again.plan.skipped.unchanged).toBe(first.run.counts.posted);
    expect(w.classroom.posts().length).toBe(posts);

    // A changed grade is the only thing sent.
    w.setGrade(ben, course.id, { items: { [i1.id]: 70 } });
    const changed = await daily(w);
    expect(changed.run.counts.posted).toBe(1);
    expect(w.gradeOf(ben, i1.name)).toMatchObject({ assignedGrade: 70 });
  });

  it("Option B: publishing one item leaves the others to the sync, which creates them once in the Classroom course", async () => {
    world = await classroomWorld({ gradeSync: "course" });
    const w = world;
    const course = gradedCourse(w);
    const ana = w.students[0]!;
    w.setGrade(ana, course.id, { items: Object.fromEntries(course.items.map((it, i) => [it.id, 50 + i])) });
    const published = await publish(w, "--course", course.id, "--item", course.items[0]!.id);
    expect(published.created).toBe(1);
    const first = await daily(w);
    expect(first.run.status).toBe("ok");
    expect(first.run.counts.columnsCreated).toBe(course.items.length - 1);
    const second = await daily(w);
    expect(second.run.counts.columnsCreated).toBe(0);
    expect(ourWork(w)).toHaveLength(course.items.length);
    course.items.forEach((it, i) => {
      expect(w.gradeOf(ana, it.name)).toMatchObject({ assignedGrade: 50 + i });
    });
    // Publishing the whole course now finds every column the sync made.
    expect(await publish(w, "--course", course.id)).toMatchObject({ created: 0, found: course.items.length });
  });

  it("final: one column per course carries the final grade once Coursera marks the course completed", async () => {
    world = await classroomWorld({ gradeSync: "final" });
    const w = world;
    const course = gradedCourse(w);
    const [ana, ben] = w.students as [string, string];
    w.setGrade(ana, course.id, { course: 88, completed: true });
    w.setGrade(ben, course.id, { course: 41, completed: false });
    const published = await publish(w, "--course", course.id);
    expect(published.columns).toHaveLength(1);
    expect(published.columns[0]).toMatchObject({
      itemId: null,
      title: `${course.name} (Coursera final grade)`,
    });
    const run = await daily(w);
    expect(run.run.status).toBe("ok");
    expect(w.gradeOf(ana, published.columns[0]!.title)).toMatchObject({ assignedGrade: 88 });
    expect(w.gradeOf(ben, published.columns[0]!.title)).toMatchObject({ assignedGrade: null });
    expect(run.plan.skipped["not-completed"]).toBeGreaterThanOrEqual(1);
  });

  it("course work another Google Cloud project created is refused clearly, and the rest of the sync goes on (exit 5)", async () => {
    world = await classroomWorld({ gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const [i1, i2] = course.items as [{ id: string; name: string }, { id: string; name: string }];
    const ana = w.students[0]!;
    w.setGrade(ana, course.id, { items: { [i1.id]: 81, [i2.id]: 79 } });
    await publish(w, "--course", course.id, "--item", i1.id);
    // gg4l moves to another project's service account: what the first project created is no longer its own.
    const otherKey = await w.classroom.addProject({ id: "new-gg4l-project" });
    const otherFile = `${w.box.dir}/other-sa.json`;
    writeFileSync(otherFile, JSON.stringify(otherKey), { mode: 0o600 });
    await w.ok(["lms", "register", ...w.classroom.registerArgs(otherFile, "assignment")]);
    await publish(w, "--course", course.id, "--item", i2.id);

    const result = await w.gg4l(["sync", "daily", "--json"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/partly failed: \d+ of \d+ score\(s\) posted, \d+ failed/);
    expect(w.gradeOf(ana, i2.name)).toMatchObject({ assignedGrade: 79 });
    expect(w.gradeOf(ana, i1.name)).toMatchObject({ assignedGrade: null });
    const runs = parseJson<Array<{ id: number }>>(await w.ok(["sync", "runs", "--json"]));
    const shown = parseJson<{ failures: Array<{ itemId: string; message: string }> }>(
      await w.ok(["sync", "show", String(runs[0]!.id), "--json"]),
    );
    expect(shown.failures.length).toBeGreaterThanOrEqual(1);
    for (const f of shown.failures) {
      expect(f.itemId).toBe(i1.id);
      expect(f.message).toMatch(/created by another Google Cloud project.*only the creating project/);
    }
    const refused = w.classroom.posts().filter((p) => p.status === 403);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.error).toMatch(/^@ProjectPermissionDenied /);
    // sync show names what was posted to Classroom: the learner, the course and the course work.
    const items = parseJson<{ items: Array<Record<string, unknown>> }>(
      await w.ok(["sync", "show", String(runs[0]!.id), "--posted", "--json"]),
    ).items;
    expect(items.length).toBeGreaterThanOrEqual(1);
    expect(items.find((i) => i.externalId === ana)).toMatchObject({ itemId: i2.id, scoreGiven: 79 });
    for (const item of items) {
      expect(item).toMatchObject({ status: "posted", itemId: i2.id, column: expect.any(String) });
      expect(item.course).toEqual(expect.any(String));
      expect(item.email).toEqual(expect.any(String));
    }
  });

  it("acting as a user who does not teach the course is refused clearly (exit 4), for publish, check and sync", async () => {
    world = await classroomWorld({ gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    w.setGrade(w.students[0]!, course.id, { items: { [course.items[0]!.id]: 90 } });
    await publish(w, "--course", course.id, "--item", course.items[0]!.id);
    const args = w.classroom
      .registerArgs(w.keyFile, "assignment")
      .map((a) => (a === w.classroom.teacher ? w.classroom.domainAdmin : a));
    await w.ok(["lms", "register", ...args]);

    const pub = await w.gg4l([
      "classroom",
      "publish",
      "--classroom-course",
      w.classroom.courseId,
      "--course",
      course.id,
    ]);
    expect(pub.code).toBe(4);
    // E-mails are redacted in messages: a…@school.test.
    expect(pub.stderr).toMatch(
      /Classroom refused a…@school\.test \(Classroom said: The caller does not have permission\)/,
    );
    expect(pub.stderr).toMatch(/teacher of Classroom course/);
    expect(pub.stderr).toMatch(/--course-teacher/);

    const check = await w.gg4l(["lms", "check", "--json"]);
    expect(check.code).toBe(4);
    const rows = parseJson<{ checks: Array<{ check: string; status: string; message: string }> }>(
      check,
    ).checks;
    expect(rows.find((c) => c.check === `course ${w.classroom.courseId}`)).toMatchObject({ status: "fail" });

    const sync = await w.gg4l(["sync", "daily"]);
    expect(sync.code).toBe(4);
    expect(sync.stderr).toMatch(/teacher of Classroom course/);
    expect(w.classroom.posts().filter((p) => p.status === 200)).toHaveLength(0);
  });

  it("quota errors (429 RESOURCE_EXHAUSTED) are retried with backoff until the grades land", async () => {
    world = await classroomWorld({ gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const item = course.items[0]!;
    for (const [i, s] of w.students.entries()) w.setGrade(s, course.id, { items: { [item.id]: 60 + i } });
    await publish(w, "--course", course.id, "--item", item.id);
    w.classroom.addFaults({ route: "submissions", method: "PATCH", type: "status", status: 429, times: 3 });
    w.classroom.addFaults({
      route: "submissions",
      method: "GET",
      type: "status",
      status: 429,
      retryAfter: 0,
      times: 1,
    });
    const run = await daily(w);
    expect(run.run.status).toBe("ok");
    expect(run.run.counts.posted).toBe(w.students.length);
    w.students.forEach((s, i) => {
      expect(w.gradeOf(s, item.name)).toMatchObject({ assignedGrade: 60 + i });
    });
    const statuses = w.classroom
      .requests()
      .filter((r) => r.path.includes("/studentSubmissions"))
      .map((r) => r.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    expect(w.classroom.setFaults({}).faults).toEqual([]);
  });

  it("classroom-return on: turned-in work is returned (released); the rest is written, not released", async () => {
    world = await classroomWorld({ gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const item = course.items[0]!;
    const [ana, ben] = w.students as [string, string];
    w.setGrade(ana, course.id, { items: { [item.id]: 95 } });
    w.setGrade(ben, course.id, { items: { [item.id]: 55 } });
    const published = await publish(w, "--course", course.id, "--item", item.id);
    await w.ok(["settings", "set", "classroom-return", "on"]);
    w.classroom.turnIn(w.classroom.courseId, published.columns[0]!.courseWorkId, ana);
    const result = await w.ok(["sync", "daily"]);
    expect(result.stderr).toMatch(/grade written, not released/);
    expect(w.gradeOf(ana, item.name)).toMatchObject({ state: "RETURNED", assignedGrade: 95 });
    expect(w.gradeOf(ben, item.name)).toMatchObject({ state: "NEW", assignedGrade: 55, draftGrade: 55 });
    expect(w.classroom.notifications().map((n) => n.userId)).toEqual([w.userId(ana)]);
  });
});

describe("learners: Classroom roster matched to Coursera by e-mail", () => {
  it("shows each student's match, why a student is unmatched, and why a program member gets no grade", async () => {
    world = await classroomWorld({ gradeSync: "assignment", students: 2 });
    const w = world;
    const course = gradedCourse(w);
    await publish(w, "--course", course.id, "--item", course.items[0]!.id);
    const before = parseJson<{ students: unknown[] }>(await w.ok(["classroom", "roster", "--json"]));
    expect(before.students).toEqual([]);
    const roster = parseJson<{
      students: Array<{ email: string; status: string; externalId: string | null; diagnosis: string | null }>;
      counts: { students: number; matched: number; unmatched: number };
      missingLearners: Array<{ externalId: string; diagnosis: string }>;
    }>(await w.ok(["classroom", "roster", "--refresh", "--json"]));
    expect(roster.counts).toEqual({ students: 3, matched: 2, unmatched: 1 });
    for (const s of w.students)
      expect(roster.students.find((r) => r.email === s)).toMatchObject({
        status: "matched",
        externalId: s,
        diagnosis: null,
      });
    const stranger = roster.students.find((r) => r.email === w.stranger)!;
    expect(stranger.status).toBe("no-coursera-learner");
    expect(stranger.diagnosis).toMatch(
      /no Coursera learner of this tenant has not\.on\.coursera@school\.test/,
    );

    // A program member who is no Classroom student: named, with the reason and the fix.
    const outsider = roster.missingLearners[0]!;
    expect(outsider.diagnosis).toMatch(/not in any Classroom roster/);
    w.setGrade(outsider.externalId, course.id, { items: { [course.items[0]!.id]: 70 } });
    await w.ok(["sync", "daily", "--dry-run"]);
    const plan = parseJson<{ items: Array<{ action: string; reason?: string; itemId?: string }> }>(
      await w.ok(["sync", "grades", "--dry-run", "--json", "--learner", outsider.externalId]),
    );
    expect(plan.items.find((i) => i.itemId === course.items[0]!.id)).toMatchObject({
      action: "skip",
      reason: "not-in-lms-roster",
    });
    interface Shown {
      classroom: { status: string; entries: Array<{ classroomCourseId: string; userId: string }> } | null;
      diagnosis: string[];
    }
    const student = parseJson<Shown>(await w.ok(["learners", "show", w.students[0]!, "--offline", "--json"]));
    expect(student.classroom).toMatchObject({
      status: "matched",
      entries: [{ classroomCourseId: w.classroom.courseId, userId: w.userId(w.students[0]!) }],
    });
    expect(student.diagnosis.join("\n")).toMatch(/matched by e-mail to the Classroom roster/);
    expect(student.diagnosis.join("\n")).not.toMatch(/never launched/);
    const missing = parseJson<Shown>(
      await w.ok(["learners", "show", outsider.externalId, "--offline", "--json"]),
    );
    expect(missing.classroom).toMatchObject({ status: "not-in-roster", entries: [] });
    expect(missing.diagnosis.join("\n")).toMatch(/not in any Classroom roster gg4l read/);
    expect((await w.ok(["learners", "show", w.students[0]!, "--offline"])).stdout).toMatch(
      /classroom\s+matched: course/,
    );
    const human = await w.ok(["classroom", "roster"]);
    expect(human.stdout).toMatch(/no-coursera-learner/);
    expect(human.stderr).toMatch(/2 of 3 student\(s\) matched/);
  });
});
