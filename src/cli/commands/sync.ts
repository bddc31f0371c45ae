import type { Command } from "commander";
import { terminalSafe } from "../../base/terminal.js";
import type { DryRunResult, PlanEntry, PlanSummary, RunResult, RunRow } from "../../core/sync/index.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import { chunkedWriter } from "../io/chunked.js";
import type { Output } from "../io/output.js";
import { progressReporter } from "../io/progress.js";

const loadSync = () => import("../../core/sync/index.js");

interface FilterOpts {
  program?: string;
  course?: string;
  learner?: string;
}

const filtersOf = (opts: FilterOpts) => ({
  ...(opts.program ? { program: opts.program } : {}),
  ...(opts.course ? { course: opts.course } : {}),
  ...(opts.learner ? { learner: opts.learner } : {}),
});

async function renderSummary(out: Output, s: PlanSummary): Promise<void> {
  const rows: Array<{ action: string; why: string; count: number }> = [];
  if (s.columnsToCreate > 0)
    rows.push({ action: "create column", why: "Option B / missing line item", count: s.columnsToCreate });
  if (s.posts.new > 0) rows.push({ action: "post", why: "new score", count: s.posts.new });
  if (s.posts.changed > 0) rows.push({ action: "post", why: "changed score", count: s.posts.changed });
  if (s.posts.resend > 0)
    rows.push({ action: "post", why: "unchanged, re-posted (incremental off)", count: s.posts.resend });
  const { skipReasons } = await loadSync();
  for (const [reason, count] of Object.entries(s.skipped)) {
    rows.push({
      action: "skip",
      why: skipReasons[reason as keyof typeof skipReasons] ?? reason,
      count: count ?? 0,
    });
  }
  out.note(
    `Tenant ${s.tenant}: ${s.lms}, grade-sync ${s.gradeSync}, incremental ${s.incremental ? "on" : "off"}, no-SSO ${s.noSso ? "on" : "off"}`,
  );
  await out.table(
    [
      { header: "ACTION", value: (r: (typeof rows)[number]) => r.action },
      { header: "WHY", value: (r) => r.why, wrap: true },
      { header: "COUNT", value: (r) => r.count },
    ],
    rows,
    "Nothing to sync: no Coursera grades in the state for the active programs (gg4l sync daily pulls them).",
  );
  if (s.unchangedResent > 0) {
    out.warn(
      `${s.unchangedResent} unchanged grade(s) would be posted again because incremental sync is off; the LMS may e-mail students about grades they already have (gg4l settings set incremental on)`,
    );
  }
}

function renderEntry(e: PlanEntry): string {
  const where = `${e.courseId}${e.itemId ? `/${e.itemId}` : ""}`;
  if (e.action === "create-column") return `create column  ${where}  "${e.label}"`;
  if (e.action === "post")
    return `post ${e.kind?.padEnd(7)} ${where}  ${e.externalId}  ${e.scoreGiven}/${e.scoreMaximum}${e.previousScore != null ? ` (was ${e.previousScore})` : ""}`;
  return `skip           ${where}  ${e.externalId}  ${e.because}`;
}

/** What the run did, said from its counts only: it never claims what did not happen. */
function runSentence(r: RunResult): string {
  const c = r.counts;
  const parts = [`${c.posted} of ${c.planned} score(s) posted`];
  if (c.stale > 0) parts.push(`${c.stale} refused as older but already in the LMS`);
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  if (c.notAttempted > 0) parts.push(`${c.notAttempted} not attempted`);
  if (c.columnsCreated + c.columnsFound + c.columnsFailed > 0)
    parts.unshift(
      `${c.columnsCreated} column(s) created, ${c.columnsFound} found${c.columnsFailed > 0 ? `, ${c.columnsFailed} failed` : ""}`,
    );
  return parts.join(", ");
}

