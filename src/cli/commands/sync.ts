import type { Command } from "commander";
import type { Context } from "../../core/context.js";
import type {
  DryRunResult,
  PhaseEvent,
  PlanEntry,
  PlanSummary,
  RunItemRow,
  RunItemStatus,
  RunResult,
  RunRow,
  TenantRun,
} from "../../core/sync/index.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import { chunkedWriter, writeLines } from "../io/chunked.js";
import { interruptSignal } from "../io/interrupt.js";
import type { Output } from "../io/output.js";
import { type PhaseProgress, phaseProgress } from "../io/progress.js";
import { type StreamColumn, streamTable } from "../io/stream-table.js";

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

/**
 * `pulledNow`: the grades were pulled by this command (sync daily), so an empty state means
 * Coursera had none, not that nobody pulled them.
 */
async function renderSummary(out: Output, s: PlanSummary, opts: { pulledNow?: boolean } = {}): Promise<void> {
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
  if (!s.gradesInState) {
    out.warn(
      opts.pulledNow
        ? "Nothing to sync: Coursera has no grades yet for the active programs' learners"
        : `Nothing to sync: no Coursera grades pulled yet for tenant ${s.tenant}. \`sync grades\` plans from the grades in the state; \`gg4l sync daily\` pulls them from Coursera, then posts`,
    );
    return;
  }
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

/** The summary's words for a post's kind, shown again on each post of the verbose table. */
const postWhy = {
  new: "new score",
  changed: "changed score",
  resend: "unchanged, re-posted (incremental off)",
} as const;

const scoreText = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));

/** A plan entry's course and item, by name (the ids are in --json). */
function placeOf(e: PlanEntry): string {
  const course = e.courseName ?? e.courseId;
  return e.itemId ? `${course} — ${e.itemName ?? e.itemId}` : course;
}

/**
 * --verbose: the plan as a table, an entry a row. ITEM names the course and item; it and
 * LEARNER identify the row, and SCORE is a figure: none of them is
 * cut. WHY takes what is left of a terminal's line.
 */
const entryColumns: StreamColumn<PlanEntry>[] = [
  { header: "ACTION", value: (e) => (e.action === "create-column" ? "create column" : e.action) },
  { header: "ITEM", value: placeOf, whole: true },
  { header: "LEARNER", value: (e) => e.externalId, whole: true },
  {
    header: "SCORE",
    whole: true,
    value: (e) =>
      e.action === "post"
        ? `${scoreText(e.scoreGiven)}/${e.scoreMaximum}${e.previousScore != null ? ` (was ${e.previousScore})` : ""}`
        : scoreText(e.scoreGiven),
  },
  {
    header: "WHY",
    value: (e) =>
      e.action === "create-column"
        ? `new column "${e.label}"`
        : e.action === "post"
          ? postWhy[e.kind ?? "new"]
          : e.because,
  },
];

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
  // The column's label names the course and item; the ids are in --json and `sync show`.
  const where = f.column ? `"${f.column}"` : `${f.courseId}${f.itemId ? `/${f.itemId}` : ""}`;
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

/**
 * The run's phases shown on stderr as they go; the run's own log lines (a warning, say) are
 * written above the spinner rather than through it.
 */
async function followPhases(
  cli: CliEnv,
  ctx: Context,
  out: Output,
): Promise<PhaseProgress & { dispose(): void }> {
  const progress = await phaseProgress(cli.io, { json: out.json, style: out.style, env: cli.env });
  const logger = ctx.logger;
  ctx.logger = {
    ...logger,
    debug: (message) => progress.around(() => logger.debug(message)),
    info: (message) => progress.around(() => logger.info(message)),
    warn: (message) => progress.around(() => logger.warn(message)),
  };
  return {
    ...progress,
    dispose() {
      progress.stop();
      ctx.logger = logger;
    },
  };
}

