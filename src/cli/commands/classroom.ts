import type { Command } from "commander";
import type { ClassroomPublishResult, PublishedColumn } from "../../core/classroom/publish.js";
import type { RosterStudentView, RosterView } from "../../core/classroom/roster.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import type { Output } from "../io/output.js";

async function renderPublish(out: Output, r: ClassroomPublishResult): Promise<void> {
  out.success(
    `Classroom "${r.classroomCourse.name}" (${r.classroomCourse.id}): ${r.created} column(s) created, ${r.found} already there — grade-sync ${r.gradeSync}, "${r.course.name}" of ${r.program.name}, as ${r.classroomCourse.teacher}`,
  );
  await out.table(
    [
      { header: "ITEM", value: (c: PublishedColumn) => c.itemId ?? "(final grade)" },
      { header: "COURSE WORK", value: (c) => c.courseWorkId },
      { header: "TITLE", value: (c) => c.title },
      { header: "STATUS", value: (c) => (c.created ? "created" : "found") },
      { header: "LINK", value: (c) => c.link },
    ],
    r.columns,
    "no column published",
  );
  for (const f of r.failures) out.warn(`${f.title}: ${f.message}${f.hint ? ` — fix: ${f.hint}` : ""}`);
  if (r.columns.length > 0)
    out.note(
      "Next: grades flow with the next `gg4l sync grades` (learners are matched from the Classroom roster by e-mail)",
    );
}

function renderRoster(out: Output, v: RosterView): Promise<void> {
  return (async () => {
    await out.table(
      [
        { header: "CLASSROOM COURSE", value: (s: RosterStudentView) => s.classroomCourseId },
        { header: "STUDENT", value: (s) => s.email ?? s.userId },
        { header: "NAME", value: (s) => s.name },
        { header: "MATCH", value: (s) => (s.status === "matched" ? `matched: ${s.externalId}` : s.status) },
        { header: "WHY", value: (s) => s.diagnosis, wrap: true },
      ],
      v.students,
      "no Classroom roster read yet: run `gg4l classroom roster --refresh` (or a sync)",
    );
    out.note(`${v.counts.matched} of ${v.counts.students} student(s) matched to Coursera learners`);
    if (v.missingLearners.length > 0) {
      out.note(`${v.missingLearners.length} program member(s) are in no Classroom roster gg4l read:`);
      for (const m of v.missingLearners.slice(0, 20))
        out.note(`  ${m.externalId} (${m.programs.join(", ")})`);
      if (v.missingLearners.length > 20)
        out.note(`  … and ${v.missingLearners.length - 20} more (--json lists all)`);
      out.note(`  ${v.missingLearners[0]!.diagnosis}`);
    }
  })();
}

export function registerClassroom(program: Command, cli: CliEnv): void {
  const classroom = program
    .command("classroom")
    .description(
      "Google Classroom: gg4l creates the course work it grades, and matches roster students by e-mail",
    )
    .addHelpText(
      "after",
      examples([
        [
          "one Classroom column per gradable item of a course",
          "gg4l classroom publish --classroom-course 612345678901 --course 'Python for Data Analysis'",
        ],
        ["which Classroom students are matched to Coursera learners?", "gg4l classroom roster --refresh"],
      ]),
    );

  const publish = classroom
    .command("publish")
    .description(
      "create the Classroom course work gg4l grades (one per gradable item for assignment and course, one per course for final); idempotent",
    )
    .requiredOption("--classroom-course <id>", "the Classroom course to publish into")
    .requiredOption("--course <course>", "the Coursera course (id, slug or name)")
    .option("--item <item>", "only this gradable item (id or name); not with grade-sync final")
    .option("--program <program>", "the program, when the course is in several active programs")
    .addHelpText(
      "after",
      examples([
        [
          "every gradable item of a course (grade-sync assignment or course)",
          "gg4l classroom publish --classroom-course 612345678901 --course python-data-analysis",
        ],
        [
          "one item, from a script",
          "gg4l classroom publish --classroom-course 612345678901 --course python-data-analysis --item 'Quiz 1' --json",
        ],
      ]),
    );
  defineAction<{ classroomCourse: string; course: string; item?: string; program?: string }>(
    publish,
    cli,
    { audit: true },
    async ({ ctx, out, opts }) => {
      const { publishToClassroom } = await import("../../core/classroom/publish.js");
      const result = await publishToClassroom(ctx, {
        classroomCourse: opts.classroomCourse,
        course: opts.course,
        ...(opts.item ? { item: opts.item } : {}),
        ...(opts.program ? { program: opts.program } : {}),
      });
      await out.emit(result, () => renderPublish(out, result));
      if (result.failures.length > 0) {
        const { PartialFailureError } = await import("../../base/errors.js");
        throw new PartialFailureError(
          `${result.failures.length} column(s) could not be published; ${result.columns.length} were published and recorded`,
          { hint: result.failures[0]!.hint ?? "see the failures above", details: result.failures },
        );
      }
    },
  );

  const roster = classroom
    .command("roster")
    .description(
      "Classroom roster students and their match to Coursera learners (by e-mail), with why a student is unmatched",
    )
    .option("--classroom-course <id>", "only this Classroom course")
    .option("--refresh", "read the rosters from Classroom first (the sync does this too)")
    .addHelpText(
      "after",
      examples([
        ["read the rosters now and show every match", "gg4l classroom roster --refresh"],
        [
          "unmatched students of one course, for a script",
          "gg4l classroom roster --classroom-course 612345678901 --json | jq '.students[] | select(.status != \"matched\")'",
        ],
      ]),
    );
  defineAction<{ classroomCourse?: string; refresh?: boolean }>(
    roster,
    cli,
    { audit: false },
    async ({ ctx, out, opts }) => {
      const { showClassroomRoster } = await import("../../core/classroom/roster.js");
      const view = await showClassroomRoster(ctx, {
        ...(opts.classroomCourse ? { classroomCourse: opts.classroomCourse } : {}),
        refresh: Boolean(opts.refresh),
      });
      await out.emit(view, () => renderRoster(out, view));
    },
  );
}