function renderRun(out: Output, r: RunResult): void {
  const line = `Run ${r.runId} ${r.status}: ${runSentence(r)} in ${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.status === "ok") out.success(line);
  else out.warn(line);
  for (const f of r.failures) out.warn(`${failureWho(f)}: ${f.message}`);
}

function failureWho(f: RunResult["failures"][number]): string {
  const learner = f.externalId ? `${f.externalId}${f.learner ? ` (${f.learner})` : ""}` : "-";
  const where = `${f.courseId}${f.itemId ? `/${f.itemId}` : ""}${f.column ? ` "${f.column}"` : ""}`;
  return `${learner} ${where}${f.status !== null ? ` [HTTP ${f.status}]` : ""}`;
}

function renderRosters(out: Output, rosters: DryRunResult["rosters"]): void {
  if (!rosters) return;
  if (rosters.source === "read") {
    out.note(
      `Read ${rosters.contexts ?? 0} LMS course roster(s) now, as the live run does (--offline uses the stored ones)`,
    );
  } else if (rosters.readAt === null) {
    out.warn(
      "--offline: the LMS course rosters were never read, so roster eligibility is planned without them; a run without --offline reads them",
    );
  } else {
    const hours = (rosters.ageMs ?? 0) / 3_600_000;
    const age = hours < 1 ? `${Math.round(hours * 60)} min` : `${hours.toFixed(1)} h`;
    out.warn(
      `--offline: roster eligibility comes from the LMS course rosters stored at ${rosters.readAt} (${age} old); the live run reads them again`,
    );
  }
}

/** Ctrl-C stops taking new posts and lets the ones in flight end; a second Ctrl-C kills. */
function interruptible(out: Output): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.off("SIGINT", onSigint);
      process.kill(process.pid, "SIGINT");
      return;
    }
    out.note("");
    out.note("Stopping after the posts in flight (Ctrl-C again to kill)…");
    controller.abort();
  };
  // SIGTERM (a service manager stopping cron's job) ends the run the same way, on record.
  const onSigterm = () => {
    if (!controller.signal.aborted) controller.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
    },
  };
}

async function finish(result: RunResult): Promise<void> {
  const { GgError, InterruptedError, PartialFailureError } = await import("../../base/errors.js");
  const show = `gg4l sync show ${result.runId} lists every failure with the LMS's message`;
  if (result.status === "interrupted")
    throw new InterruptedError(
      `run ${result.runId} interrupted: ${runSentence(result)}; run the same command again to finish it`,
    );
  if (result.status === "failed" && result.cause) {
    const hint =
      result.cause.kind === "lms-down"
        ? `check that the LMS is up, then run the same command again: it posts what is missing. ${show}`
        : `fix the cause, then run the same command again (gg4l lms check tests the registration). ${show}`;
    throw new GgError(
      `run ${result.runId} stopped: ${result.cause.message}. ${runSentence(result)}`,
      result.cause.exitCode,
      { hint },
    );
  }
  if (result.status === "partial") {
    throw new PartialFailureError(`run ${result.runId} partly failed: ${runSentence(result)}`, {
      hint: `${show}; the next run tries the failed ones again`,
    });
  }
}

async function concurrencyOf(text: string): Promise<{ initial: number; max: number }> {
  const max = /^\d+$/.test(text) ? Number(text) : 0;
  if (max < 1 || max > 64) {
    const { UsageError } = await import("../../base/errors.js");
    throw new UsageError(`--max-concurrency takes a whole number from 1 to 64, not "${text}"`);
  }
  return { initial: Math.min(4, max), max };
}

/** The dry run's `"items"` array as JSON text, an entry at a time. */
function* jsonItems(entries: Iterable<PlanEntry>): Generator<string> {
  yield `{\n  "dryRun": true,\n  "items": [`;
  let first = true;
  for (const entry of entries) {
    yield `${first ? "\n" : ",\n"}    ${JSON.stringify(entry)}`;
    first = false;
  }
  yield "\n  ],\n";
}

/** --verbose: a line per entry, remote text shown terminal-safe. */
function* textLines(entries: Iterable<PlanEntry>, out: Output): Generator<string> {
  for (const entry of entries) yield `${terminalSafe(renderEntry(entry), out.style.codes)}\n`;
}

/** `sync daily`'s flags; --all-tenants and --parallel go to sync-all-tenants.ts. */
type DailyOpts = { dryRun?: boolean; allTenants?: boolean; parallel?: string };