/** Ctrl-C stops taking new posts and lets the ones in flight end; a second Ctrl-C kills. */
function interruptible(out: Output, progress: PhaseProgress): { signal: AbortSignal; dispose(): void } {
  return interruptSignal(() =>
    progress.around(() => out.note("Stopping after the posts in flight (Ctrl-C again to kill)…")),
  );
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

/** The dry run's JSON up to its `"items"` array's end, the entries as the plan gives them. */
function* jsonItems(items: Iterable<string | Buffer>): Generator<string | Buffer> {
  yield `{\n  "dryRun": true,\n  "items": [`;
  yield* items;
  yield "\n  ],\n";
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
      // A phase that fails ends its own line; the spinner never outlives the call.
      const progress = await followPhases(cli, ctx, out);
      // --json: the plan phase lasts while its items are written. On a terminal a spinner redrawn
      // meanwhile, or the phase's end line, would land inside the document: the spinner stops
      // when the items start, and what the phase says next waits until the document is whole.
      const held: PhaseEvent[] = [];
      let holding = false;
      const release = () => {
        holding = false;
        for (const event of held.splice(0)) progress.onPhase(event);
      };
      const result = await service
        .dryRun(ctx, filtersOf(opts), {
          ...(opts.planOut ? { planOut: opts.planOut } : {}),
          ...(opts.offline ? { offline: true } : {}),
          onPhase: (event) => (holding ? held.push(event) : progress.onPhase(event)),
          // Streamed in large chunks, waiting when the reader is slower: a plan of a million
          // grades is never built in memory, nor written a line per call.
          ...(out.json
            ? {
                json: (items: Iterable<string | Buffer>) => {
                  progress.stop();
                  holding = true;
                  return writeLines(cli.io.stdout, jsonItems(items));
                },
              }
            : opts.verbose
              ? {
                  entries: () =>
                    writeLines(
                      cli.io.stdout,
                      streamTable(entryColumns, service.planEntries(ctx), {
                        terminal: out.terminal,
                        width: cli.io.columns,
                        style: out.style,
                      }),
                    ),
                }
              : { countOnly: true }),
        })
        .catch((error: unknown) => {
          release();
          throw error;
        });
      summary = result.summary;
      if (out.json) {
        await new Promise<void>((resolve) =>
          cli.io.stdout.write(
            `  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, "\n  ")},\n  "planFile": ${JSON.stringify(result.planFile)},\n  "rosters": ${JSON.stringify(result.rosters ?? null)}\n}\n`,
            () => resolve(),
          ),
        );
        release();
      }
      progress.dispose();
      if (!out.json) {
        renderRosters(out, result.rosters);
        await renderSummary(out, summary);
        if (result.planFile)
          out.success(`Plan saved to ${result.planFile}: apply it with gg4l sync apply ${result.planFile}`);
      }
      return;
    }
    const progress = await followPhases(cli, ctx, out);
    const interrupt = interruptible(out, progress);
    try {
      const result = await service.syncGrades(ctx, filtersOf(opts), {
        onPhase: progress.onPhase,
        signal: interrupt.signal,
        concurrency,
      });
      progress.dispose();
      await out.emit(result, async () => {
        await renderSummary(out, result.summary);
        renderRun(out, result);
      });
      await finish(result);
    } finally {
      interrupt.dispose();
      progress.dispose();
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
    const progress = await followPhases(cli, ctx, out);
    const interrupt = interruptible(out, progress);
    try {
      const result = await service.applyPlanFile(ctx, args[0]!, {
        onPhase: progress.onPhase,
        signal: interrupt.signal,
      });
      progress.dispose();
      await out.emit(result, () => renderRun(out, result));
      await finish(result);
    } finally {
      interrupt.dispose();
      progress.dispose();
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
    const progress = await followPhases(cli, ctx, out);
    const interrupt = interruptible(out, progress);
    try {
      const result = await service.syncDaily(ctx, {
        dryRun: Boolean(opts.dryRun),
        // The text summary shows counts only; --json shows the plan's fingerprint too.
        countOnly: !out.json,
        onPhase: progress.onPhase,
        signal: interrupt.signal,
      });
      progress.dispose();
      await out.emit(result, async () => {
        out.note(
          `Pulled ${result.programs.total} program(s) (${result.programs.added} new), refreshed ${result.courses.refreshed} course(s) (+${result.courses.added} −${result.courses.removed}), pulled ${result.grades.pulled} grade(s)`,
        );
        await renderSummary(out, result.plan, { pulledNow: true });
        if (result.run) renderRun(out, result.run);
      });
      if (result.run) await finish(result.run);
    } finally {
      interrupt.dispose();
      progress.dispose();
    }
  });

  const runs = sync
    .command("runs")
    .description("recent sync runs: who, when, options, counts")
    .option("--limit <n>", "how many (default 20; with --all-tenants: per tenant)")
    .option(
      "--all-tenants",
      "every tenant's runs in one table: by default each tenant's last `sync daily` run (last night at a glance)",
    )
    .addHelpText(
      "after",
      examples([
        ["the last runs", "gg4l sync runs"],
        [
          "did last night's run succeed? (for monitoring)",
          "gg4l sync runs --limit 1 --json | jq -r '.[0].status'",
        ],
        ["last night, every tenant", "gg4l sync runs --all-tenants"],
      ]),
    );
  const runColumns = [
    { header: "RUN", value: (r: RunRow) => r.id },
    { header: "COMMAND", value: (r: RunRow) => r.command },
    { header: "STARTED", value: (r: RunRow) => r.startedAt },
    { header: "BY", value: (r: RunRow) => r.osUser },
    { header: "STATUS", value: (r: RunRow) => r.status },
    { header: "PHASE", value: (r: RunRow) => r.phase ?? "-" },
    { header: "POSTED", value: (r: RunRow) => r.counts.posted ?? "-" },
    { header: "FAILED", value: (r: RunRow) => r.counts.failed ?? "-" },
  ];
  defineAction<{ limit?: string; allTenants?: boolean }>(
    runs,
    cli,
    { audit: false },
    async ({ ctx, out, opts }) => {
      const service = await loadSync();
      if (opts.allTenants) {
        await refuseTenantWithAllTenants(opts.tenant);
        const { runs: rows, without } = service.allTenantsRuns(ctx, opts.limit);
        await out.emit(rows, async () => {
          await out.table(
            [{ header: "TENANT", value: (r: TenantRun) => r.tenant }, ...runColumns],
            rows,
            "No sync runs yet.",
          );
          if (without.length > 0)
            out.note(
              `${opts.limit === undefined ? "No sync daily run yet" : "No sync runs yet"} for: ${without.join(", ")}`,
            );
        });
        return;
      }
      const rows = service.syncRuns(ctx, opts.limit ?? "20");
      await out.emit(rows, () => out.table(runColumns, rows, "No sync runs yet."));
    },
  );

  const show = sync
    .command("show")
    .description(
      "one run: options, counts, and what it did per learner and column (posted, unchanged, failed)",
    )
    .argument("<runId>", "a run id from `gg4l sync runs`")
    .option("--posted", "list the scores the run posted")
    .option("--unchanged", "list the scores the LMS already had")
    .option("--failed", "list what failed, with the LMS's message")
    .addHelpText(
      "after",
      examples([
        ["what run 42 did", "gg4l sync show 42"],
        ["only what failed in run 42", "gg4l sync show 42 --failed"],
        ["as JSON", "gg4l sync show 42 --json"],
      ]),
    );
  defineAction<{ posted?: boolean; unchanged?: boolean; failed?: boolean }>(
    show,
    cli,
    { audit: false },
    async ({ ctx, out, args, opts }) => {
      const service = await loadSync();
      const run = service.syncRun(ctx, args[0]!);
      const chosen = (["posted", "unchanged", "failed"] as const).filter((s) => opts[s]);
      const want = new Set<RunItemStatus>(chosen.length > 0 ? chosen : ["posted", "unchanged", "failed"]);
      const items = service.runItems(ctx, run, want);
      const listed = { posted: 0, unchanged: 0, failed: 0 };
      const counting = function* () {
        for (const item of items) {
          listed[item.status] += 1;
          yield item;
        }
      };
      const counted = countedOf(run.counts);
      if (out.json) {
        await writeShowJson(cli, run, [...want], counting(), listed, counted);
        return;
      }
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
      out.line("");
      await writeLines(
        cli.io.stdout,
        streamTable(showColumns(out.terminal), counting(), {
          terminal: out.terminal,
          width: cli.io.columns,
          style: out.style,
        }),
      );
      if (listed.posted + listed.unchanged + listed.failed === 0)
        out.note(`Run ${run.id} has no ${[...want].join(", ")} score to list.`);
      for (const status of want) {
        if (listed[status] !== counted[status])
          out.note(
            `${status}: ${listed[status]} listed, the run counted ${counted[status]} (${service.RUN_ITEM_SOURCES[status]})`,
          );
      }
      const notAttempted = run.counts.notAttempted ?? 0;
      if (want.has("unchanged") && notAttempted > 0)
        out.note(
          `${notAttempted} planned post(s) were not attempted: the LMS keeps their earlier score, which may be listed as unchanged`,
        );
    },
  );
}

