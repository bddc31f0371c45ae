import type { Command } from "commander";
import type { CheckRow } from "../../core/doctor/index.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import type { Output } from "../io/output.js";

function colored(out: Output, status: CheckRow["status"]): string {
  return status === "pass"
    ? out.style.green(status)
    : status === "warn"
      ? out.style.yellow(status)
      : out.style.red(status);
}

export function registerDoctor(program: Command, cli: CliEnv): void {
  const cmd = program
    .command("doctor")
    .description(
      "check the state file, keys, credentials, both servers, clocks and grade-sync health; exit 1 when a check fails",
    )
    .addHelpText(
      "after",
      examples([
        ["check the current tenant", "gg4l doctor"],
        [
          "a CI or cron health check: only the failed rows",
          "gg4l doctor --tenant uni-x --json | jq '.checks[] | select(.status == \"fail\")'",
        ],
      ]),
    );
  defineAction(cmd, cli, { audit: false }, async ({ ctx, out }) => {
    const { runDoctor } = await import("../../core/doctor/index.js");
    const report = await runDoctor(ctx);
    await out.emit(report, () =>
      out.table(
        [
          { header: "CHECK", value: (r: CheckRow) => r.check },
          { header: "STATUS", value: (r) => colored(out, r.status) },
          { header: "MESSAGE", value: (r) => r.message, wrap: true },
          { header: "FIX", value: (r) => r.fix, wrap: true },
        ],
        report.checks,
        "",
      ),
    );
    const count = (status: CheckRow["status"]) => report.checks.filter((r) => r.status === status).length;
    if (!out.json) {
      out.note(
        `${report.tenant ? `tenant ${report.tenant}: ` : ""}${count("pass")} passed, ${count("warn")} warning(s), ${count("fail")} failed`,
      );
    }
    if (!report.ok) {
      const { ExitCode, GgError } = await import("../../base/errors.js");
      const failed = report.checks.filter((r) => r.status === "fail").map((r) => r.check);
      throw new GgError(`${failed.length} doctor check(s) failed: ${failed.join(", ")}`, ExitCode.failure, {
        hint: "each failed row says what to do (FIX); run gg4l doctor again afterwards",
      });
    }
  });
}
