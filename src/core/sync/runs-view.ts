/**
 * The record of sync runs as on-call reads it: what one run did per learner and column
 * (`sync show`), and the runs of every tenant (`sync runs --all-tenants`).
 */
import { findLearners } from "../../store/learners.js";
import {
  failedRunItems,
  postedItems,
  type RunItemRow,
  type RunItemStatus,
  type UnchangedScope,
  unchangedItems,
} from "../../store/run-items.js";
import { latestRun, listRuns, type RunRow } from "../../store/sync.js";
import { listTenants } from "../../store/tenants.js";
import type { Context } from "../context.js";
import { resolveCourse } from "../courses.js";
import { resolveProgram } from "../programs.js";
import { currentTenant } from "../tenants.js";
import { parseLimit } from "../validate.js";
import { settleAbandonedRuns } from "./lease.js";

export type { RunItemRow, RunItemStatus };

/** Where a run's rows come from, said next to them (JSON `sources`). */
export const RUN_ITEM_SOURCES = {
  posted: "the scores the LMS acknowledged in this run",
  unchanged:
    "the score ledger: scores the LMS acknowledged before this run, not posted since and not failed in it (a score posted again by a later run no longer shows here)",
  failed: "the run's failed posts and column creations, with what the LMS said",
} as const;

/** The run's filters (as typed then) resolved now, so the unchanged rows keep to them; one that no longer resolves is left out. */
function scopeOf(ctx: Context, run: RunRow): UnchangedScope {
  const filters = (run.options.filters ?? {}) as { program?: string; course?: string; learner?: string };
  const tenant = currentTenant(ctx);
  const scope: UnchangedScope = {};
  const attempt = (f: () => void) => {
    try {
      f();
    } catch {
      // The program, course or learner is gone from the state: list without that filter.
    }
  };
  if (filters.program)
    attempt(() => (scope.programId = resolveProgram(ctx, tenant, filters.program!).programId));
  if (filters.course) attempt(() => (scope.courseId = resolveCourse(ctx, tenant, filters.course!).id));
  if (filters.learner) {
    const found = findLearners(ctx.state().db, tenant.id, filters.learner);
    if (found.length === 1) scope.externalId = found[0]!.externalId;
  }
  return scope;
}

/**
 * What the run did per learner and column, read from the state a page at a time: posted,
 * then unchanged, then failed, each kept only when asked for (`want`).
 */
export function* runItems(
  ctx: Context,
  run: RunRow,
  want: ReadonlySet<RunItemStatus>,
): Generator<RunItemRow> {
  const { db } = ctx.state();
  if (want.has("posted") || want.has("unchanged")) {
    for (const row of postedItems(db, run)) if (want.has(row.status)) yield row;
  }
  // A run that never planned (stopped while pulling) found nothing unchanged.
  if (want.has("unchanged") && run.fingerprint !== null)
    yield* unchangedItems(db, { id: run.id, tenantId: run.tenantId }, scopeOf(ctx, run));
  if (want.has("failed")) yield* failedRunItems(db, run.id);
}

export interface TenantRun extends RunRow {
  tenant: string;
}

export interface AllTenantsRuns {
  runs: TenantRun[];
  /** Tenants with no run to show (no daily run yet, or none at all with --limit). */
  without: string[];
}

/**
 * Every tenant's runs, tenant by tenant (slug order), newest first: with `limitText`, each
 * tenant's last N runs of any command; without, each tenant's last `sync daily` run.
 */
export function allTenantsRuns(ctx: Context, limitText: string | undefined): AllTenantsRuns {
  const limit = limitText === undefined ? undefined : parseLimit(limitText);
  const { db } = ctx.state();
  const result: AllTenantsRuns = { runs: [], without: [] };
  for (const tenant of listTenants(db)) {
    settleAbandonedRuns(ctx, tenant);
    const lastDaily = limit === undefined ? latestRun(db, tenant.id, "sync daily") : undefined;
    const rows = limit === undefined ? (lastDaily ? [lastDaily] : []) : listRuns(db, tenant.id, limit);
    if (rows.length === 0) result.without.push(tenant.slug);
    for (const row of rows) result.runs.push({ tenant: tenant.slug, ...row });
  }
  return result;
}
