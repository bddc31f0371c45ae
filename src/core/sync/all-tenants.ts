/**
 * `sync daily --all-tenants`: the daily job (R8) for every tenant with an LMS registration, up
 * to `parallel` tenants at once. Each tenant runs exactly as `sync daily --tenant <slug>` does,
 * on its own connection to the state (a plan lives in its connection's temporary tables), under
 * its own lease, with its own run record, adaptive limiter and circuit breaker; the tenants that
 * post to one LMS host share that host's budget of requests in flight. A tenant whose lease is
 * held is skipped, not waited for, and one tenant's failure is that tenant's outcome only.
 */
import { ExitCode, GgError, InterruptedError } from "../../base/errors.js";
import { redact } from "../../base/redact.js";
import { setCacheMb } from "../../store/db.js";
import { findRegistrationByTenant } from "../../store/lms.js";
import { latestRun } from "../../store/sync.js";
import { listTenants, type TenantRow } from "../../store/tenants.js";
import { type Context, createContext, type Logger, loadStateOpener } from "../context.js";
import { HostBudget } from "./host-budget.js";
import { type DailyResult, syncDaily } from "./index.js";
import { LeaseHeldError } from "./lease.js";
import type { PhaseEvent, PhaseName } from "./phases.js";

/** Tenants at once when --parallel is not given: the work waits on remote hosts, not on this machine's 2 cores. */
export const DEFAULT_PARALLEL = 8;
/** Score posts one tenant may have in flight (its adaptive limiter's ceiling), and so one LMS host's budget. */
export const PER_TENANT_MAX_CONCURRENCY = 16;
/** Page cache of each tenant's connection: 8 tenants together hold what one connection holds alone. */
const TENANT_CACHE_MB = 4;

export type TenantStatus = "ok" | "partial" | "failed" | "skipped" | "interrupted" | "not-started";

/** What the live view shows of a tenant: waiting, the phase its run is in (its phase events), done. */
export type TenantPhase = "queued" | PhaseName | "done";

/** A tenant's score posts so far: done = posted + already newer + failed, of total. */
export interface TenantProgress {
  done: number;
  total: number;
  posted: number;
  failed: number;
}

export interface TenantOutcome {
  tenant: string;
  status: TenantStatus;
  /** What `gg4l sync daily --tenant <slug>` would have exited with. */
  exitCode: number;
  /** The run on record (`gg4l sync show <id> --tenant <slug>`); null when none was written. */
  runId: number | null;
  /** Exactly what `sync daily --json` prints for this tenant; null when it printed nothing (skipped, an error). */
  run: DailyResult | null;
  /** Why the tenant failed or was skipped, as `sync daily --json` reports it on stderr. */
  error: { message: string; hint: string | null; exitCode: number } | null;
  /** Warnings the tenant's run gave (an earlier run it found abandoned, say). */
  notes: string[];
  durationMs: number;
}

export interface AllTenantsTotals {
  tenants: number;
  ok: number;
  partial: number;
  failed: number;
  skipped: number;
  interrupted: number;
  notStarted: number;
  /** Score posts, summed over the tenants' runs. */
  planned: number;
  posted: number;
  stale: number;
  postsFailed: number;
  notAttempted: number;
}

export interface AllTenantsResult {
  dryRun: boolean;
  parallel: number;
  tenants: TenantOutcome[];
  totals: AllTenantsTotals;
  /** 130 interrupted, else 5 when any tenant was partial or failed, else 6 when any was skipped, else 0. */
  exitCode: number;
}

export type TenantEvent =
  | { kind: "queued"; tenants: string[] }
  | { kind: "phase"; tenant: string; phase: TenantPhase }
  | { kind: "progress"; tenant: string; progress: TenantProgress }
  | { kind: "finished"; outcome: TenantOutcome };

export interface AllTenantsOptions {
  parallel: number;
  dryRun: boolean;
  /** With dryRun: only the plans' counts are shown (see `syncDaily`). */
  countOnly?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: TenantEvent) => void;
  /** Per-tenant limiter ceiling and per-host budget (tests and the bench may lower it). */
  maxConcurrency?: number;
}

/** Every tenant with an LMS registration, by slug. */
export function registeredTenants(ctx: Context): TenantRow[] {
  const { db } = ctx.state();
  return listTenants(db).filter((t) => findRegistrationByTenant(db, t.id) !== undefined);
}

