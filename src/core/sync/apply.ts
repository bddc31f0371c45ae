/**
 * The executor: run a prepared plan against the LMS. Columns first, then score posts with
 * adaptive concurrency, read from the plan as it was built. Each acknowledged score is written
 * to the ledger's journal, which also ends its plan item (R9), in a commit the poster awaits
 * before taking another score, so a crash at any point loses nothing and a re-run re-sends
 * only what was in flight.
 */

import { ConfigError, GgError, RemoteError } from "../../base/errors.js";
import type { HttpClient } from "../../clients/http.js";
import type { Db } from "../../store/db.js";
import { dropPlan, type PlanPost, planPosts, planTargetColumns, savePlanColumns } from "../../store/plan.js";
import {
  columnOutcomes,
  columnUrlFor,
  failedItems,
  failItem,
  failPost,
  finishRun,
  type ItemFailure,
  itemStatusCounts,
  mergeAcks,
  pendingColumns,
  type RunStatus,
  recordColumn,
  runStatus,
  startRun,
} from "../../store/sync.js";
import type { Context } from "../context.js";
import { COLUMN_TAG, type GradebookAdapter, OLDER_TAGS } from "../gradebook.js";
import { gradebookFor } from "../lti.js";
import { AdaptiveLimiter } from "./concurrency.js";
import { acquireLease } from "./lease.js";
import { LedgerWriter } from "./ledger-writer.js";
import type { PreparedPlan } from "./plan.js";

export interface SyncProgress {
  total: number;
  done: number;
  posted: number;
  stale: number;
  failed: number;
  concurrency: number;
  startedAt: number;
}

export interface ApplyOptions {
  command: string;
  options: Record<string, unknown>;
  onProgress?: (progress: SyncProgress) => void;
  signal?: AbortSignal;
  /** Tests and benchmarks pass their own HTTP client (to count requests or inject faults). */
  http?: HttpClient;
  concurrency?: { initial: number; max: number };
}

export type SyncFailure = ItemFailure;

export interface RunResult {
  runId: number;
  status: RunStatus;
  counts: {
    columnsCreated: number;
    columnsFound: number;
    posted: number;
    stale: number;
    failed: number;
    notAttempted: number;
  };
  failures: SyncFailure[];
  durationMs: number;
}

const PAGE = 100;
const MAX_ITEM_ATTEMPTS = 4;

/** A failure that concerns every learner: stop the run rather than fail each post alike. */
function isFatal(error: unknown): boolean {
  if (error instanceof ConfigError) return true;
  // The state itself failed (disk full, locked, corrupt): no point posting more.
  if (String((error as { code?: unknown }).code ?? "").startsWith("SQLITE")) return true;
  const kind = (error as { kind?: string }).kind;
  return (
    error instanceof GgError && (kind === "config" || kind === "invalid-request" || error.exitCode === 4)
  );
}

