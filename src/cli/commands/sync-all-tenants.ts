/**
 * `gg4l sync daily --all-tenants`: flags checked, the core run started, and what it does shown:
 * on a terminal a live table of the tenants at work (stderr) with each finished tenant's line
 * scrolling above it; piped, one line per tenant as it finishes and a summary (stderr); the
 * result table on stdout, or with --json one object. The exit code sums the tenants up.
 */
import {
  ConflictError,
  ExitCode,
  InterruptedError,
  PartialFailureError,
  UsageError,
} from "../../base/errors.js";
import type { Context } from "../../core/context.js";
import type {
  AllTenantsResult,
  TenantEvent,
  TenantOutcome,
  TenantPhase,
} from "../../core/sync/all-tenants.js";
import type { CliEnv } from "../command.js";
import { interruptSignal } from "../io/interrupt.js";
import { liveBoard } from "../io/live-board.js";
import type { Output } from "../io/output.js";

export interface AllTenantsFlags {
  allTenants?: boolean;
  parallel?: string;
  dryRun?: boolean;
  tenant?: string;
}

/** --parallel without --all-tenants, or --tenant with it, is a usage error; else the number of tenants at once. */
export function parallelOf(flags: AllTenantsFlags, defaultParallel: number): number {
  if (!flags.allTenants)
    throw new UsageError("--parallel goes with --all-tenants", {
      hint: "gg4l sync daily --all-tenants --parallel 8",
    });
  if (flags.tenant !== undefined)
    throw new UsageError("--all-tenants runs every tenant with an LMS registration; --tenant names one", {
      hint: "leave out --tenant, or leave out --all-tenants to run that tenant alone",
    });
  if (flags.parallel === undefined) return defaultParallel;
  const n = /^\d+$/.test(flags.parallel) ? Number(flags.parallel) : 0;
  if (n < 1 || n > 64)
    throw new UsageError(`--parallel takes a whole number from 1 to 64, not "${flags.parallel}"`, {
      hint: `the default, ${defaultParallel}, suits a 2-core machine: the tenants mostly wait on their LMS`,
    });
  return n;
}

interface Row {
  phase: TenantPhase;
  done: number;
  total: number;
  posted: number;
  failed: number;
}

