/**
 * The executor: run a prepared plan against the LMS. Columns first, then score posts with
 * adaptive concurrency, read from the plan as it was built. Each acknowledged score is written
 * to the ledger's journal, which also ends its plan item (R9), in a commit the poster awaits
 * before taking another score, so a crash at any point loses nothing and a re-run re-sends
 * only what was in flight.
 */

import type { HttpClient } from "../../clients/http.js";
import type { Db } from "../../store/db.js";
import { dropPlan, type PlanPost, planPosts, planTargetColumns, savePlanColumns } from "../../store/plan.js";
import {
  columnOutcomes,
  columnUrlFor,
  failedItems,
  failItem,
  failPost,
  type ItemFailure,
  itemStatusCounts,
  ledgerScore,
  mergeAcks,
  pendingColumns,
  type RunStatus,
  recordColumn,
} from "../../store/sync.js";
import type { Context } from "../context.js";
import { COLUMN_TAG, type GradebookAdapter, OLDER_TAGS } from "../gradebook.js";
import { gradebookFor } from "../lti.js";
import { BREAKER_THRESHOLD, CircuitBreaker } from "./breaker.js";
import { AdaptiveLimiter } from "./concurrency.js";
import { classifyFailure, runLevelExitCode } from "./failures.js";
import type { HostBudget } from "./host-budget.js";
import { LedgerWriter } from "./ledger-writer.js";
import { type PhaseFigures, type PhaseListener, Phases } from "./phases.js";
import type { PreparedPlan } from "./plan.js";
import type { ActiveRun } from "./run.js";

export interface ApplyOptions {
  /** Follows the run phase by phase (pull, plan, columns, posts, fold), each with its own figures. */
  onPhase?: PhaseListener;
  signal?: AbortSignal;
  /** Tests and benchmarks pass their own HTTP client (to count requests or inject faults). */
  http?: HttpClient;
  concurrency?: { initial: number; max: number };
  /** Requests in flight per LMS host, shared with other tenants' runs (`sync daily --all-tenants`). */
  hosts?: HostBudget;
}

export type SyncFailure = ItemFailure;

/** Why a run stopped before the end of its plan. */
export interface RunCause {
  /** `run`: nothing could succeed (exit 4); `lms-down`: the circuit breaker opened (exit 5). */
  kind: "run" | "lms-down";
  message: string;
  exitCode: number;
}

export interface RunResult {
  runId: number;
  status: RunStatus;
  /** The phase the run ended in. */
  phase: "post" | "fold";
  counts: {
    columnsCreated: number;
    columnsFound: number;
    columnsFailed: number;
    /** Score posts in the plan: posted + stale + failed + notAttempted. */
    planned: number;
    posted: number;
    stale: number;
    failed: number;
    notAttempted: number;
  };
  /** Why the rest was not attempted, when the run stopped early. */
  cause: RunCause | null;
  failures: SyncFailure[];
  durationMs: number;
}

const PAGE = 100;
const MAX_ITEM_ATTEMPTS = 4;
/** An item whose LMS did not answer is tried again only while fewer items than this failed in a row. */
const RETRY_BELOW_STREAK = BREAKER_THRESHOLD / 2;
/** Posts of one score the LMS may refuse as older before it is a failure of that item. */
export const MAX_STALE_ATTEMPTS = 4;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Stops the run: a run-level failure, as the table in failures.ts says. */
class RunStop extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** Strictly after the last timestamp sent for this column and learner, at the LMS's resolution. */
export function nextTimestamp(nowMs: number, lastSentMs: number | null, resolutionMs: number): number {
  if (lastSentMs === null) return nowMs;
  const floor = Math.floor(lastSentMs / resolutionMs) * resolutionMs + resolutionMs;
  return Math.max(nowMs, floor);
}