function isRetryable(error: unknown): boolean {
  const kind = (error as { kind?: string }).kind;
  return (
    kind === "retry" || (error instanceof RemoteError && kind === undefined && error.status === undefined)
  );
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
  opts: ApplyOptions,
): Promise<RunResult> {
  const { tenant, reg, summary } = prepared;
  const { db } = ctx.state();
  const started = Date.now();
  const lease = acquireLease(ctx, tenant);
  let runId = 0;
  try {
    runId = startRun(db, {
      tenantId: tenant.id,
      command: opts.command,
      osUser: ctx.osUser,
      pid: process.pid,
      options: { ...opts.options, gradeSync: reg.gradeSync, incremental: reg.incremental, noSso: reg.noSso },
      fingerprint: summary.fingerprint,
      now: ctx.now().toISOString(),
    });
    const columnCount = savePlanColumns(db, runId);
    const postCount = summary.posts.total;
    const limiter = new AdaptiveLimiter({
      initial: opts.concurrency?.initial ?? 4,
      min: 1,
      max: opts.concurrency?.max ?? 16,
      calmPerStep: 5,
    });
    const http = opts.http ?? (await defaultHttp(ctx, limiter));
    const gradebook = await gradebookFor(ctx, reg, http);
    const progress: SyncProgress = {
      total: columnCount + postCount,
      done: 0,
      posted: 0,
      stale: 0,
      failed: 0,
      concurrency: limiter.current,
      startedAt: started,
    };
    const report = () => {
      progress.concurrency = limiter.current;
      opts.onProgress?.(progress);
    };
    const now = () => ctx.now().toISOString();
    const ledger = new LedgerWriter(db, runId, now);

    await createColumns(ctx, gradebook, runId, progress, report, now);
    let fatal: unknown;
    let lastSeq = 0;
    let resent = 0;
    const columnUrls = targetColumns(db);
    const columnOf = (item: PlanPost) => columnUrls.get(item.linkId)?.get(item.itemId);
    // A failed post becomes a plan item of the run, numbered after its columns.
    const fail = (item: PlanPost, columnUrl: string | null, message: string) => {
      failPost(db, runId, { seq: item.seq, itemSeq: columnCount + item.seq, columnUrl }, message, now());
      progress.failed += 1;
    };
    const postOne = async (item: PlanPost): Promise<void> => {
      const columnUrl = columnOf(item);
      if (!columnUrl) {
        fail(item, null, "its gradebook column could not be created (see the column failures of this run)");
        return;
      }
      const sendComment =
        item.comment !== null && (item.commentChanged === 1 || gradebook.lmsKind !== "canvas");
      for (let attempt = 1; ; attempt++) {
        const sentAtMs = nextTimestamp(Date.now(), item.lastSentMs, gradebook.timestampResolutionMs);
        try {
          const outcome = await gradebook.postGrade(columnUrl, {
            learnerRef: item.lmsUserId!,
            scoreGiven: item.scoreGiven,
            scoreMaximum: item.scoreMaximum,
            ...(sendComment ? { comment: item.comment! } : {}),
            timestamp: new Date(sentAtMs),
          });
          if (outcome.status === "accepted" || outcome.status === "stale") {
            await ledger.record({
              columnUrl,
              lmsUserId: item.lmsUserId!,
              kind: item.kind,
              scoreGiven: item.scoreGiven,
              scoreMaximum: item.scoreMaximum,
              comment: item.comment,
              sentAtMs,
              outcome: outcome.status,
              message: outcome.status === "stale" ? outcome.message : null,
            });
            if (outcome.status === "accepted") {
              progress.posted += 1;
              if (item.kind === "resend") resent += 1;
              limiter.success();
            } else progress.stale += 1;
          } else fail(item, columnUrl, outcome.message);
          return;
        } catch (error) {
          if (isFatal(error)) throw error;
          if (isRetryable(error) && attempt < MAX_ITEM_ATTEMPTS) {
            limiter.throttled(1000 * attempt);
            continue;
          }
          fail(item, columnUrl, (error as Error).message);
          return;
        }
      }
    };

    const inFlight = new Set<Promise<void>>();
    outer: for (;;) {
      const page = planPosts(db, lastSeq, PAGE);
      if (page.length === 0) break;
      for (const item of page) {
        lastSeq = item.seq;
        if (fatal || opts.signal?.aborted) break outer;
        await limiter.acquire();
        if (fatal || opts.signal?.aborted) {
          limiter.release();
          break outer;
        }
        const task = postOne(item)
          .catch((error) => {
            fatal ??= error;
          })
          .finally(() => {
            limiter.release();
            progress.done += 1;
            report();
            inFlight.delete(task);
          });
        inFlight.add(task);
      }
    }
    await Promise.all(inFlight);
    report();
    mergeAcks(db);

    // Acknowledgements are counted once their commit returned; failures as recorded.
    const itemCounts = itemStatusCounts(db, runId);
    const columns = columnOutcomes(db, runId);
    const postsFailed = itemCounts["post:failed"] ?? 0;
    const counts: RunResult["counts"] = {
      columnsCreated: columns.created,
      columnsFound: columns.found,
      posted: progress.posted,
      stale: progress.stale,
      failed: postsFailed + (itemCounts["create-column:failed"] ?? 0),
      notAttempted:
        postCount -
        progress.posted -
        progress.stale -
        postsFailed +
        (itemCounts["create-column:pending"] ?? 0),
    };
    const status: RunStatus = fatal
      ? "failed"
      : opts.signal?.aborted
        ? "interrupted"
        : counts.failed > 0
          ? "partial"
          : "ok";
    const failures = failedItems(db, runId, 50);
    finishRun(
      db,
      runId,
      status,
      { ...counts, resent, ...skipCounts(summary) },
      now(),
      fatal ? (fatal as Error).message : undefined,
    );
    if (fatal) throw fatal;
    return { runId, status, counts, failures, durationMs: Date.now() - started };
  } catch (error) {
    if (runId > 0 && ctx.openedState()) {
      foldAcksQuietly(db);
      if (runStatus(db, runId) === "running")
        finishRun(db, runId, "failed", {}, ctx.now().toISOString(), (error as Error).message);
    }
    throw error;
  } finally {
    dropPlanQuietly(db);
    lease.release();
  }
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

function dropPlanQuietly(db: Db): void {
  try {
    dropPlan(db);
  } catch {
    // A broken state already failed the run; the temporary tables go with the connection.
  }
}

/** On the way out of a failed run: fold what was acknowledged, unless the state itself is what failed. */
function foldAcksQuietly(db: Db): void {
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
  progress: SyncProgress,
  report: () => void,
  now: () => string,
): Promise<void> {
  const { db } = ctx.state();
  for (const item of pendingColumns(db, runId)) {
    try {
      const { column, created } = await gradebook.findOrCreateColumn(item.containerUrl!, {
        label: item.label ?? item.itemId,
        scoreMaximum: item.scoreMaximum,
        resourceId: item.itemId || item.courseId,
        resourceLinkId: item.resourceLinkId!,
        tag: item.itemId ? COLUMN_TAG.item : COLUMN_TAG.final,
        tagAliases: OLDER_TAGS[item.itemId ? COLUMN_TAG.item : COLUMN_TAG.final],
      });
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
    } catch (error) {
      if (isFatal(error)) throw error;
      failItem(db, runId, item.seq, (error as Error).message, now());
      progress.failed += 1;
    }
    progress.done += 1;
    report();
  }
}

async function defaultHttp(ctx: Context, limiter: AdaptiveLimiter): Promise<HttpClient> {
  const { HttpClient } = await import("../../clients/http.js");
  return new HttpClient({
    logger: ctx.logger,
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
