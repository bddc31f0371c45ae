/**
 * `gg4l doctor`: every check runs, each on its own; one that cannot run or throws becomes its
 * own warn/fail row and never stops the others.
 */

import { GgError, NotFoundError } from "../../base/errors.js";
import { redact } from "../../base/redact.js";
import { CorruptStateError, corruptStateError, isCorruption } from "../../store/corruption.js";
import type { OpenedState } from "../../store/db.js";
import { findRegistrationByTenant, type LmsRegistrationRow } from "../../store/lms.js";
import { listTenants, type TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";
import { currentTenant } from "../tenants.js";
import {
  type Basis,
  type Check,
  type CheckRow,
  DOCTOR_RETRY,
  NotChecked,
  type Prereq,
  row,
} from "./basis.js";
import { courseraClockCheck, lmsClockCheck } from "./clock.js";
import {
  courseLinksCheck,
  dailySyncCheck,
  incrementalCheck,
  neverLaunchedCheck,
  staleLinksCheck,
} from "./grades.js";
import { noEmailLaunchesCheck } from "./identity.js";
import { licensesCheck, testLearnersCheck } from "./licenses.js";
import { courseraCredentialsCheck, databaseCheck, keyFileCheck, secretsFileCheck } from "./local.js";
import { courseraTokenCheck, lmsCheck } from "./remote.js";

export type { CheckRow, CheckStatus } from "./basis.js";

export interface DoctorReport {
  tenant: string | null;
  checks: CheckRow[];
  ok: boolean;
}

/** In the order the rows are printed. */
export const checks: readonly Check[] = [
  databaseCheck,
  keyFileCheck,
  secretsFileCheck,
  courseraCredentialsCheck,
  courseraTokenCheck,
  lmsCheck,
  courseraClockCheck,
  lmsClockCheck,
  dailySyncCheck,
  staleLinksCheck,
  neverLaunchedCheck,
  courseLinksCheck,
  incrementalCheck,
  licensesCheck,
  testLearnersCheck,
  noEmailLaunchesCheck,
];

function failed<T>(error: unknown, dbPath: string): Prereq<T> {
  const e = isCorruption(error) ? corruptStateError(dbPath, error) : error;
  if (e instanceof CorruptStateError) return { ok: false, reason: e.message, fix: e.repair };
  return { ok: false, reason: (e as Error).message, fix: e instanceof GgError ? (e.hint ?? null) : null };
}

function resolveState(ctx: Context): Prereq<OpenedState> {
  try {
    return { ok: true, value: ctx.state() };
  } catch (error) {
    return failed(error, ctx.dbPath);
  }
}

/** An explicitly named tenant that does not exist is the user's typo: not found (exit 3), as in every command. */
function resolveTenant(ctx: Context, state: Prereq<OpenedState>): Prereq<TenantRow> {
  if (!state.ok)
    return { ok: false, reason: "the state file cannot be opened (see the database row)", fix: state.fix };
  try {
    return { ok: true, value: currentTenant(ctx) };
  } catch (error) {
    if (error instanceof NotFoundError && (ctx.tenantFlag ?? ctx.env.GG4L_TENANT)) throw error;
    return failed(error, ctx.dbPath);
  }
}

function resolveRegistration(
  state: Prereq<OpenedState>,
  tenant: Prereq<TenantRow>,
): Prereq<LmsRegistrationRow> {
  if (!tenant.ok) return tenant;
  if (!state.ok) return state;
  const reg = findRegistrationByTenant(state.value.db, tenant.value.id);
  if (reg) return { ok: true, value: reg };
  return {
    ok: false,
    reason: `tenant "${tenant.value.slug}" has no LMS registration`,
    fix: "register one with `gg4l lms register --kind <kind> --issuer <url> …` (see `gg4l lms register --help`)",
  };
}

async function runCheck(check: Check, basis: Basis): Promise<CheckRow[]> {
  try {
    return await check.run(basis);
  } catch (error) {
    if (error instanceof NotChecked) {
      return check.names.map((name) => row(name, error.status, `not checked: ${error.reason}`, error.fix));
    }
    const e = isCorruption(error) ? corruptStateError(basis.ctx.dbPath, error) : (error as Error);
    const fix =
      e instanceof CorruptStateError
        ? e.repair
        : e instanceof GgError
          ? (e.hint ?? null)
          : "run again with --debug, and report it if it persists";
    return check.names.map((name) => row(name, "fail", e.message, fix ?? "see the message"));
  }
}

export async function runDoctor(ctx: Context): Promise<DoctorReport> {
  const { HttpClient } = await import("../../clients/http.js");
  const state = resolveState(ctx);
  const tenant = resolveTenant(ctx, state);
  let registration: Prereq<LmsRegistrationRow>;
  try {
    registration = resolveRegistration(state, tenant);
  } catch (error) {
    registration = failed(error, ctx.dbPath);
  }
  const basis: Basis = {
    ctx,
    http: new HttpClient({ logger: ctx.logger, userAgent: "gg4l doctor", retry: DOCTOR_RETRY }),
    state,
    tenant,
    registration,
  };
  const rows = (await Promise.all(checks.map((check) => runCheck(check, basis)))).flat();
  return {
    tenant: tenant.ok ? tenant.value.slug : null,
    // Messages quote servers and SQLite; nothing secret or personal leaves in a row.
    checks: rows.map((r) => ({
      ...r,
      message: redact(r.message),
      fix: r.fix === null ? null : redact(r.fix),
    })),
    ok: rows.every((r) => r.status !== "fail"),
  };
}

/** Tenants checked at once: each check run holds a few remote calls; more would only queue on a 2-core machine. */
export const DOCTOR_PARALLEL = 4;

export interface TenantDoctor {
  /** Null when there is no tenant (or the state cannot be read): doctor's rows say why. */
  tenant: string | null;
  checks: CheckRow[];
  ok: boolean;
}

export interface AllTenantsDoctor {
  tenants: TenantDoctor[];
  totals: { tenants: number; passed: number; warned: number; failed: number };
  ok: boolean;
}

/** The same context, aimed at one tenant as `--tenant <slug>` would. */
function forTenant(ctx: Context, slug: string): Context {
  return { ...ctx, tenantFlag: slug, tenantInUse: undefined };
}

export async function runDoctorAllTenants(
  ctx: Context,
  parallel = DOCTOR_PARALLEL,
): Promise<AllTenantsDoctor> {
  let slugs: string[];
  try {
    slugs = listTenants(ctx.state().db).map((t) => t.slug);
  } catch {
    slugs = [];
  }
  // No tenant, or a state that cannot be read: doctor's own rows say what is wrong.
  if (slugs.length === 0) {
    const report = await runDoctor(ctx);
    return summarise([{ tenant: report.tenant, checks: report.checks, ok: report.ok }]);
  }
  const reports: DoctorReport[] = new Array(slugs.length);
  let next = 0;
  const worker = async () => {
    while (next < slugs.length) {
      const i = next++;
      reports[i] = await runDoctor(forTenant(ctx, slugs[i]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, slugs.length) }, worker));
  return summarise(reports.map((r, i) => ({ tenant: slugs[i]!, checks: r.checks, ok: r.ok })));
}

function summarise(tenants: TenantDoctor[]): AllTenantsDoctor {
  const all = tenants.flatMap((t) => t.checks);
  const count = (status: CheckRow["status"]) => all.filter((r) => r.status === status).length;
  return {
    tenants,
    totals: {
      tenants: tenants.filter((t) => t.tenant !== null).length,
      passed: count("pass"),
      warned: count("warn"),
      failed: count("fail"),
    },
    ok: tenants.every((t) => t.ok),
  };
}