export async function runAllTenants(
  ctx: Context,
  out: Output,
  cli: CliEnv,
  flags: AllTenantsFlags,
): Promise<void> {
  const core = await import("../../core/sync/all-tenants.js");
  const parallel = parallelOf(flags, core.DEFAULT_PARALLEL);
  const started = Date.now();
  const rows = new Map<string, Row>();
  const board = cli.io.stderrTTY ? liveBoard(cli.io) : undefined;
  let queued: string[] = [];
  let finished = 0;
  const interrupt = interruptSignal();
  const redraw = () => {
    if (!board) return;
    const active = [...rows.entries()].filter(([, r]) => r.phase !== "done" && r.phase !== "queued");
    const waiting = queued.length - finished - active.length;
    const stopping = interrupt.signal.aborted
      ? " · stopping after the posts in flight (Ctrl-C again to kill)"
      : "";
    board.set(
      ["TENANT", "PHASE", "PROGRESS", "POSTED", "FAILED"],
      active.map(([slug, r]) => [
        slug,
        r.phase,
        r.total > 0 ? `${r.done}/${r.total}` : "-",
        String(r.posted),
        String(r.failed),
      ]),
      `${finished} of ${queued.length} tenant(s) done, ${active.length} running, ${Math.max(0, waiting)} waiting · ${seconds(Date.now() - started)}${stopping}`,
    );
  };
  interrupt.signal.addEventListener("abort", () => {
    if (board) redraw();
    else if (!out.json) out.note("Stopping after the posts in flight (Ctrl-C again to kill)…");
  });
  const onEvent = (event: TenantEvent) => {
    if (event.kind === "queued") {
      queued = event.tenants;
      for (const slug of queued) rows.set(slug, { phase: "queued", done: 0, total: 0, posted: 0, failed: 0 });
    } else if (event.kind === "phase") {
      rows.get(event.tenant)!.phase = event.phase;
    } else if (event.kind === "progress") {
      Object.assign(rows.get(event.tenant)!, {
        done: event.progress.done,
        total: event.progress.total,
        posted: event.progress.posted,
        failed: event.progress.failed,
      });
    } else {
      finished += 1;
      const lines = outcomeLines(event.outcome);
      if (board) for (const l of lines) board.log(l);
      else if (!out.json) for (const l of lines) cli.io.stderr.write(`${l}\n`);
    }
    redraw();
  };
  let result: AllTenantsResult;
  try {
    result = await core.syncDailyAllTenants(ctx, {
      parallel,
      dryRun: Boolean(flags.dryRun),
      countOnly: !out.json,
      signal: interrupt.signal,
      onEvent,
    });
  } finally {
    board?.end();
    interrupt.dispose();
  }
  const summary = summaryLine(result, Date.now() - started);
  ctx.auditNote = summary;
  if (out.json) out.document(result);
  else {
    if (result.tenants.length === 0)
      out.note("No tenant has an LMS registration: nothing to sync (gg4l lms register --tenant <slug> …).");
    else {
      await out.table(
        [
          { header: "TENANT", value: (o: TenantOutcome) => o.tenant },
          { header: "STATUS", value: (o) => o.status },
          { header: "RUN", value: (o) => o.runId },
          { header: "PLANNED", value: (o) => o.run?.run?.counts.planned ?? o.run?.plan.posts.total },
          { header: "POSTED", value: (o) => o.run?.run?.counts.posted },
          { header: "FAILED", value: (o) => o.run?.run?.counts.failed },
          { header: "WHY", value: (o) => why(o), wrap: true },
        ],
        result.tenants,
        "",
      );
    }
    cli.io.stderr.write(`${summary}\n`);
  }
  failWithExitCode(result);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Why a tenant is not ok, in a few words: the error, the cause the run stopped for, or its failures. */
function why(o: TenantOutcome): string {
  if (o.error) return o.error.message;
  const run = o.run?.run;
  if (!run) return "";
  if (run.cause) return run.cause.message;
  if (o.status === "interrupted") return `interrupted: ${run.counts.notAttempted} not attempted`;
  if (o.status === "partial") return `${run.counts.failed + run.counts.columnsFailed} item(s) failed`;
  return "";
}

/** The line a finished tenant gets (and its notes), as `sync daily` would say it for that tenant. */
function outcomeLines(o: TenantOutcome): string[] {
  const mark = o.status === "ok" ? "✓" : o.status === "skipped" ? "!" : "✗";
  const run = o.run?.run;
  let text: string;
  if (run) {
    const c = run.counts;
    const parts = [`${c.posted} of ${c.planned} score(s) posted`];
    if (c.stale > 0) parts.push(`${c.stale} already in the LMS`);
    if (c.failed + c.columnsFailed > 0) parts.push(`${c.failed + c.columnsFailed} failed`);
    if (c.notAttempted > 0) parts.push(`${c.notAttempted} not attempted`);
    text = `run ${run.runId} ${parts.join(", ")}${run.cause ? `: ${run.cause.message}` : ""}`;
  } else if (o.run) text = `dry run: ${o.run.plan.posts.total} score(s) would be posted`;
  else text = o.error?.message ?? "";
  const lines = [`${mark} ${o.tenant} ${o.status} in ${seconds(o.durationMs)}: ${text}`];
  for (const note of o.notes) lines.push(`  ${o.tenant}: ${note}`);
  return lines;
}

function summaryLine(r: AllTenantsResult, ms: number): string {
  const t = r.totals;
  const counts = [`${t.ok} ok`, `${t.partial} partial`, `${t.failed} failed`, `${t.skipped} skipped`];
  if (t.interrupted > 0) counts.push(`${t.interrupted} interrupted`);
  if (t.notStarted > 0) counts.push(`${t.notStarted} not started`);
  const scores = r.dryRun
    ? "dry run: nothing posted"
    : `${t.posted} of ${t.planned} score(s) posted${t.postsFailed > 0 ? `, ${t.postsFailed} failed` : ""}${t.notAttempted > 0 ? `, ${t.notAttempted} not attempted` : ""}`;
  return `${t.tenants} tenant(s) in ${seconds(ms)}, ${r.parallel} at once: ${counts.join(", ")} · ${scores}`;
}

const named = (outcomes: TenantOutcome[]) =>
  outcomes.map((o) => `${o.tenant} (${o.status}${why(o) ? `: ${why(o)}` : ""})`).join("; ");

function failWithExitCode(r: AllTenantsResult): void {
  if (r.exitCode === ExitCode.interrupted) {
    const cut = r.tenants.filter((o) => o.status === "interrupted");
    const notStarted = r.tenants.filter((o) => o.status === "not-started").map((o) => o.tenant);
    throw new InterruptedError(
      `interrupted: ${cut.length} tenant run(s) recorded interrupted${cut.length ? ` (${cut.map((o) => o.tenant).join(", ")})` : ""}${notStarted.length ? `, ${notStarted.length} not started (${notStarted.join(", ")})` : ""}; run the same command again to finish them`,
    );
  }
  if (r.exitCode === ExitCode.partial) {
    const bad = r.tenants.filter((o) => o.status === "partial" || o.status === "failed");
    throw new PartialFailureError(`${bad.length} tenant(s) partly failed or failed: ${named(bad)}`, {
      hint: "`gg4l sync show <run> --tenant <slug>` lists a run's failures; the next run posts what is missing; the other tenants are done",
    });
  }
  if (r.exitCode === ExitCode.conflict) {
    const skipped = r.tenants.filter((o) => o.status === "skipped");
    throw new ConflictError(
      `${skipped.length} tenant(s) skipped, their lease held by another sync: ${named(skipped)}`,
      {
        hint: "they run tomorrow, or now with `gg4l sync daily --tenant <slug>` once that sync ended (gg4l sync runs --tenant <slug>)",
      },
    );
  }
}
