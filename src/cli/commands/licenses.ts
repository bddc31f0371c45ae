import type { Command } from "commander";
import type { LicenseRow } from "../../core/learners.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import { withSteps } from "../io/steps.js";

export function registerLicenses(program: Command, cli: CliEnv): void {
  const cmd = program
    .command("licenses")
    .description("licenses used / total / held by test learners, per program")
    .option("--program <program>", "one program")
    .option("--refresh", "read the figures from Coursera now (as `programs pull` does) before showing them")
    .addHelpText(
      "after",
      examples([
        ["every program", "gg4l licenses"],
        ["read the figures from Coursera first", "gg4l licenses --refresh"],
        [
          "free licenses of one program, for a script",
          "gg4l licenses --program prog-1 --json | jq '.[0].available'",
        ],
      ]),
    );
  defineAction<{ program?: string; refresh?: boolean }>(
    cmd,
    cli,
    { audit: false },
    async ({ ctx, out, opts }) => {
      const { licenses } = await import("../../core/learners.js");
      const rows = await withSteps(cli, ctx, out, () =>
        licenses(ctx, opts.program, { refresh: opts.refresh }),
      );
      await out.emit(rows, () =>
        out.table(
          [
            { header: "PROGRAM", value: (r: LicenseRow) => r.programId },
            { header: "NAME", value: (r) => r.name },
            { header: "USED", value: (r) => r.used },
            { header: "TOTAL", value: (r) => r.total ?? "?" },
            { header: "FREE", value: (r) => r.available ?? "?" },
            { header: "TEST", value: (r) => r.test },
          ],
          rows,
          "No programs. Fetch them with: gg4l programs pull",
        ),
      );
      const oldest = rows.map((r) => r.pulledAt).sort()[0];
      if (oldest && !out.json) {
        const { formatDuration } = await import("../../core/doctor/basis.js");
        const age = formatDuration(ctx.now().getTime() - Date.parse(oldest));
        out.note(
          opts.refresh
            ? `Read from Coursera just now (${oldest}).`
            : `As of the last read from Coursera, ${age} ago (${oldest}); \`gg4l licenses --refresh\` reads them now.`,
        );
      }
      for (const r of rows) {
        if (r.available === 0)
          out.warn(`no licenses left in program ${r.name}: remove test learners or buy more`);
      }
    },
  );
}
