/** The sync commands' services: dry run, plan + apply, apply a saved plan, the daily job, run records. */

import { ConflictError, NotFoundError, UsageError } from "../../base/errors.js";
import type { HttpClient } from "../../clients/http.js";
import { inSnapshot } from "../../store/db.js";
import type { LmsRegistrationRow } from "../../store/lms.js";
import { dropPlan } from "../../store/plan.js";
import { listProgramSummaries } from "../../store/programs.js";
import {
  failedItems,
  findRun,
  lastRosterRead,
  listRuns,
  mergeAcks,
  type RunRow,
  recordRosterRead,
} from "../../store/sync.js";
import type { Context } from "../context.js";
import { refreshProgramCourses } from "../courses.js";
import { requireRegistration } from "../lms.js";
import { pullPrograms } from "../programs.js";
import { currentTenant } from "../tenants.js";
import { parseLimit } from "../validate.js";
import {
  type ApplyOptions,
  applyPlan,
  dropPlanQuietly,
  foldAcksQuietly,
  type RunResult,
  type SyncFailure,
} from "./apply.js";
import { acquireLease, settleAbandonedRuns } from "./lease.js";
import { type PhaseListener, Phases } from "./phases.js";
import { type PlanSummary, type PreparedPlan, preparePlan, type SyncFilters, streamPlan } from "./plan.js";
import { readPlanFile, writePlanFile } from "./plan-file.js";
import { pullGrades } from "./pull.js";
import { refreshRosters } from "./roster.js";
import { type ActiveRun, beginRun } from "./run.js";

export type { RunCause, RunResult, SyncFailure } from "./apply.js";
export type {
  PhaseEvent,
  PhaseFigures,
  PhaseListener,
  PhaseName,
  PhaseState,
} from "./phases.js";
export { type PlanEntry, type PlanSummary, planEntries, skipReasons } from "./plan.js";
export { pullGrades } from "./pull.js";
export * from "./runs-view.js";
export type { RunRow };

export interface DryRunResult {
  summary: PlanSummary;
  planFile: string | null;
  /** The LMS rosters the plan used (no-SSO sync, Google Classroom): read now, or stored (--offline) and how old. */
  rosters?: RosterUse;
}

export interface RosterUse {
  source: "read" | "stored";
  contexts?: number;
  matched?: number;
  /** When the stored rosters were read; null when they never were. */
  readAt: string | null;
  ageMs: number | null;
}

function needsRosters(reg: LmsRegistrationRow): boolean {
  return reg.noSso || reg.kind === "google-classroom";
}

/**
 * Plan only: nothing changes in the LMS. With no-SSO sync (and Google Classroom) it reads the
 * LMS rosters first, as the live run does, so both decide eligibility from the same rosters;
 * `offline` uses the stored ones instead and says how old they are. `entries` runs while the
 * plan is still built (--verbose); `json` is given the plan's items as they are decided.
 */
export async function dryRun(
  ctx: Context,
  filters: SyncFilters,
  opts: {
    planOut?: string;
    entries?: () => void | Promise<void>;
    /**
     * --json: writes the plan's items (JSON text, `streamPlan`) as they are decided; the
     * summary, counted and hashed on the way, comes after them.
     */
    json?: (items: Iterable<string | Buffer>) => Promise<void>;
    /** Only the summary's counts are shown: the plan is counted, not stored (no fingerprint). */
    countOnly?: boolean;
    offline?: boolean;
    http?: HttpClient;
    onPhase?: PhaseListener;
  },
): Promise<DryRunResult> {
  const { tenant, reg } = requireRegistration(ctx);
  const phases = new Phases(tenant.slug, opts.onPhase);
  let rosters: RosterUse | undefined;
  if (needsRosters(reg)) {
    if (opts.offline) {
      const readAt = lastRosterRead(ctx.state().db, reg.id) ?? null;
      rosters = {
        source: "stored",
        readAt,
        ageMs: readAt === null ? null : ctx.now().getTime() - Date.parse(readAt),
      };
    } else {
      const read = await pullRosters(ctx, phases, opts.http);
      rosters = { source: "read", ...read, readAt: ctx.now().toISOString(), ageMs: 0 };
    }
  }
  if (opts.json) {
    const summary = await listedAsJson(ctx, phases, filters, opts.json, opts.planOut);
    return { summary, planFile: opts.planOut ?? null, ...(rosters ? { rosters } : {}) };
  }
  const countOnly = Boolean(opts.countOnly && !opts.planOut && !opts.entries);
  const { summary } = await plan(ctx, phases, filters, { countOnly, listing: true });
  try {
    if (opts.planOut) writePlanFile(ctx, opts.planOut, summary);
    await opts.entries?.();
  } finally {
    dropPlan(ctx.state().db);
  }
  return { summary, planFile: opts.planOut ?? null, ...(rosters ? { rosters } : {}) };
}

