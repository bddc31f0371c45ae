/**
 * `gg4l sandbox demo`: the whole integration in one run on the embedded sandbox — register,
 * pull and activate, refresh courses, publish through the picker, learners launch and take
 * licenses, a test learner flagged, grades appear, dry run (the test learner kept out), live
 * sync, the gradebook, an incremental re-run that posts nothing, and the test learner removed
 * with its license freed.
 */
import { refreshCourses } from "../core/courses.js";
import { markTest, removeLearners } from "../core/learners.js";
import { listPrograms, pullPrograms, setProgramsActive } from "../core/programs.js";
import { showSettings } from "../core/settings.js";
import { dryRun, syncGrades } from "../core/sync/index.js";
import { skipReasons } from "../core/sync/plan.js";
import { pullGrades } from "../core/sync/pull.js";
import { currentTenant } from "../core/tenants.js";
import { listCourses, listItems } from "../store/courses.js";
import { classroomSide, ltiSide } from "./sides.js";
import { SANDBOX_LEARNERS, type SandboxWorld } from "./world.js";

export interface DemoEvents {
  step(title: string): void;
  detail(line: string): void;
}

export interface DemoResult {
  lms: string;
  gradeSync: string;
  program: { id: string; name: string };
  course: { id: string; name: string };
  published: { links: number; lineItems: number };
  launches: number;
  licenses: {
    before: number;
    afterLaunches: number;
    afterRemoval: number;
    taken: number;
    freed: number;
    total: number;
  };
  sync: { planned: number; posted: number; stale: number; failed: number; skipped: Record<string, number> };
  gradebook: Array<{ column: string; learner: string; score: number | null }>;
  rerun: { posted: number; notifications: number; posts: number };
  removedTestLearners: number;
  dbPath: string;
  throwaway: boolean;
}

