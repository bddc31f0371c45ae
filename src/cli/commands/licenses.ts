import type { Command } from "commander";
import type { LicenseRow } from "../../core/learners.js";
import { type CliEnv, defineAction, examples } from "../command.js";

export function registerLicenses(program: Command, cli: CliEnv): void {
  const cmd = program
    .command("licenses")
    .description("licenses used / total / held by test learners, per program")
    .option("--program <program>", "one program")
    .addHelpText(
      "after",
      examples([
        ["every program", "gg4l licenses"],
        [
          "free licenses of one program, for a script",
          "gg4l licenses --program prog-1 --json | jq '.[0].available'",
        ],
      ]),
    );
  defineAction<{ program?: string }>(cmd, cli, { audit: false }, async ({ ctx, out, opts }) => {
    const { licenses } = await import("../../core/learners.js");
    const rows = licenses(ctx, opts.program);
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
    for (const r of rows) {
      if (r.available === 0)
        out.warn(`no licenses left in program ${r.name}: remove test learners or buy more`);
    }
  });
}