export interface SyncResult extends RunResult {
  summary: PlanSummary;
  rosters?: { contexts: number; matched: number };
}

/** Read the LMS rosters the plan needs (no-SSO sync, Google Classroom) into the state, and note when. */
async function readRosters(ctx: Context, http?: HttpClient): Promise<{ contexts: number; matched: number }> {
  const { tenant, reg } = requireRegistration(ctx);
  const client = http ?? new (await import("../../clients/http.js")).HttpClient({ logger: ctx.logger });
  const read =
    reg.kind === "google-classroom"
      ? await (await import("../classroom/roster.js")).refreshClassroomRosters(ctx, tenant, reg, client)
      : await refreshRosters(ctx, tenant, reg, client);
  recordRosterRead(ctx.state().db, reg.id, ctx.now().toISOString());
  return read;
}

/** The rosters read as the run's pull phase. */
function pullRosters(
  ctx: Context,
  phases: Phases,
  http?: HttpClient,
): Promise<{ contexts: number; matched: number }> {
  return phases.run("pull", {}, (figures) => rostersInto(ctx, phases, figures, http));
}

/** Read the rosters within an open pull phase, counting them in its figures. */
async function rostersInto(
  ctx: Context,
  phases: Phases,
  figures: { rosters?: number; matched?: number },
  http?: HttpClient,
): Promise<{ contexts: number; matched: number }> {
  phases.progress("pull", { step: "Reading the LMS course rosters…" });
  const read = await phases.steps(ctx, "pull", () => readRosters(ctx, http));
  figures.rosters = read.contexts;
  figures.matched = read.matched;
  return read;
}

/**
 * A dry run's --json, its plan listed as it is decided (`streamPlan`) within the plan phase;
 * with `planOut`, the plan file is saved first. Both read one snapshot of the state (a read
 * transaction: what a launch recorded meanwhile writes is not seen), so the file and the list
 * are the same plan, with the same fingerprint.
 */
async function listedAsJson(
  ctx: Context,
  phases: Phases,
  filters: SyncFilters,
  write: (items: Iterable<string | Buffer>) => Promise<void>,
  planOut: string | undefined,
): Promise<PlanSummary> {
  const { db } = ctx.state();
  // Merged before the snapshot, which then only reads the state (a write would hold its lock throughout).
  mergeAcks(db);
  try {
    return await inSnapshot(db, async () => {
      if (planOut) {
        writePlanFile(ctx, planOut, preparePlan(ctx, filters, { order: "listing" }).summary);
        dropPlan(db);
      }
      return phases.run("plan", { posts: 0, columns: 0, skipped: 0 }, async (figures) => {
        const streamed = streamPlan(ctx, filters);
        await write(streamed.items);
        const summary = streamed.summary();
        countInto(figures, summary);
        return summary;
      });
    });
  } finally {
    dropPlan(db);
  }
}

function countInto(figures: { posts: number; columns: number; skipped: number }, summary: PlanSummary): void {
  figures.posts = summary.posts.total;
  figures.columns = summary.columnsToCreate;
  figures.skipped = Object.values(summary.skipped).reduce((sum: number, n) => sum + (n ?? 0), 0);
}