export function registerSync(program: Command, cli: CliEnv): void {
  const sync = program
    .command("sync")
    .description("grade sync: Coursera grades into the LMS gradebook")
    .addHelpText(
      "after",
      examples([
        [
          "what would a sync do, and why is a grade not sent?",
          "gg4l sync grades --dry-run --learner ana@uni.edu --verbose",
        ],
        ["the daily job, from cron", "gg4l sync daily --tenant uni-x --json"],
      ]),
    );

  const grades = sync
    .command("grades")
    .description(
      "plan from the grades in the state (`sync daily` pulls first) and post (--dry-run: plan only, change nothing)",
    )
    .option("--dry-run", "show what would be posted and why the rest would not; change nothing")
    .option(
      "--offline",
      "with --dry-run: plan from the LMS rosters stored at the last read (no-SSO sync) instead of reading them, and say how old they are",
    )
    .option("--plan-out <file>", "with --dry-run: save the plan for `gg4l sync apply`")
    .option("--program <program>", "only this program")
    .option("--course <course>", "only this course")
    .option("--learner <learner>", "only this learner (e-mail or external id)")
    .option("--verbose", "list every item with its reason")
    .option(
      "--max-concurrency <n>",
      "at most this many score posts at once (it starts at 4 and adapts)",
      "16",
    )
    .addHelpText(
      "after",
      examples([
        ["preview, with every item and its reason", "gg4l sync grades --dry-run --verbose"],
        [
          "save a plan to review, then apply exactly it",
          "gg4l sync grades --dry-run --plan-out plan.json && gg4l sync apply plan.json",
        ],
      ]),
    );
  defineAction<
    FilterOpts & {
      dryRun?: boolean;
      planOut?: string;
      verbose?: boolean;
      maxConcurrency: string;
      offline?: boolean;
    }
  >(grades, cli, { audit: (opts) => !opts.dryRun }, async ({ ctx, out, opts }) => {
    const { UsageError } = await import("../../base/errors.js");
    if (opts.planOut && !opts.dryRun)
      throw new UsageError("--plan-out goes with --dry-run", {
        hint: "gg4l sync grades --dry-run --plan-out plan.json",
      });
    if (opts.offline && !opts.dryRun)
      throw new UsageError(
        "--offline goes with --dry-run: a live run always reads the LMS rosters it needs",
        {
          hint: "gg4l sync grades --dry-run --offline",
        },
      );
    // Checked before anything runs, so a dry run refuses a bad value as the real run does.
    const concurrency = await concurrencyOf(opts.maxConcurrency);
    const service = await loadSync();
    if (opts.dryRun) {
      let summary: PlanSummary | undefined;
      const result = await service.dryRun(ctx, filtersOf(opts), {
        ...(opts.planOut ? { planOut: opts.planOut } : {}),
        ...(opts.offline ? { offline: true } : {}),
        entries: async () => {
          // Streamed in large chunks, waiting when the reader is slower: a plan of a million
          // grades is never built in memory, nor written a line per call.
          const stdout = chunkedWriter(cli.io.stdout);
          const lines = out.json
            ? jsonItems(service.planEntries(ctx))
            : opts.verbose
              ? textLines(service.planEntries(ctx), out)
              : [];
          for (const text of lines) {
            const wait = stdout.write(text);
            if (wait) await wait;
          }
          await stdout.flush();
        },
      });
      summary = result.summary;
      if (out.json) {
        cli.io.stdout.write(
          `  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, "\n  ")},\n  "planFile": ${JSON.stringify(result.planFile)},\n  "rosters": ${JSON.stringify(result.rosters ?? null)}\n}\n`,
        );
      } else {
        renderRosters(out, result.rosters);
        await renderSummary(out, summary);
        if (result.planFile)
          out.success(`Plan saved to ${result.planFile}: apply it with gg4l sync apply ${result.planFile}`);
      }
      return;
    }
    const progress = progressReporter(cli.io, "Posting");
    const interrupt = interruptible(out);
    try {
      const result = await service.syncGrades(ctx, filtersOf(opts), {
        onProgress: progress.update,
        signal: interrupt.signal,
        concurrency,
      });
      progress.end();
      await out.emit(result, async () => {
        await renderSummary(out, result.summary);
        renderRun(out, result);
      });
      await finish(result);
    } finally {
      interrupt.dispose();
    }
  });

  const apply = sync
    .command("apply")
    .description("apply exactly a saved plan; refused (exit 6) when the state changed since")
    .argument("<file>", "a plan saved with `gg4l sync grades --dry-run --plan-out <file>`")
    .addHelpText(
      "after",
      examples([
        ["apply a reviewed plan", "gg4l sync apply plan.json"],
        ["from a script", "gg4l sync apply plan.json --json || echo 'plan stale or failed'"],
      ]),
    );
  defineAction(apply, cli, { audit: true }, async ({ ctx, out, args }) => {
    const service = await loadSync();
    const progress = progressReporter(cli.io, "Posting");
    const interrupt = interruptible(out);
    try {
      const result = await service.applyPlanFile(ctx, args[0]!, {
        onProgress: progress.update,
        signal: interrupt.signal,
      });
      progress.end();
      await out.emit(result, () => renderRun(out, result));
      await finish(result);
    } finally {
      interrupt.dispose();
    }
  });

  const daily = sync
    .command("daily")
    .description("the daily job (R8): pull programs, refresh courses, pull gradebooks, plan, post")
    .option("--dry-run", "pull and plan, post nothing")
    .option(
      "--all-tenants",
      "every tenant with an LMS registration, side by side, each under its own lease; tenants on one LMS host share its budget",
    )
    .option("--parallel <n>", "with --all-tenants: at most this many tenants at once (default 8)")
    .addHelpText(
      "after",
      examples([
        [
          "crontab: every day at 02:30",
          "30 2 * * * gg4l sync daily --tenant uni-x --json >> /var/log/gg4l.jsonl",
        ],
        [
          "crontab: every tenant, 8 at once",
          "30 2 * * * gg4l sync daily --all-tenants --json >> /var/log/gg4l.jsonl",
        ],
        ["see what today's run would post", "gg4l sync daily --dry-run"],
      ]),
    );
  defineAction<DailyOpts>(daily, cli, { audit: true }, async ({ ctx, out, opts }) => {
    if (opts.allTenants || opts.parallel !== undefined) {
      const { runAllTenants } = await import("./sync-all-tenants.js");
      await runAllTenants(ctx, out, cli, opts);
      return;
    }
    const service = await loadSync();
    const progress = progressReporter(cli.io, "Posting");
    const interrupt = interruptible(out);
    try {
      const result = await service.syncDaily(ctx, {
        dryRun: Boolean(opts.dryRun),
        onProgress: progress.update,
        signal: interrupt.signal,
      });
      progress.end();
      await out.emit(result, async () => {
        out.note(
          `Pulled ${result.programs.total} program(s) (${result.programs.added} new), refreshed ${result.courses.refreshed} course(s) (+${result.courses.added} −${result.courses.removed}), pulled ${result.grades.pulled} grade(s)`,
        );
        await renderSummary(out, result.plan);
        if (result.run) renderRun(out, result.run);
      });
      if (result.run) await finish(result.run);
    } finally {
      interrupt.dispose();
    }
  });

  const runs = sync
    .command("runs")
    .description("recent sync runs: who, when, options, counts")
    .option("--limit <n>", "how many", "20")
    .addHelpText(
      "after",
      examples([
        ["the last runs", "gg4l sync runs"],
        [
          "did last night's run succeed? (for monitoring)",
          "gg4l sync runs --limit 1 --json | jq -r '.[0].status'",
        ],
      ]),
    );
  defineAction<{ limit: string }>(runs, cli, { audit: false }, async ({ ctx, out, opts }) => {
    const rows = (await loadSync()).syncRuns(ctx, opts.limit);
    await out.emit(rows, () =>
      out.table(
        [
          { header: "RUN", value: (r: RunRow) => r.id },
          { header: "COMMAND", value: (r) => r.command },
          { header: "STARTED", value: (r) => r.startedAt },
          { header: "BY", value: (r) => r.osUser },
          { header: "STATUS", value: (r) => r.status },
          { header: "PHASE", value: (r) => r.phase ?? "-" },
          { header: "POSTED", value: (r) => r.counts.posted ?? "-" },
          { header: "FAILED", value: (r) => r.counts.failed ?? "-" },
        ],
        rows,
        "No sync runs yet.",
      ),
    );
  });

  const show = sync
    .command("show")
    .description("one run: options, counts, failures with the LMS's message")
    .argument("<runId>", "a run id from `gg4l sync runs`")
    .addHelpText(
      "after",
      examples([
        ["what failed in run 42", "gg4l sync show 42"],
        ["as JSON", "gg4l sync show 42 --json"],
      ]),
    );
  defineAction(show, cli, { audit: false }, async ({ ctx, out, args }) => {
    const run = (await loadSync()).syncRun(ctx, args[0]!);
    await out.emit(run, async () => {
      out.record([
        ["run", run.id],
        ["command", run.command],
        ["by", `${run.osUser} (pid ${run.pid})`],
        ["started", run.startedAt],
        ["finished", run.finishedAt],
        ["status", run.status],
        ["phase", run.phase],
        ["options", run.options],
        ["counts", Object.entries(run.counts).map(([k, v]) => `${k} ${v}`)],
        ["error", run.error],
      ]);
      if (run.failures.length > 0) {
        out.line("");
        await out.table(
          [
            { header: "LEARNER", value: (f: (typeof run.failures)[number]) => f.externalId },
            { header: "NAME", value: (f) => f.learner },
            { header: "COURSE", value: (f) => f.courseId },
            { header: "ITEM", value: (f) => f.itemId },
            { header: "COLUMN", value: (f) => f.column },
            { header: "HTTP", value: (f) => f.status },
            { header: "LMS SAID", value: (f) => f.message, wrap: true },
          ],
          run.failures,
          "",
        );
      }
    });
  });
}
