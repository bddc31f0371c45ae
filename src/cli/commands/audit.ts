import type { Command } from "commander";
import type { AuditEntry } from "../../core/audit.js";
import { type CliEnv, defineAction, examples } from "../command.js";

export function registerAudit(program: Command, cli: CliEnv): void {
  const cmd = program
    .command("audit")
    .description("what changed, who changed it and how it ended (newest first)")
    .option("--limit <n>", "how many entries", "20")
    .addHelpText(
      "after",
      examples([
        ["the last 20 changes", "gg4l audit"],
        ["the last 100 changes of one tenant, for a script", "gg4l audit --tenant uni-x --limit 100 --json"],
      ]),
    );
  defineAction<{ limit: string }>(cmd, cli, { audit: false }, async ({ ctx, out, opts }) => {
    const { readAudit } = await import("../../core/audit.js");
    const entries = readAudit(ctx, opts.limit);
    await out.emit(entries, () =>
      out.table(
        [
          { header: "WHEN", value: (e: AuditEntry) => e.at },
          { header: "WHO", value: (e) => e.osUser },
          { header: "TENANT", value: (e) => e.tenant ?? "-" },
          { header: "COMMAND", value: (e) => [e.command, ...e.args].join(" ") },
          {
            header: "OUTCOME",
            value: (e) => (e.outcome === "ok" ? "ok" : `failed (exit ${e.exitCode}): ${e.message ?? ""}`),
          },
        ],
        entries,
        "The audit log is empty.",
      ),
    );
  });
}
