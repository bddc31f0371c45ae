import type { Command } from "commander";
import type { Context } from "../../core/context.js";
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

interface TenantCheck extends CheckRow {
  tenant: string | null;
}

async function allTenants(ctx: Context, out: Output, tenantFlag: string | undefined): Promise<void> {
  const { ExitCode, GgError, UsageError } = await import("../../base/errors.js");
  if (tenantFlag !== undefined)
    throw new UsageError("--all-tenants and --tenant go separately", {
      hint: "drop --tenant to check every tenant, or --all-tenants to check one",
    });
  const { runDoctorAllTenants } = await import("../../core/doctor/index.js");
  const report = await runDoctorAllTenants(ctx);
  const rows: TenantCheck[] = report.tenants.flatMap((t) =>
    t.checks.filter((c) => c.status !== "pass").map((c) => ({ tenant: t.tenant, ...c })),
  );
  const { totals } = report;
  await out.emit(report, async () => {
    await out.table(
      [
        { header: "TENANT", value: (r: TenantCheck) => r.tenant },
        { header: "CHECK", value: (r) => r.check },
        { header: "STATUS", value: (r) => colored(out, r.status) },
        { header: "MESSAGE", value: (r) => r.message, wrap: true },
        { header: "FIX", value: (r) => r.fix, wrap: true },
      ],
      rows,
      "Every check passed for every tenant.",
    );
    out.note(
      `${totals.tenants} tenant(s): ${totals.passed} passed, ${totals.warned} warning(s), ${totals.failed} failed`,
    );
  });
  if (!report.ok) {
    const failing = report.tenants.filter((t) => !t.ok).map((t) => t.tenant);
    const which = failing.includes(null)
      ? ": no tenant could be checked (see the rows)"
      : ` for ${failing.length} tenant(s): ${failing.join(", ")}`;
    throw new GgError(`doctor checks failed${which}`, ExitCode.failure, {
      hint: "each failed row says what to do (FIX); run gg4l doctor --all-tenants again afterwards",
    });
  }
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
        ["on-call: every tenant, only what is not a pass", "gg4l doctor --all-tenants"],
      ]),
    )
    .option(
      "--all-tenants",
      "check every tenant: one row per tenant per check that is not a pass, and the totals",
    );
  defineAction<{ allTenants?: boolean }>(cmd, cli, { audit: false }, async ({ ctx, out, opts }) => {
    if (opts.allTenants) {
      await allTenants(ctx, out, opts.tenant);
      return;
    }
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
