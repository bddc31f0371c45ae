import type { Command } from "commander";
import type { CourseView, RefreshResult } from "../../core/courses.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import type { Output } from "../io/output.js";
import { withSteps } from "../io/steps.js";

const load = () => import("../../core/courses.js");

export function registerCourses(program: Command, cli: CliEnv): void {
  const courses = program
    .command("courses")
    .description("courses of the programs and their gradable items")
    .addHelpText(
      "after",
      examples([
        ["courses of one program", 'gg4l courses list --program "Data Science"'],
        [
          "a course was just added to a program: make it publishable now",
          "gg4l courses refresh --program prog-1",
        ],
      ]),
    );

  const list = courses
    .command("list")
    .description("list courses in the state")
    .option("--program <program>", "only this program's courses (id, slug or unique name prefix)")
    .addHelpText(
      "after",
      examples([
        ["all courses", "gg4l courses list"],
        ["one program's course ids", "gg4l courses list --program prog-1 --json | jq -r '.[].id'"],
      ]),
    );
  defineAction<{ program?: string }>(list, cli, { audit: false }, async ({ ctx, out, opts }) => {
    const { listCourseViews } = await load();
    const rows = listCourseViews(ctx, opts.program);
    await out.emit(rows, () =>
      out.table(
        [
          { header: "ID", value: (c: CourseView) => c.id },
          { header: "NAME", value: (c) => c.name },
          { header: "PROGRAMS", value: (c) => (out.terminal ? c.programNames : c.programs) },
          { header: "ITEMS", value: (c) => (c.itemsKnown ? c.gradableItems : "not yet known") },
          { header: "REFRESHED", value: (c) => c.refreshedAt },
          ...(out.terminal ? [] : [{ header: "PROGRAM NAMES", value: (c: CourseView) => c.programNames }]),
        ],
        rows,
        "No courses. Refresh them with: gg4l courses refresh --all",
      ),
    );
  });

  const refresh = courses
    .command("refresh")
    .description("pull the courses and gradable items of active programs now (R3) and report what changed")
    .option("--program <program>", "one active program")
    .option("--all", "every active program")
    .addHelpText(
      "after",
      examples([
        ["refresh every active program", "gg4l courses refresh --all"],
        ["refresh one program, for a script", "gg4l courses refresh --program prog-1 --json"],
      ]),
    );
  defineAction<{ program?: string; all?: boolean }>(
    refresh,
    cli,
    { audit: true },
    async ({ ctx, out, opts }) => {
      const { refreshCourses } = await load();
      const result = await withSteps(cli, ctx, out, () => refreshCourses(ctx, opts));
      await out.emit(result, () => {
        if (result.programs.length === 0) {
          out.note("No active programs to refresh. Activate one with: gg4l programs activate <program>");
          return;
        }
        renderRefresh(out, result);
      });
    },
  );
}

/** What a course refresh changed, by name (`courses refresh`, `programs activate --refresh`). */
export function renderRefresh(out: Output, result: RefreshResult): void {
  out.success(`Refreshed ${result.courses} course(s) of ${result.programs.length} program(s)`);
  for (const c of result.added) out.note(`  added: ${c.name} (${c.courseId}) to ${c.programName}`);
  for (const c of result.removed) out.note(`  removed: ${c.name} (${c.courseId}) from ${c.programName}`);
  for (const c of result.renamed) out.note(`  renamed: ${c.from} → ${c.to} (${c.courseId})`);
  if (result.itemsAdded.length + result.itemsRemoved.length > 0) {
    out.note(`  gradable items: ${result.itemsAdded.length} added, ${result.itemsRemoved.length} removed`);
  }
  if (result.added.length + result.removed.length + result.renamed.length === 0)
    out.note("  no course changes");
}