/** Build the plan as the run's plan phase, its figures the plan's own. */
function plan(
  ctx: Context,
  phases: Phases,
  filters: SyncFilters,
  { countOnly = false, listing = false } = {},
): Promise<PreparedPlan> {
  return phases.run("plan", { posts: 0, columns: 0, skipped: 0 }, (figures) => {
    // A dry run lists or saves its entries (listing order) or only counts them; a run posts them.
    const prepared = preparePlan(
      ctx,
      filters,
      countOnly ? { countOnly } : { order: listing ? "listing" : "posting" },
    );
    countInto(figures, prepared.summary);
    return prepared;
  });
}

type RunOptions = Omit<ApplyOptions, "command" | "options">;

/** The options a run records: what it was asked, and the settings it planned under. */
function runOptions(reg: LmsRegistrationRow, options: Record<string, unknown>): Record<string, unknown> {
  return { ...options, gradeSync: reg.gradeSync, incremental: reg.incremental, noSso: reg.noSso };
}

/**
 * Run `body` as a recorded run: lease and run row first; on the way out a failure in any phase
 * is recorded with the phase and the cause, the ledger's journal folded, the plan dropped and
 * the lease released.
 */
async function recorded<T>(
  ctx: Context,
  command: string,
  options: Record<string, unknown>,
  phase: "pull" | "plan",
  onPhase: PhaseListener | undefined,
  body: (run: ActiveRun, reg: LmsRegistrationRow, phases: Phases) => Promise<T>,
): Promise<T> {
  const { tenant, reg } = requireRegistration(ctx);
  const run = beginRun(ctx, tenant, command, runOptions(reg, options), phase);
  const phases = new Phases(tenant.slug, onPhase);
  try {
    return await body(run, reg, phases);
  } catch (error) {
    phases.failOpen(error);
    if (ctx.openedState()) foldAcksQuietly(ctx.state().db);
    run.fail(error);
    throw error;
  } finally {
    if (ctx.openedState()) dropPlanQuietly(ctx.state().db);
    run.release();
  }
}

/** Plans from the grades already in the state (`sync daily` pulls first), then posts. */
export async function syncGrades(ctx: Context, filters: SyncFilters, opts: RunOptions): Promise<SyncResult> {
  return recorded(ctx, "sync grades", { filters }, "plan", opts.onPhase, async (run, reg, phases) => {
    let rosters: SyncResult["rosters"];
    if (needsRosters(reg)) {
      run.phase("pull");
      rosters = await pullRosters(ctx, phases, opts.http);
      run.checkpoint(opts.signal);
      run.phase("plan");
    }
    const prepared = await plan(ctx, phases, filters);
    const result = await applyPlan(ctx, prepared, run, opts, phases);
    return { ...result, summary: prepared.summary, ...(rosters ? { rosters } : {}) };
  });
}

/** Apply exactly the saved plan: the plan recomputed from the state now must have its fingerprint. */
export async function applyPlanFile(ctx: Context, path: string, opts: RunOptions): Promise<SyncResult> {
  const file = readPlanFile(path);
  const tenant = currentTenant(ctx);
  if (file.tenant !== tenant.slug) {
    throw new UsageError(`the plan ${path} is for tenant "${file.tenant}", not "${tenant.slug}"`, {
      hint: `pass --tenant ${file.tenant}`,
    });
  }
  const listener = opts.onPhase;
  return recorded(
    ctx,
    "sync apply",
    { plan: path, filters: file.filters },
    "plan",
    listener,
    async (run, _, phases) => {
      const prepared = await plan(ctx, phases, file.filters);
      if (prepared.summary.fingerprint !== file.fingerprint) {
        // The plan phase ended well; what fails is the comparison with the saved plan.
        throw new ConflictError(
          `the plan ${path} is stale: the state changed since it was made at ${file.createdAt}`,
          {
            hint: "make a new plan with `gg4l sync grades --dry-run --plan-out <file>` and review it",
          },
        );
      }
      const result = await applyPlan(ctx, prepared, run, opts, phases);
      return { ...result, summary: prepared.summary };
    },
  );
}

