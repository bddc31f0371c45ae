/** The sync commands' services: dry run, plan + apply, apply a saved plan, the daily job, run records. */

import { ConflictError, NotFoundError, UsageError } from "../../base/errors.js";
import type { HttpClient } from "../../clients/http.js";
import { dropPlan } from "../../store/plan.js";
import { listProgramSummaries } from "../../store/programs.js";
import { failedItems, findRun, listRuns, type RunRow } from "../../store/sync.js";
import type { Context } from "../context.js";
import { refreshProgramCourses } from "../courses.js";
import { requireRegistration } from "../lms.js";
import { pullPrograms } from "../programs.js";
import { currentTenant } from "../tenants.js";
import { parseLimit } from "../validate.js";
import { type ApplyOptions, applyPlan, type RunResult, type SyncFailure } from "./apply.js";
import { type PlanSummary, preparePlan, type SyncFilters } from "./plan.js";
import { readPlanFile, writePlanFile } from "./plan-file.js";
import { pullGrades } from "./pull.js";
import { refreshRosters } from "./roster.js";

export type { RunResult, SyncFailure } from "./apply.js";
export { type PlanEntry, type PlanSummary, planEntries, skipReasons } from "./plan.js";
export { pullGrades } from "./pull.js";
export type { RunRow };

export interface DryRunResult {
  summary: PlanSummary;
  planFile: string | null;
}

/** Plan only: nothing changes anywhere. `entries` runs while the plan is still built (for --verbose/--json). */
export function dryRun(
  ctx: Context,
  filters: SyncFilters,
  opts: { planOut?: string; entries?: () => void },
): DryRunResult {
  const { summary } = preparePlan(ctx, filters);
  try {
    if (opts.planOut) writePlanFile(ctx, opts.planOut, summary);
    opts.entries?.();
  } finally {
    dropPlan(ctx.state().db);
  }
  return { summary, planFile: opts.planOut ?? null };
}

export interface SyncResult extends RunResult {
  summary: PlanSummary;
  rosters?: { contexts: number; matched: number };
}

async function rostersIfNoSso(ctx: Context, http?: HttpClient): Promise<SyncResult["rosters"]> {
  const { tenant, reg } = requireRegistration(ctx);
  const classroom = reg.kind === "google-classroom";
  if (!reg.noSso && !classroom) return undefined;
  const client = http ?? new (await import("../../clients/http.js")).HttpClient({ logger: ctx.logger });
  if (classroom)
    return (await import("../classroom/roster.js")).refreshClassroomRosters(ctx, tenant, reg, client);
  return refreshRosters(ctx, tenant, reg, client);
}

export async function syncGrades(
  ctx: Context,
  filters: SyncFilters,
  opts: Omit<ApplyOptions, "command" | "options">,
): Promise<SyncResult> {
  const rosters = await rostersIfNoSso(ctx, opts.http);
  const prepared = preparePlan(ctx, filters);
  const result = await applyPlan(ctx, prepared, { ...opts, command: "sync grades", options: { filters } });
  return { ...result, summary: prepared.summary, ...(rosters ? { rosters } : {}) };
}

/** Apply exactly the saved plan: the plan recomputed from the state now must have its fingerprint. */
export async function applyPlanFile(
  ctx: Context,
  path: string,
  opts: Omit<ApplyOptions, "command" | "options">,
): Promise<SyncResult> {
  const file = readPlanFile(path);
  const tenant = currentTenant(ctx);
  if (file.tenant !== tenant.slug) {
    throw new UsageError(`the plan ${path} is for tenant "${file.tenant}", not "${tenant.slug}"`, {
      hint: `pass --tenant ${file.tenant}`,
    });
  }
  const prepared = preparePlan(ctx, file.filters);
  if (prepared.summary.fingerprint !== file.fingerprint) {
    dropPlan(ctx.state().db);
    throw new ConflictError(
      `the plan ${path} is stale: the state changed since it was made at ${file.createdAt}`,
      {
        hint: "make a new plan with `gg4l sync grades --dry-run --plan-out <file>` and review it",
      },
    );
  }
  const result = await applyPlan(ctx, prepared, {
    ...opts,
    command: "sync apply",
    options: { plan: path, filters: file.filters },
  });
  return { ...result, summary: prepared.summary };
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
export async function syncDaily(
  ctx: Context,
  opts: Omit<ApplyOptions, "command" | "options"> & { dryRun: boolean },
): Promise<DailyResult> {
  const tenant = currentTenant(ctx);
  const pulled = await pullPrograms(ctx);
  const active = listProgramSummaries(ctx.state().db, tenant.id, { active: true })
    .filter((p) => p.goneAt === null)
    .map((p) => ({ id: p.programId, name: p.name }));
  const courses = active.length > 0 ? await refreshProgramCourses(ctx, tenant, active) : undefined;
  const grades = await pullGrades(ctx, tenant);
  const base = {
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
  if (opts.dryRun) {
    const { summary } = dryRun(ctx, {}, {});
    return { ...base, plan: summary, run: null };
  }
  await rostersIfNoSso(ctx, opts.http);
  const prepared = preparePlan(ctx, {});
  const run = await applyPlan(ctx, prepared, { ...opts, command: "sync daily", options: {} });
  return { ...base, plan: prepared.summary, run };
}

export function syncRuns(ctx: Context, limitText: string): RunRow[] {
  return listRuns(ctx.state().db, currentTenant(ctx).id, parseLimit(limitText));
}

export function syncRun(ctx: Context, idText: string): RunRow & { failures: SyncFailure[] } {
  const id = /^\d+$/.test(idText) ? Number(idText) : Number.NaN;
  const tenant = currentTenant(ctx);
  const { db } = ctx.state();
  const run = Number.isNaN(id) ? undefined : findRun(db, tenant.id, id);
  if (!run)
    throw new NotFoundError(`no sync run ${idText} for tenant "${tenant.slug}"`, {
      hint: "`gg4l sync runs` lists them",
    });
  return { ...run, failures: failedItems(db, id, 200) };
}
