/**
 * gg4l doctor against a whole integration (fake Coursera + fake LMS + a state with an active
 * program): everything passes when it is healthy, and each grade-sync check warns when its
 * problem is there.
 */
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";
import { notPassing, readDoctor } from "./doctor-helpers.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const doctor = async (w: World, env?: Record<string, string>) =>
  readDoctor(await w.gg4l(["doctor", "--json"], env));
const gradedCourse = (w: World): Course => w.courses.find((c) => c.items.length > 0)!;

/** One item link of a graded course, launched by every member of the program. */
function everyoneLaunched(w: World): {
  course: Course;
  link: { linkId: string; lineitemUrl: string | null };
} {
  const course = gradedCourse(w);
  const target = { courseId: course.id, itemId: course.items[0]!.id };
  const link = w.publish(target);
  for (const member of w.members) w.launch(member, link, target);
  return { course, link };
}

/** Moves the finish time of the tenant's sync runs `hours` into the past. */
function ageRuns(w: World, hours: number): void {
  const db = new Database(w.box.db);
  db.prepare("UPDATE sync_runs SET started_at = ?, finished_at = ?").run(
    new Date(Date.now() - (hours + 1) * 3600_000).toISOString(),
    new Date(Date.now() - hours * 3600_000).toISOString(),
  );
  db.close();
}

describe("gg4l doctor on a healthy integration", () => {
  it("passes every check and exits 0", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    everyoneLaunched(world);
    await world.ok(["sync", "daily"]);
    const d = await doctor(world);
    expect(notPassing(d)).toEqual([]);
    expect(d.code).toBe(0);
    expect(d.tenant).toBe("uni");
    expect(d.row("coursera-token").message).toMatch(/token minted .*org "Fake State University"/);
    expect(d.row("lms-scopes").message).toBe("granted: score lineitem lineitem.readonly result.readonly");
    expect(d.row("lms-nrps").message).toMatch(
      /^course rosters can be read: \d+ member\(s\) on the first page/,
    );
    expect(d.row("lms-line-items").message).toMatch(/line item\(s\) in the course/);
    expect(d.row("clock-coursera").message).toMatch(/within \d+ s of this machine's/);
    expect(d.row("daily-sync").message).toMatch(
      /latest daily sync \(run \d+\) was ok and finished \d+ s ago/,
    );
    expect(d.row("never-launched").message).toMatch(/every member of an active program has launched/);
    expect(d.row("licenses").message).toMatch(/licenses to spare in all 1 active program/);
  });
});

describe("gg4l doctor: daily sync", () => {
  it("warns when the daily sync never ran, passes after one, and warns again once it is older than 26 h", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const never = await doctor(world);
    expect(never.row("daily-sync")).toMatchObject({
      status: "warn",
      message: "the daily sync never ran for tenant uni",
    });
    expect(never.row("daily-sync").fix).toMatch(/gg4l sync daily --tenant uni/);

    await world.ok(["sync", "daily"]);
    expect((await doctor(world)).row("daily-sync").status).toBe("pass");

    ageRuns(world, 30);
    const old = await doctor(world);
    expect(old.row("daily-sync")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(/finished 30 h ago: more than 26 h/),
    });
    expect(old.code).toBe(0);
  });
});

describe("gg4l doctor: learners and links that get no grades", () => {
  it("never-launched warns with the count per program while no-SSO is off, and passes once no-SSO is on", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const [first] = world.members as [string];
    const course = gradedCourse(world);
    const target = { courseId: course.id, itemId: course.items[0]!.id };
    world.launch(first, world.publish(target), target);
    const before = await doctor(world);
    const rest = world.members.length - 1;
    expect(before.row("never-launched")).toMatchObject({
      status: "warn",
      message: `${rest} program member(s) never launched a link from the LMS, so they get no grades (no-SSO sync is off): Data Science ${rest}`,
    });
    expect(before.row("never-launched").fix).toMatch(/gg4l learners list --program \S+ --no-sso/);
    // Counts and program names only: no learner e-mail in a row.
    expect(JSON.stringify(before.rows)).not.toContain(first);

    await world.ok(["settings", "set", "no-sso", "on"]);
    expect((await doctor(world)).row("never-launched")).toMatchObject({
      status: "pass",
      message: expect.stringMatching(/no-SSO sync is on/),
    });
  });

  it("stale-links warns once the grade-sync option changed (R1), with the reason and the fix", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    everyoneLaunched(world);
    expect((await doctor(world)).row("stale-links").status).toBe("pass");
    await world.ok(["settings", "set", "grade-sync", "final", "--yes"]);
    const d = await doctor(world);
    expect(d.row("stale-links")).toMatchObject({
      status: "warn",
      message:
        "1 link(s) get no grades because they belong to another grade-sync option: grade-sync changed from assignment to final (1)",
    });
    expect(d.row("stale-links").fix).toMatch(/republish .* under grade-sync final/);
  });

  it("course-links (Option B) warns for courses of active programs with no launched course link, and passes once each is launched", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "course" });
    const graded = world.courses.filter((c) => c.items.length > 0);
    expect(graded.length).toBeGreaterThan(1);
    const [launched, ...others] = graded as [Course, ...Course[]];
    const member = world.members[0]!;
    world.launch(member, world.publish({ courseId: launched.id }), { courseId: launched.id });
    const d = await doctor(world);
    expect(d.row("course-links")).toMatchObject({ status: "warn" });
    expect(d.row("course-links").message).toMatch(
      new RegExp(`^${others.length} course\\(s\\) of the active programs have no launched course link`),
    );
    for (const c of others) expect(d.row("course-links").message).toContain(c.name);
    expect(d.row("course-links").message).not.toContain(launched.name);

    for (const c of others) world.launch(member, world.publish({ courseId: c.id }), { courseId: c.id });
    expect((await doctor(world)).row("course-links")).toMatchObject({
      status: "pass",
      message: expect.stringMatching(/every course/),
    });
  });

  it("course-links has nothing to check under another option", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "final" });
    expect((await doctor(world)).row("course-links")).toMatchObject({
      status: "pass",
      message: expect.stringMatching(/grade-sync is final, not course/),
    });
  });
});

describe("gg4l doctor: incremental sync", () => {
  it("warns when incremental is off and the last runs re-posted unchanged grades", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course = gradedCourse(w);
    const item = course.items[0]!;
    const [ana] = w.members as [string];
    w.setGrade(ana, course.id, { items: { [item.id]: 88 } });
    const target = { courseId: course.id, itemId: item.id };
    w.launch(ana, w.publish(target), target);
    await w.ok(["sync", "daily"]);
    expect((await doctor(w)).row("incremental")).toMatchObject({
      status: "pass",
      message: expect.stringMatching(/incremental sync is on/),
    });

    await w.ok(["settings", "set", "incremental", "off"]);
    expect((await doctor(w)).row("incremental")).toMatchObject({
      status: "pass",
      message: expect.stringMatching(/re-posted no unchanged grade/),
    });

    await w.ok(["sync", "grades"]);
    const d = await doctor(w);
    expect(d.row("incremental")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(
        /incremental sync is off: the last 2 sync run\(s\) re-posted 1 unchanged grade\(s\)/,
      ),
    });
    expect(d.row("incremental").fix).toBe("`gg4l settings set incremental on`");
  });
});