export async function syncDailyAllTenants(ctx: Context, opts: AllTenantsOptions): Promise<AllTenantsResult> {
  const tenants = registeredTenants(ctx);
  const emit = opts.onEvent ?? (() => undefined);
  const max = opts.maxConcurrency ?? PER_TENANT_MAX_CONCURRENCY;
  const hosts = new HostBudget(max);
  const openState = await loadStateOpener();
  const outcomes = new Map<string, TenantOutcome>();
  emit({ kind: "queued", tenants: tenants.map((t) => t.slug) });

  const runOne = async (tenant: TenantRow): Promise<TenantOutcome> => {
    const started = Date.now();
    const notes: string[] = [];
    const tctx = createContext({
      env: ctx.env,
      dbPath: ctx.dbPath,
      tenantFlag: tenant.slug,
      osUser: ctx.osUser,
      now: () => ctx.now(),
      logger: tenantLogger(ctx.logger, tenant.slug, notes),
      prompter: ctx.prompter,
      canPrompt: false,
      readStdin: ctx.readStdin,
      openState,
    });
    let phase: TenantPhase = "pull";
    const setPhase = (next: TenantPhase) => {
      if (next === phase) return;
      phase = next;
      emit({ kind: "phase", tenant: tenant.slug, phase });
    };
    emit({ kind: "phase", tenant: tenant.slug, phase });
    const finish = (o: Omit<TenantOutcome, "tenant" | "notes" | "durationMs">): TenantOutcome => ({
      tenant: tenant.slug,
      ...o,
      notes,
      durationMs: Date.now() - started,
    });
    try {
      setCacheMb(tctx.state().db, TENANT_CACHE_MB);
      const result = await syncDaily(tctx, {
        dryRun: opts.dryRun,
        ...(opts.countOnly ? { countOnly: true } : {}),
        hosts,
        concurrency: { initial: Math.min(4, max), max },
        ...(opts.signal ? { signal: opts.signal } : {}),
        onPhase: (event: PhaseEvent) => {
          setPhase(event.phase);
          if (event.phase !== "posts") return;
          const { total, posted, stale, failed } = event.figures;
          emit({
            kind: "progress",
            tenant: tenant.slug,
            progress: { done: posted + stale + failed, total, posted, failed },
          });
        },
      });
      const run = result.run;
      if (!run) return finish({ status: "ok", exitCode: 0, runId: null, run: result, error: null });
      const status: TenantStatus =
        run.status === "ok" || run.status === "partial" || run.status === "interrupted"
          ? run.status
          : "failed";
      const exitCode =
        status === "ok"
          ? 0
          : status === "partial"
            ? ExitCode.partial
            : status === "interrupted"
              ? ExitCode.interrupted
              : (run.cause?.exitCode ?? ExitCode.partial);
      return finish({ status, exitCode, runId: run.runId, run: result, error: null });
    } catch (error) {
      const described = describe(error);
      if (error instanceof LeaseHeldError)
        return finish({
          status: "skipped",
          exitCode: ExitCode.conflict,
          runId: null,
          run: null,
          error: described,
        });
      const row = safeLatestRun(tctx, tenant);
      const runId =
        row && row.pid === process.pid && Date.parse(row.startedAt) >= started - 1000 ? row.id : null;
      const status: TenantStatus = error instanceof InterruptedError ? "interrupted" : "failed";
      return finish({ status, exitCode: described.exitCode, runId, run: null, error: described });
    } finally {
      tctx.close();
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < tenants.length && !opts.signal?.aborted) {
      const tenant = tenants[next++]!;
      const outcome = await runOne(tenant);
      outcomes.set(tenant.slug, outcome);
      emit({ kind: "phase", tenant: tenant.slug, phase: "done" });
      emit({ kind: "finished", outcome });
    }
  };
  const parallel = Math.max(1, Math.min(opts.parallel, tenants.length || 1));
  await Promise.all(Array.from({ length: parallel }, worker));

  const all = tenants.map(
    (t) =>
      outcomes.get(t.slug) ?? {
        tenant: t.slug,
        status: "not-started" as const,
        exitCode: ExitCode.interrupted,
        runId: null,
        run: null,
        error: null,
        notes: [],
        durationMs: 0,
      },
  );
  const totals = totalsOf(all);
  return {
    dryRun: opts.dryRun,
    parallel: opts.parallel,
    tenants: all,
    totals,
    exitCode: tenantsExitCode(all, opts.signal),
  };
}

function safeLatestRun(tctx: Context, tenant: TenantRow) {
  try {
    return tctx.openedState() ? latestRun(tctx.state().db, tenant.id, "sync daily") : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): { message: string; hint: string | null; exitCode: number } {
  if (error instanceof GgError)
    return {
      message: redact(error.message),
      hint: error.hint ? redact(error.hint) : null,
      exitCode: error.exitCode,
    };
  return {
    message: redact(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`),
    hint: "run `gg4l sync daily --tenant <slug> --debug` for this tenant alone for details",
    exitCode: ExitCode.failure,
  };
}

/**
 * The tenant's warnings are kept for its line of the report. Its progress notes ("Pulling
 * programs…") would interleave N tenants' on one stderr: they go to the --debug trace, marked
 * with the tenant, as its debug lines do.
 */
function tenantLogger(parent: Logger, slug: string, notes: string[]): Logger {
  return {
    debugEnabled: parent.debugEnabled ?? false,
    debug: (message) => parent.debug(`[${slug}] ${message}`),
    info: (message) => parent.debug(`[${slug}] ${message}`),
    warn: (message) => notes.push(message),
  };
}

export function totalsOf(outcomes: readonly TenantOutcome[]): AllTenantsTotals {
  const totals: AllTenantsTotals = {
    tenants: outcomes.length,
    ok: 0,
    partial: 0,
    failed: 0,
    skipped: 0,
    interrupted: 0,
    notStarted: 0,
    planned: 0,
    posted: 0,
    stale: 0,
    postsFailed: 0,
    notAttempted: 0,
  };
  for (const o of outcomes) {
    if (o.status === "not-started") totals.notStarted += 1;
    else totals[o.status] += 1;
    const c = o.run?.run?.counts;
    if (c) {
      totals.planned += c.planned;
      totals.posted += c.posted;
      totals.stale += c.stale;
      totals.postsFailed += c.failed;
      totals.notAttempted += c.notAttempted;
    }
  }
  return totals;
}

/** The exit code that sums the tenants up (DESIGN.md §7). */
export function tenantsExitCode(outcomes: readonly TenantOutcome[], signal?: AbortSignal): number {
  if (signal?.aborted || outcomes.some((o) => o.status === "interrupted")) return ExitCode.interrupted;
  if (outcomes.some((o) => o.status === "partial" || o.status === "failed")) return ExitCode.partial;
  if (outcomes.some((o) => o.status === "skipped")) return ExitCode.conflict;
  return ExitCode.ok;
}