export async function applyPlan(
  ctx: Context,
  prepared: PreparedPlan,
  run: ActiveRun,
  opts: ApplyOptions,
  phases = new Phases(prepared.tenant.slug, opts.onPhase),
): Promise<RunResult> {
  const { reg, summary } = prepared;
  const { db } = ctx.state();
  const started = Date.now();
  const runId = run.id;
  run.phase("post", summary.fingerprint ?? undefined);
  const columnCount = savePlanColumns(db, runId);
  const postCount = summary.posts.total;
  const limiter = new AdaptiveLimiter({
    initial: opts.concurrency?.initial ?? 4,
    min: 1,
    max: opts.concurrency?.max ?? 16,
    calmPerStep: 5,
  });
  const http = opts.http ?? (await defaultHttp(ctx, limiter, opts.hosts));
  const gradebook = await gradebookFor(ctx, reg, http);
  const now = () => ctx.now().toISOString();
  const ledger = new LedgerWriter(db, runId, now);
  const breaker = new CircuitBreaker(now);
  let stop: RunStop | undefined;
  const stopped = () => stop !== undefined || breaker.open || opts.signal?.aborted === true;
  /** Why the run stops before the end of its plan, said as the run's outcome says it. */
  const whyStopped = (): string | undefined =>
    stop
      ? stop.message
      : breaker.open
        ? breaker.reason()
        : opts.signal?.aborted
          ? "interrupted (Ctrl-C or SIGTERM)"
          : undefined;

  const columnFigures = phases.start("columns", { total: columnCount, created: 0, found: 0, failed: 0 });
  try {
    await createColumns(
      ctx,
      gradebook,
      runId,
      columnFigures,
      () => phases.progress("columns"),
      now,
      breaker,
      stopped,
    );
  } catch (error) {
    if (!(error instanceof RunStop)) throw error;
    stop = error;
  }
  const columnsStopped = whyStopped();
  if (columnsStopped) phases.failed("columns", columnsStopped);
  else phases.done("columns");

  const progress = phases.start("posts", { total: postCount, posted: 0, stale: 0, failed: 0 });
  const report = () => phases.progress("posts", { concurrency: limiter.current });
  let lastSeq = 0;
  let resent = 0;
  const columnUrls = targetColumns(db);
  const columnOf = (item: PlanPost) => columnUrls.get(item.linkId)?.get(item.itemId);
  // A failed post becomes a plan item of the run, numbered after its columns.
  const fail = (
    item: PlanPost,
    columnUrl: string | null,
    failure: { message: string; status: number | null },
  ) => {
    failPost(db, runId, { seq: item.seq, itemSeq: columnCount + item.seq, columnUrl }, failure, now());
    progress.failed += 1;
  };
  const postOne = async (item: PlanPost): Promise<void> => {
    const columnUrl = columnOf(item);
    if (!columnUrl) {
      fail(item, null, {
        message: "its gradebook column could not be created (see the column failures of this run)",
        status: null,
      });
      return;
    }
    const sendComment =
      item.comment !== null && (item.commentChanged === 1 || gradebook.lmsKind !== "canvas");
    const firstAttemptMs = Date.now();
    let counted = false;
    let lastSentMs = item.lastSentMs;
    let refusals = 0;
    for (let attempt = 1; ; attempt++) {
      let sentAtMs = nextTimestamp(Date.now(), lastSentMs, gradebook.timestampResolutionMs);
      if (refusals > 0) {
        // Refused as older: wait out this second of our clock, and lead by one more second per
        // refusal, so an LMS that orders by the second it received the last score in (Moodle),
        // or whose clock runs a little ahead, takes it.
        await sleep(1000 - (Date.now() % 1000));
        sentAtMs = nextTimestamp(Date.now(), lastSentMs, 1000) + (refusals - 1) * 1000;
      }
      try {
        const outcome = await gradebook.postGrade(columnUrl, {
          learnerRef: item.lmsUserId!,
          scoreGiven: item.scoreGiven,
          scoreMaximum: item.scoreMaximum,
          ...(sendComment ? { comment: item.comment! } : {}),
          timestamp: new Date(sentAtMs),
        });
        breaker.answered(columnUrl);
        if (outcome.status === "accepted") {
          await ledger.record({
            columnUrl,
            lmsUserId: item.lmsUserId!,
            kind: item.kind,
            scoreGiven: item.scoreGiven,
            scoreMaximum: item.scoreMaximum,
            comment: item.comment,
            sentAtMs,
            outcome: "accepted",
            message: null,
          });
          progress.posted += 1;
          if (item.kind === "resend") resent += 1;
          limiter.success();
        } else if (outcome.status === "stale") {
          // R9: a refusal is never an acknowledgement. Post again, later, a bounded number of times.
          refusals += 1;
          lastSentMs = sentAtMs;
          if (refusals < MAX_STALE_ATTEMPTS && !stopped()) continue;
          await settleRefused(item, columnUrl, outcome, sentAtMs);
        } else fail(item, columnUrl, { message: outcome.message, status: outcome.httpStatus ?? null });
        return;
      } catch (error) {
        const verdict = classifyFailure(error);
        if (verdict.level === "run") throw new RunStop(error);
        if (verdict.level === "host") {
          // Each item counts once towards the circuit breaker, however often it is tried; it is
          // tried again only while the LMS does not look down.
          if (!counted) breaker.failed(columnUrl, verdict.message, new Date(firstAttemptMs).toISOString());
          counted = true;
          if (breaker.streak(columnUrl) < RETRY_BELOW_STREAK && attempt < MAX_ITEM_ATTEMPTS && !stopped()) {
            // A pause of this item only: halving the concurrency would make an outage take
            // longer to recognise (an overloaded LMS's 503s already slow the limiter down).
            await sleep(1000 * attempt);
            continue;
          }
        } else {
          breaker.answered(columnUrl);
          if (verdict.level === "throttled" && attempt < MAX_ITEM_ATTEMPTS && !stopped()) {
            limiter.throttled(1000 * attempt);
            continue;
          }
        }
        fail(item, columnUrl, verdict);
        return;
      }
    }
  };

  /**
   * The LMS refused the score as older every time. Read what it holds: our very value (nothing
   * lost: recorded stale), or another one, said in the failure, so an agent can tell "the LMS
   * has a newer grade" from "gg4l lost a race". Not acknowledged: the next run plans it again.
   */
  const settleRefused = async (
    item: PlanPost,
    columnUrl: string,
    refusal: { message: string; httpStatus?: number },
    sentAtMs: number,
  ) => {
    const said = refusal.message;
    const status = refusal.httpStatus ?? null;
    const times = `refused ${MAX_STALE_ATTEMPTS} times as older, the last with timestamp ${new Date(sentAtMs).toISOString()}`;
    let held: { score: number | null; maximum: number } | undefined;
    try {
      const [entry] = await gradebook.readGrades(columnUrl, { learnerRef: item.lmsUserId! });
      held = entry ? { score: entry.score, maximum: entry.maximum } : { score: null, maximum: 1 };
    } catch (error) {
      fail(item, columnUrl, {
        message: `${said} (${times}); reading the LMS's grade failed too: ${(error as Error).message}`,
        status,
      });
      return;
    }
    const ours = item.scoreGiven === null ? null : item.scoreGiven / item.scoreMaximum;
    const theirs = held.score === null ? null : held.score / held.maximum;
    if (ours === theirs || (ours !== null && theirs !== null && Math.abs(ours - theirs) < 1e-9)) {
      await ledger.record({
        columnUrl,
        lmsUserId: item.lmsUserId!,
        kind: item.kind,
        scoreGiven: item.scoreGiven,
        scoreMaximum: item.scoreMaximum,
        comment: item.comment,
        sentAtMs,
        outcome: "stale",
        message: `${said}; the LMS already holds this grade`,
      });
      progress.stale += 1;
      return;
    }
    const coursera = item.scoreGiven === null ? "no grade" : `${item.scoreGiven}/${item.scoreMaximum}`;
    let whose: string;
    if (held.score === null) {
      whose = `the LMS holds no grade for this learner (Coursera: ${coursera}): gg4l lost a race with the LMS's clock; the next run posts it again`;
    } else {
      const last = ledgerScore(db, columnUrl, item.lmsUserId!);
      const ledgerRatio = last && last.scoreGiven !== null ? last.scoreGiven / last.scoreMaximum : undefined;
      const fromGg4l = ledgerRatio !== undefined && theirs !== null && Math.abs(ledgerRatio - theirs) < 1e-9;
      whose = fromGg4l
        ? `the LMS holds ${held.score}/${held.maximum}, the last grade gg4l sent (Coursera now: ${coursera}): gg4l lost a race with the LMS's clock; the next run posts it again`
        : `the LMS holds a newer grade, ${held.score}/${held.maximum} (Coursera: ${coursera}), not one gg4l sent: an instructor or another tool set it; gg4l does not overwrite it, and plans it again on the next run`;
    }
    fail(item, columnUrl, { message: `${said} (${times}); ${whose}`, status });
  };

  const inFlight = new Set<Promise<void>>();
  outer: while (!stopped()) {
    const page = planPosts(db, lastSeq, PAGE);
    if (page.length === 0) break;
    for (const item of page) {
      if (stopped()) break outer;
      await limiter.acquire();
      if (stopped()) {
        limiter.release();
        break outer;
      }
      lastSeq = item.seq;
      const task = postOne(item)
        .catch((error) => {
          stop ??= error instanceof RunStop ? error : new RunStop(error);
        })
        .finally(() => {
          limiter.release();
          report();
          inFlight.delete(task);
        });
      inFlight.add(task);
    }
  }
  await Promise.all(inFlight);
  const postsStopped = whyStopped();
  const notPosted = postCount - progress.posted - progress.stale - progress.failed;
  if (postsStopped)
    phases.failed("posts", notPosted > 0 ? `${notPosted} not attempted: ${postsStopped}` : postsStopped);
  else phases.done("posts", { concurrency: limiter.current });
  run.phase("fold");
  await phases.run("fold", { folded: 0 }, (figures) => {
    figures.folded = mergeAcks(db);
  });

  // Acknowledgements are counted once their commit returned; failures as recorded.
  const itemCounts = itemStatusCounts(db, runId);
  const columns = columnOutcomes(db, runId);
  const counts: RunResult["counts"] = {
    columnsCreated: columns.created,
    columnsFound: columns.found,
    columnsFailed: itemCounts["create-column:failed"] ?? 0,
    planned: postCount,
    posted: progress.posted,
    stale: progress.stale,
    failed: progress.failed,
    notAttempted: notPosted,
  };
  let cause: RunCause | null = null;
  if (stop) {
    const error = stop.error;
    const message = error instanceof Error ? error.message : String(error);
    cause = { kind: "run", message, exitCode: runLevelExitCode(error) };
  } else if (breaker.open) cause = { kind: "lms-down", message: breaker.reason(), exitCode: 5 };
  const status: RunStatus = cause
    ? "failed"
    : opts.signal?.aborted
      ? "interrupted"
      : counts.failed + counts.columnsFailed > 0
        ? "partial"
        : "ok";
  const failures = failedItems(db, runId, 50);
  const notAttemptedWhy = cause
    ? `${counts.notAttempted} not attempted: ${cause.message}`
    : status === "interrupted"
      ? `${counts.notAttempted} not attempted: interrupted (Ctrl-C or SIGTERM)`
      : undefined;
  run.finish(status, { ...counts, resent, ...skipCounts(summary) }, notAttemptedWhy);
  return { runId, status, phase: "fold", counts, cause, failures, durationMs: Date.now() - started };
}