export interface DailyResult {
  tenant: string;
  dryRun: boolean;
  programs: { total: number; added: number };
  courses: { refreshed: number; added: number; removed: number };
  grades: { pulled: number };
  plan: PlanSummary;
  run: RunResult | null;
}

/** R8: pull programs, refresh the courses of active programs, pull gradebooks, plan, post. */
/**
 * `countOnly` (with `dryRun`): the caller shows the plan's counts and nothing else, so the plan
 * is counted rather than stored, and its summary carries no fingerprint (see `preparePlan`).
 */
export async function syncDaily(
  ctx: Context,
  opts: RunOptions & { dryRun: boolean; countOnly?: boolean },
): Promise<DailyResult> {
  // Without an LMS registration there is nothing to plan for: refused before anything is pulled.
  const { tenant, reg } = requireRegistration(ctx);
  const pullAll = (phases: Phases) =>
    phases.run("pull", {}, async (figures) => {
      const pulled = await phases.steps(ctx, "pull", () => pullPrograms(ctx));
      figures.programs = pulled.programs;
      const active = listProgramSummaries(ctx.state().db, tenant.id, { active: true })
        .filter((p) => p.goneAt === null)
        .map((p) => ({ id: p.programId, name: p.name }));
      const courses =
        active.length > 0
          ? await phases.steps(ctx, "pull", () => refreshProgramCourses(ctx, tenant, active))
          : undefined;
      figures.courses = courses?.courses ?? 0;
      const grades = await phases.steps(ctx, "pull", () =>
        pullGrades(ctx, tenant, (read) => {
          figures.grades = read;
          phases.progress("pull");
        }),
      );
      figures.grades = grades.grades;
      if (needsRosters(reg)) await rostersInto(ctx, phases, figures, opts.http);
      return {
        tenant: tenant.slug,
        dryRun: opts.dryRun,
        programs: { total: pulled.programs, added: pulled.added.length },
        courses: {
          refreshed: courses?.courses ?? 0,
          added: courses?.added.length ?? 0,
          removed: courses?.removed.length ?? 0,
        },
        grades: { pulled: grades.grades },
      };
    });
  if (opts.dryRun) {
    // Posts nothing, so no run on record; but it writes the state, so it holds the lease.
    const lease = acquireLease(ctx, tenant);
    const phases = new Phases(tenant.slug, opts.onPhase);
    try {
      const base = await pullAll(phases);
      // The pull phase read the rosters just now: the plan uses them as stored.
      const { summary } = await dryRun(
        ctx,
        {},
        {
          offline: true,
          ...(opts.countOnly ? { countOnly: true } : {}),
          ...(opts.onPhase ? { onPhase: opts.onPhase } : {}),
        },
      );
      return { ...base, plan: summary, run: null };
    } finally {
      lease.release();
    }
  }
  return recorded(ctx, "sync daily", {}, "pull", opts.onPhase, async (run, _, phases) => {
    const base = await pullAll(phases);
    run.checkpoint(opts.signal);
    run.phase("plan");
    const prepared = await plan(ctx, phases, {});
    const result = await applyPlan(ctx, prepared, run, opts, phases);
    return { ...base, plan: prepared.summary, run: result };
  });
}

export function syncRuns(ctx: Context, limitText: string): RunRow[] {
  const tenant = currentTenant(ctx);
  settleAbandonedRuns(ctx, tenant);
  return listRuns(ctx.state().db, tenant.id, parseLimit(limitText));
}

export function syncRun(ctx: Context, idText: string): RunRow & { tenant: string; failures: SyncFailure[] } {
  const id = /^\d+$/.test(idText) ? Number(idText) : Number.NaN;
  const tenant = currentTenant(ctx);
  const { db } = ctx.state();
  settleAbandonedRuns(ctx, tenant);
  const run = Number.isNaN(id) ? undefined : findRun(db, tenant.id, id);
  if (!run)
    throw new NotFoundError(`no sync run ${idText} for tenant "${tenant.slug}"`, {
      hint: "`gg4l sync runs` lists them",
    });
  return { ...run, tenant: tenant.slug, failures: failedItems(db, id, 200) };
}
