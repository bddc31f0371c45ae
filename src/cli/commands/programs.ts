import type { Command } from "commander";
import type { ProgramView } from "../../core/programs.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import type { Output } from "../io/output.js";
import { withSteps } from "../io/steps.js";
import { renderRefresh } from "./courses.js";

const load = () => import("../../core/programs.js");
const loadCourses = () => import("../../core/courses.js");

const licenseText = (p: ProgramView) => `${p.licenses.used}/${p.licenses.total ?? "?"}`;

export async function programTable(out: Output, programs: ProgramView[], empty: string): Promise<void> {
  await out.table(
    [
      { header: "ID", value: (p: ProgramView) => p.id },
      { header: "NAME", value: (p) => p.name },
      { header: "ACTIVE", value: (p) => (p.gone ? "gone" : p.active) },
      { header: "COURSES", value: (p) => p.courses },
      { header: "ITEMS", value: (p) => p.gradableItems },
      { header: "LICENSES", value: licenseText },
      { header: "TEST", value: (p) => p.licenses.test },
    ],
    programs,
    empty,
  );
}

export function registerPrograms(program: Command, cli: CliEnv): void {
  const programs = program
    .command("programs")
    .description("Coursera learning programs: pull, list, show, activate, deactivate")
    .addHelpText(
      "after",
      examples([
        ["fetch programs from Coursera (new ones arrive inactive)", "gg4l programs pull"],
        ["activate a program so it can be published and synced", 'gg4l programs activate "Data Science"'],
      ]),
    );

  const pull = programs
    .command("pull")
    .description("fetch the org's programs and their members; new programs arrive inactive (R2)")
    .addHelpText(
      "after",
      examples([
        ["pull for the current tenant", "gg4l programs pull"],
        ["pull for one tenant, for a script", "gg4l programs pull --tenant uni-x --json"],
      ]),
    );
  defineAction(pull, cli, { audit: true }, async ({ ctx, out }) => {
    const { pullPrograms } = await load();
    const result = await withSteps(cli, ctx, out, () => pullPrograms(ctx));
    await out.emit(result, () => {
      out.success(
        `Pulled ${result.programs} program(s) and ${result.memberships} license holder(s) for tenant ${result.tenant}`,
      );
      for (const p of result.added) out.note(`  new (inactive): ${p.name} (${p.id})`);
      for (const p of result.renamed) out.note(`  renamed: ${p.from} → ${p.to} (${p.id})`);
      for (const p of result.gone) out.note(`  no longer listed by Coursera: ${p.name} (${p.id})`);
      if (result.added.length > 0)
        out.note("Next: gg4l programs activate <program> (only active programs are published and synced)");
    });
  });

  const list = programs
    .command("list")
    .description("list programs with courses, gradable items and licenses")
    .option("--active", "only active programs")
    .option("--inactive", "only inactive programs")
    .addHelpText(
      "after",
      examples([
        ["all programs", "gg4l programs list"],
        ["ids of the active programs", "gg4l programs list --active --json | jq -r '.[].id'"],
      ]),
    );
  defineAction<{ active?: boolean; inactive?: boolean }>(
    list,
    cli,
    { audit: false },
    async ({ ctx, out, opts }) => {
      const { listPrograms } = await load();
      const { UsageError } = await import("../../base/errors.js");
      if (opts.active && opts.inactive) throw new UsageError("pass --active or --inactive, not both");
      const rows = listPrograms(ctx, { active: opts.active ? true : opts.inactive ? false : undefined });
      await out.emit(rows, () => programTable(out, rows, "No programs. Fetch them with: gg4l programs pull"));
    },
  );

  const show = programs
    .command("show")
    .description("one program: courses, gradable items, licenses used/total, test learners")
    .argument("<program>", "id, slug or a unique name prefix")
    .addHelpText(
      "after",
      examples([
        ["by name prefix", 'gg4l programs show "Data Sci"'],
        ["by id, as JSON", "gg4l programs show prog-1 --json"],
      ]),
    );
  defineAction(show, cli, { audit: false }, async ({ ctx, out, args }) => {
    const { showProgram } = await load();
    const p = showProgram(ctx, args[0]!);
    await out.emit(p, async () => {
      out.record([
        ["id", p.id],
        ["name", p.name],
        ["slug", p.slug],
        ["active", p.gone ? "no longer listed by Coursera" : p.active],
        ["courses", p.courses],
        ["gradable items", p.gradableItems],
        [
          "licenses",
          `${licenseText(p)} used, ${p.licenses.available ?? "?"} free, ${p.licenses.test} held by test learners`,
        ],
        ["pulled", p.pulledAt],
      ]);
      if (p.licenses.available === 0)
        out.warn(`no licenses left in program ${p.name}: remove test learners or buy more`);
      if (p.courseList.length > 0) {
        out.line("");
        await out.table(
          [
            { header: "COURSE", value: (c: (typeof p.courseList)[number]) => c.courseId },
            { header: "NAME", value: (c) => c.name },
            { header: "ITEMS", value: (c) => (c.itemsKnown ? c.itemCount : "not yet known") },
          ],
          p.courseList,
          "",
        );
      } else out.note("No courses yet: gg4l courses refresh --program <program>");
      if (p.testLearners.length > 0) {
        out.line("");
        await out.table(
          [
            { header: "TEST LEARNER", value: (l: (typeof p.testLearners)[number]) => l.externalId },
            { header: "EMAIL", value: (l) => l.email },
          ],
          p.testLearners,
          "",
        );
      }
    });
  });

  for (const [verb, active] of [
    ["activate", true],
    ["deactivate", false],
  ] as const) {
    const cmd = programs
      .command(verb)
      .description(
        active
          ? "activate programs: they can be published and are included in the daily sync (idempotent)"
          : "deactivate programs: no publishing, no grade sync (idempotent)",
      )
      .argument("[program...]", "ids, slugs or unique name prefixes (a picker on a terminal when none)")
      .addHelpText(
        "after",
        examples([
          [`${verb} two programs`, `gg4l programs ${verb} prog-1 "Data Science"`],
          ["pick from a list (terminal only)", `gg4l programs ${verb}`],
        ]),
      );
    if (active) {
      cmd.option(
        "--refresh",
        "pull the programs' courses from Coursera now, so they can be published at once",
      );
    }
    defineAction<{ refresh?: boolean }>(cmd, cli, { audit: true }, async ({ ctx, out, args, opts }) => {
      const { setProgramsActive } = await load();
      const activation = await setProgramsActive(ctx, args, active);
      const programs = [...activation.changed, ...activation.unchanged];
      const refresh = opts.refresh
        ? await withSteps(cli, ctx, out, async () => (await loadCourses()).refreshActivated(ctx, programs))
        : null;
      const result = active ? { ...activation, refresh } : activation;
      await out.emit(result, () => {
        for (const p of result.changed)
          out.success(`${active ? "Activated" : "Deactivated"} ${p.name} (${p.id})`);
        for (const p of result.unchanged)
          out.note(`${p.name} (${p.id}) is already ${active ? "active" : "inactive"}`);
        if (refresh) renderRefresh(out, refresh);
        else if (active && programs.length > 0) {
          const ids = programs.map((p) => p.id);
          out.note(
            `Next: pull their courses so they can be published: gg4l courses refresh ${ids.length === 1 ? `--program ${ids[0]}` : "--all"} (the daily sync does it within 24 h)`,
          );
        }
      });
    });
  }
}
