/**
 * What every doctor check works from: the state, tenant and LMS registration as far as they
 * could be resolved, and one HTTP client. A check that needs a missing piece says so in its
 * row instead of throwing past the others.
 */
import type { HttpClient } from "../../clients/http.js";
import type { OpenedState } from "../../store/db.js";
import type { LmsRegistrationRow } from "../../store/lms.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";

export type CheckStatus = "pass" | "warn" | "fail";

/** Few, quick retries: a doctor run should report a dead server, not wait it out. */
export const DOCTOR_RETRY = { retries: 1, baseDelayMs: 200, maxDelayMs: 1000 };

/** One row of `gg4l doctor`; the field names are the --json contract. */
export interface CheckRow {
  check: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warn or fail; null on a pass. */
  fix: string | null;
}

export type Prereq<T> = { ok: true; value: T } | { ok: false; reason: string; fix: string | null };

export interface Basis {
  ctx: Context;
  http: HttpClient;
  state: Prereq<OpenedState>;
  tenant: Prereq<TenantRow>;
  registration: Prereq<LmsRegistrationRow>;
}

export interface Check {
  /** The rows the check gives, in order. */
  names: readonly string[];
  run(basis: Basis): Promise<CheckRow[]>;
}

/** Thrown by `need`: the check could not run, and reports itself with this status. */
export class NotChecked extends Error {
  constructor(
    readonly status: CheckStatus,
    readonly reason: string,
    readonly fix: string | null,
  ) {
    super(reason);
  }
}

export function need<T>(prereq: Prereq<T>, status: CheckStatus): T {
  if (prereq.ok) return prereq.value;
  throw new NotChecked(status, prereq.reason, prereq.fix);
}

export function row(
  check: string,
  status: CheckStatus,
  message: string,
  fix: string | null = null,
): CheckRow {
  return { check, status, message, fix: status === "pass" ? null : fix };
}

/** The worse of two statuses. */
export function worst(a: CheckStatus, b: CheckStatus): CheckStatus {
  const rank = { pass: 0, warn: 1, fail: 2 } as const;
  return rank[a] >= rank[b] ? a : b;
}

/** "45 s", "12 min", "31 h", "3 d 4 h". */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "A, B, C and 4 more". */
export function listSome(items: string[], max = 5): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