/**
 * Every column the plan posts to, by link and item: its URL as planned, or as created by this
 * run's column step; none when that failed.
 */
function targetColumns(db: Db): Map<number, Map<string, string | undefined>> {
  const columns = new Map<number, Map<string, string | undefined>>();
  for (const t of planTargetColumns(db)) {
    const byItem = columns.get(t.linkId) ?? new Map<string, string | undefined>();
    byItem.set(t.itemId, t.columnUrl ?? columnUrlFor(db, t.linkId, t.itemId));
    columns.set(t.linkId, byItem);
  }
  return columns;
}

export function dropPlanQuietly(db: Db): void {
  try {
    dropPlan(db);
  } catch {
    // A broken state already failed the run; the temporary tables go with the connection.
  }
}

/** On the way out of a failed run: fold what was acknowledged, unless the state itself is what failed. */
export function foldAcksQuietly(db: Db): void {
  try {
    mergeAcks(db);
  } catch {
    // The next plan folds the journal (preparePlan) and no acknowledgement is lost meanwhile.
  }
}

function skipCounts(summary: PreparedPlan["summary"]): Record<string, number> {
  return Object.fromEntries(
    Object.entries(summary.skipped).map(([reason, n]) => [`skipped:${reason}`, n ?? 0]),
  );
}