async function refuseTenantWithAllTenants(tenant: string | undefined): Promise<void> {
  if (tenant === undefined) return;
  const { UsageError } = await import("../../base/errors.js");
  throw new UsageError("--all-tenants and --tenant go separately", {
    hint: "drop --tenant to see every tenant, or --all-tenants to see one",
  });
}

/** What the run's own counts say it posted, found unchanged and failed, to set beside the rows listed. */
function countedOf(counts: Record<string, number>): Record<RunItemStatus, number> {
  return {
    posted: counts.posted ?? 0,
    unchanged: (counts["skipped:unchanged"] ?? 0) + (counts.stale ?? 0),
    failed: (counts.failed ?? 0) + (counts.columnsFailed ?? 0),
  };
}

const KIND_WORDS: Record<string, string> = {
  new: "new score",
  changed: "changed score",
  resend: "unchanged, re-posted (incremental off)",
};

function detailOf(r: RunItemRow): string {
  if (r.status === "posted") return KIND_WORDS[r.kind ?? ""] ?? r.kind ?? "";
  if (r.status === "unchanged") return r.message ?? "the LMS already had this score";
  const said = `${r.httpStatus !== null ? `HTTP ${r.httpStatus}: ` : ""}${r.message ?? ""}`;
  return r.action === "create-column" ? `column not created: ${said}` : said;
}

