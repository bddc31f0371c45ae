/**
 * What a failure to create one column or post one score means for the run: the one table.
 * The clients already read each LMS's answer per personality (src/clients/lti/errors.ts turns
 * a status and the LMS's words into a kind: retry, learner, stale, not-found, config…); this
 * table turns that into what the sync does:
 *
 * - `run`: nothing else can succeed either (the token endpoint refuses our assertion, a fresh
 *   token is refused too, a scope is missing, the registration or the state is gone): the run
 *   stops, status failed, exit 4; the rest is recorded not attempted with the reason.
 * - `host`: the LMS did not answer (connection failures, timeouts, 5xx after the HTTP layer's
 *   retries): the item is tried again while the LMS answers others, and the circuit breaker
 *   counts it once.
 * - `throttled`: the LMS answered "slow down" (429, Canvas's 403 rate limit) past the HTTP
 *   layer's retries: the run slows down and tries the item again; the LMS is up.
 * - `item`: every other error, whatever its status (400, 403, 404, 409, 412, 415, 422, an
 *   unusable 2xx answer…): that item fails with the LMS's status and words, the run goes on.
 *
 * The rows are tried in order; the last one matches everything, so an error a client learns
 * to raise later is an item failure unless a row above says otherwise.
 */
import { ConfigError, GgError, RemoteError } from "../../base/errors.js";
import { ClassroomError } from "../../clients/classroom/errors.js";
import { AgsError, LtiTokenError } from "../../clients/lti/errors.js";

export type FailureLevel = "run" | "host" | "throttled" | "item";

export interface FailureRule {
  /** Names the row, for tests and --debug. */
  name: string;
  level: FailureLevel;
  matches(error: unknown): boolean;
}

const code = (error: unknown): string => String((error as { code?: unknown })?.code ?? "");

/** A failure to exchange at all: somewhere in its causes is a socket-level error code (ECONNREFUSED, UND_ERR_…). */
function networkFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (/^(E[A-Z]+|UND_ERR_\w+)$/.test(code(e))) return true;
  }
  return false;
}

export const FAILURE_TABLE: readonly FailureRule[] = [
  {
    name: "the state failed (disk full, locked, corrupt)",
    level: "run",
    matches: (e) => code(e).startsWith("SQLITE"),
  },
  {
    name: "the token endpoint refuses our assertion",
    level: "run",
    matches: (e) => e instanceof LtiTokenError && !e.retryable,
  },
  {
    name: "the token endpoint does not answer",
    level: "host",
    matches: (e) => e instanceof LtiTokenError && e.retryable,
  },
  {
    name: "a freshly issued token is refused too (401 after a refresh)",
    level: "run",
    matches: (e) => e instanceof AgsError && e.kind === "config" && e.status === 401,
  },
  {
    name: "a scope the run needs is not granted",
    level: "run",
    matches: (e) =>
      e instanceof AgsError && (e.errorCode === "missing_scope" || e.errorCode === "scope_not_requested"),
  },
  {
    name: "the LMS throttles (429, Canvas's 403 rate limit) after retries",
    level: "throttled",
    matches: (e) =>
      (e instanceof AgsError || e instanceof ClassroomError) &&
      e.kind === "retry" &&
      (e.status === 429 || e.status === 403),
  },
  {
    name: "the LMS is down or failing (5xx) after retries",
    level: "host",
    matches: (e) => (e instanceof AgsError || e instanceof ClassroomError) && e.kind === "retry",
  },
  {
    name: "Classroom refuses gg4l itself (not a teacher, delegation, scope, token)",
    level: "run",
    matches: (e) => e instanceof ClassroomError && e.kind === "config",
  },
  {
    name: "an LMS answer about this score or column (any other status, or an unusable 2xx)",
    level: "item",
    matches: (e) => e instanceof AgsError || e instanceof ClassroomError,
  },
  {
    name: "the LMS cannot be reached (connection refused or reset, timeout, DNS)",
    level: "host",
    matches: (e) => e instanceof RemoteError && e.status === undefined && networkFailure(e),
  },
  {
    name: "the registration or a setting is gone or wrong (configuration)",
    level: "run",
    matches: (e) => e instanceof ConfigError,
  },
  {
    name: "anything else about this one score or column",
    level: "item",
    matches: () => true,
  },
];

export interface Classified {
  level: FailureLevel;
  rule: string;
  /** The LMS's HTTP status, when it answered. */
  status: number | null;
  message: string;
}

export function classifyFailure(error: unknown): Classified {
  const rule = FAILURE_TABLE.find((r) => r.matches(error))!;
  const status = error instanceof RemoteError && error.status !== undefined ? error.status : null;
  const message = error instanceof Error ? error.message : String(error);
  return { level: rule.level, rule: rule.name, status, message };
}

/** The exit code of a run stopped by a run-level failure: the error's own when it has one (4 for configuration). */
export function runLevelExitCode(error: unknown): number {
  return error instanceof GgError && error.exitCode !== 1 ? error.exitCode : 4;
}