async function createColumns(
  ctx: Context,
  gradebook: GradebookAdapter,
  runId: number,
  progress: PhaseFigures["columns"],
  report: () => void,
  now: () => string,
  breaker: CircuitBreaker,
  stopped: () => boolean,
): Promise<void> {
  const { db } = ctx.state();
  for (const item of pendingColumns(db, runId)) {
    if (stopped()) return;
    const startedAt = now();
    try {
      const { column, created } = await gradebook.findOrCreateColumn(item.containerUrl!, {
        label: item.label ?? item.itemId,
        scoreMaximum: item.scoreMaximum,
        resourceId: item.itemId || item.courseId,
        resourceLinkId: item.resourceLinkId!,
        tag: item.itemId ? COLUMN_TAG.item : COLUMN_TAG.final,
        tagAliases: OLDER_TAGS[item.itemId ? COLUMN_TAG.item : COLUMN_TAG.final],
      });
      breaker.answered(item.containerUrl!);
      recordColumn(
        db,
        { runId, seq: item.seq, linkId: item.linkId, itemId: item.itemId },
        {
          url: column.ref,
          label: column.label,
          scoreMaximum: column.scoreMaximum,
          created,
        },
        now(),
      );
      if (created) progress.created += 1;
      else progress.found += 1;
    } catch (error) {
      const verdict = classifyFailure(error);
      if (verdict.level === "run") throw new RunStop(error);
      if (verdict.level === "host") breaker.failed(item.containerUrl!, verdict.message, startedAt);
      else breaker.answered(item.containerUrl!);
      failItem(db, runId, item.seq, verdict, now());
      progress.failed += 1;
    }
    report();
  }
}

async function defaultHttp(ctx: Context, limiter: AdaptiveLimiter, hosts?: HostBudget): Promise<HttpClient> {
  const { HttpClient } = await import("../../clients/http.js");
  return new HttpClient({
    logger: ctx.logger,
    ...(hosts ? { gate: hosts.enter } : {}),
    onRetry: ({ status, delayMs }) => {
      if (status === 429 || status === 503) limiter.throttled(delayMs);
    },
    onResponse: ({ status, headers }) => {
      const remaining = headers["x-rate-limit-remaining"];
      if (status === 403 && remaining !== undefined) limiter.throttled(1000);
      else if (remaining !== undefined && Number(remaining) < 100) limiter.nearLimit();
    },
  });
}