const scoreOf = (r: RunItemRow) =>
  r.action === "create-column" || r.scoreMaximum === null ? null : `${r.scoreGiven ?? "-"}/${r.scoreMaximum}`;

/** On a terminal names only; piped, the ids a script joins on are columns of their own. */
function showColumns(terminal: boolean): StreamColumn<RunItemRow>[] {
  if (terminal) {
    return [
      { header: "STATUS", value: (r) => r.status, whole: true },
      {
        header: "LEARNER",
        whole: true,
        value: (r) =>
          r.externalId && r.email && r.email !== r.externalId
            ? `${r.email} (${r.externalId})`
            : (r.email ?? r.externalId ?? (r.action === "create-column" ? "-" : r.lmsUserId)),
      },
      { header: "NAME", value: (r) => r.learner },
      { header: "COURSE", value: (r) => r.course ?? r.courseId },
      { header: "COLUMN", value: (r) => r.column ?? r.item ?? r.itemId },
      { header: "SCORE", value: scoreOf },
      { header: "DETAIL", value: detailOf, whole: true },
    ];
  }
  return [
    { header: "STATUS", value: (r) => r.status },
    { header: "EXTERNAL ID", value: (r) => r.externalId },
    { header: "EMAIL", value: (r) => r.email },
    { header: "NAME", value: (r) => r.learner },
    { header: "COURSE ID", value: (r) => r.courseId },
    { header: "COURSE", value: (r) => r.course },
    { header: "ITEM ID", value: (r) => r.itemId },
    { header: "COLUMN", value: (r) => r.column ?? r.item },
    { header: "SCORE", value: scoreOf },
    { header: "HTTP", value: (r) => r.httpStatus },
    { header: "DETAIL", value: detailOf },
  ];
}

/**
 * `sync show --json`: the run object as before (its fields and `failures`), with the rows
 * streamed into `items` and, after them, how many were listed beside what the run counted.
 */
async function writeShowJson(
  cli: CliEnv,
  run: RunRow & { tenant: string; failures: unknown[] },
  show: RunItemStatus[],
  items: Iterable<RunItemRow>,
  listed: Record<RunItemStatus, number>,
  counted: Record<RunItemStatus, number>,
): Promise<void> {
  const { RUN_ITEM_SOURCES } = await loadSync();
  const sources = Object.fromEntries(show.map((s) => [s, RUN_ITEM_SOURCES[s]]));
  const head = JSON.stringify({ ...run, show, sources }, null, 2);
  const stdout = chunkedWriter(cli.io.stdout);
  const write = async (text: string) => {
    const wait = stdout.write(text);
    if (wait) await wait;
  };
  await write(`${head.slice(0, head.lastIndexOf("\n}"))},\n  "items": [`);
  let first = true;
  for (const item of items) {
    await write(`${first ? "\n" : ",\n"}    ${JSON.stringify(item)}`);
    first = false;
  }
  await write(
    `${first ? "" : "\n  "}],\n  "listed": ${JSON.stringify(listed)},\n  "counted": ${JSON.stringify(counted)}\n}\n`,
  );
  await stdout.flush();
}