export async function runDemo(world: SandboxWorld, events: DemoEvents): Promise<DemoResult> {
  const { ctx, coursera } = world;
  const side = world.classroom ? classroomSide(world) : ltiSide(world);
  const settings = showSettings(ctx);
  const tenant = currentTenant(ctx);
  events.step("Register the tenant and the LMS");
  events.detail(`tenant "${tenant.slug}" → Coursera org ${tenant.courseraOrg} (fake, ${coursera.baseUrl})`);
  events.detail(
    `${settings.lms} at ${settings.issuer} (fake), grade-sync ${settings.gradeSync}, incremental ${settings.incremental ? "on" : "off"}`,
  );
  for (const line of side.describe()) events.detail(line);

  events.step("Pull programs from Coursera and activate one");
  const pulled = await pullPrograms(ctx);
  const chosen = listPrograms(ctx, {})
    .filter((p) => p.licenses.available !== null && p.licenses.available >= SANDBOX_LEARNERS.length)
    .sort((a, b) => (b.licenses.available ?? 0) - (a.licenses.available ?? 0))[0];
  if (!chosen) throw new Error("the sandbox dataset has no program with free licenses");
  await setProgramsActive(ctx, [chosen.id], true);
  events.detail(`${pulled.programs} programs arrived inactive (R2); activated "${chosen.name}"`);

  events.step("Refresh the courses of the active program");
  const refreshed = await refreshCourses(ctx, { all: true });
  const { db } = ctx.state();
  const course = listCourses(db, tenant.id, chosen.id).find((c) => c.itemsKnown && c.itemCount >= 2);
  if (!course) throw new Error(`no course of "${chosen.name}" has known gradable items`);
  const items = listItems(db, tenant.id, course.courseId);
  events.detail(`${refreshed.courses} courses, ${refreshed.itemsAdded.length} gradable items`);

  events.step(side.publishTitle);
  const published = await side.publish(
    { id: chosen.id, name: chosen.name },
    course,
    items,
    settings.gradeSync,
  );
  for (const line of published.details) events.detail(line);

  events.step(side.visitTitle);
  const licensesOf = () => coursera.control.licenses().find((l) => l.programId === chosen.id)!;
  const before = licensesOf();
  const launches = await side.visit(chosen.id);
  const afterLaunches = licensesOf();
  events.detail(
    `${launches} visit(s); licenses ${before.used} → ${afterLaunches.used} of ${afterLaunches.licenseCap}`,
  );

  events.step("Flag the test learner: a license holder kept out of grade sync (R5)");
  await pullPrograms(ctx);
  const tests = SANDBOX_LEARNERS.filter((l) => l.test).map((l) => l.email);
  markTest(ctx, tests, true);
  events.detail(`${tests.length} learner(s) flagged as test; their grades stay out of the LMS`);

  events.step("Coursera grades appear");
  SANDBOX_LEARNERS.forEach((learner, i) => {
    coursera.control.setGrades([
      {
        externalId: learner.email,
        courseId: course.courseId,
        programId: chosen.id,
        items: items.map((item, j) => ({
          itemId: item.itemId,
          grade: 70 + ((i * 7 + j * 5) % 30),
          passed: true,
        })),
        overallCourseGrade: 80 + i * 3,
        isCompleted: true,
        completedAt: Date.parse("2026-11-20T12:00:00Z"),
      },
    ]);
  });
  const grades = await pullGrades(ctx, tenant);
  events.detail(`${grades.grades} grades pulled from the gradebook reports of "${chosen.name}"`);

  events.step("A dry run: what the sync would do, and why");
  const plan = (await dryRun(ctx, {}, {})).summary;
  events.detail(`${plan.posts.total} score(s) to post, ${plan.columnsToCreate} column(s) to create`);
  for (const [reason, count] of Object.entries(plan.skipped)) {
    events.detail(`${count} not sent: ${skipReasons[reason as keyof typeof skipReasons] ?? reason}`);
  }

  events.step("A live sync");
  const run = await syncGrades(ctx, {}, {});
  events.detail(
    `run ${run.runId} ${run.status}: ${run.counts.posted} posted, ${run.counts.stale} already in the LMS, ${run.counts.failed} failed`,
  );

  events.step("The LMS gradebook, as the LMS holds it");
  const gradebook = side.gradebook();
  for (const row of gradebook)
    events.detail(`${row.column.padEnd(40)} ${row.learner.padEnd(28)} ${row.score}`);

  events.step("The next day's sync, incremental on: nothing unchanged is sent again");
  const countersBefore = side.counters();
  const rerun = await syncGrades(ctx, {}, {});
  const countersAfter = side.counters();
  const rerunResult = {
    posted: rerun.counts.posted,
    posts: countersAfter.posts - countersBefore.posts,
    notifications: countersAfter.notifications - countersBefore.notifications,
  };
  events.detail(`${rerunResult.posted} posted, ${rerunResult.notifications} student notification(s)`);

  events.step("The test learner is removed and the license freed");
  const removal = await removeLearners(
    ctx,
    { keys: [], test: true, program: chosen.id, dryRun: false, confirm: chosen.id },
    () => {},
  );
  const afterRemoval = licensesOf();
  events.detail(
    `${removal.freed} test learner(s) removed; licenses ${afterLaunches.used} → ${afterRemoval.used} of ${afterRemoval.licenseCap}`,
  );

  return {
    lms: settings.lms,
    gradeSync: settings.gradeSync,
    program: { id: chosen.id, name: chosen.name },
    course: { id: course.courseId, name: course.name },
    published: { links: published.links, lineItems: published.columns },
    launches,
    licenses: {
      before: before.used,
      afterLaunches: afterLaunches.used,
      afterRemoval: afterRemoval.used,
      taken: afterLaunches.used - before.used,
      freed: afterLaunches.used - afterRemoval.used,
      total: afterRemoval.licenseCap,
    },
    sync: {
      planned: plan.posts.total,
      posted: run.counts.posted,
      stale: run.counts.stale,
      failed: run.counts.failed,
      skipped: plan.skipped,
    },
    gradebook,
    rerun: rerunResult,
    removedTestLearners: removal.freed,
    dbPath: world.dbPath,
    throwaway: world.throwaway,
  };
}
