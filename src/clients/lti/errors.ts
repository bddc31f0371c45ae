/**
 * Typed errors of the LTI service clients. Every non-2xx answer of an AGS/NRPS endpoint maps
 * (§4.11) to an AgsError whose `kind` tells the caller what to do: retry later, refresh the
 * token, record a per-learner failure, treat the score as already superseded, re-resolve a
 * line item, or fix the configuration.
 */
import { ExitCode, RemoteError } from "../../base/errors.js";
import { redact } from "../../base/redact.js";
import { bodyFirstLine, describeAnswer } from "../answer.js";
import type { HttpResponse } from "../http.js";
import { type LtiPlatformKind, platformName } from "./registration.js";

export type AgsErrorKind =
  /** Throttled, overloaded or failing (429, 5xx, Canvas 403 rate limit): try again later. */
  | "retry"
  /** The access token was refused (401): refresh it once. */
  | "refresh-token"
  /** This learner cannot be graded here (not enrolled, not a student, unknown): record and go on. */
  | "learner"
  /** The LMS already has a newer score for this learner and line item. */
  | "stale"
  /** The line item, course or URL is gone: re-resolve the line item (relaunch the link). */
  | "not-found"
  /** Scopes, ownership, tool settings: an LMS administrator must change something. */
  | "config"
  /** The LMS called the request malformed (400, 405, 415): a gg4l bug. */
  | "invalid-request"
  /**
   * A 2xx that is not the answer the LMS documents for an accepted write (an HTML login or
   * maintenance page from a proxy, a wrong media type or shape): not delivered, send it again.
   */
  | "unacknowledged";

export type ServiceRoute = "lineitems" | "lineitem" | "scores" | "results" | "memberships";

const HINTS: Record<AgsErrorKind, string> = {
  retry: "the LMS is throttling or failing; gg4l retried with backoff — run the command again later",
  "refresh-token": "the LMS refused the access token; gg4l fetches a new one and retries once",
  learner:
    "this learner cannot be graded in this LMS course (not enrolled, not a student, or removed); the other learners are unaffected",
  stale: "the LMS already has a newer score for this learner; nothing to do",
  "not-found":
    "the line item or course no longer exists at this URL (deleted, or the course was copied): launch the link again to reconnect it",
  config:
    "an LMS administrator must check the tool's settings (enabled services, scopes, which tool owns the line item)",
  "invalid-request":
    "the LMS refused the request as malformed; this is likely a gg4l bug: run with --debug and report it",
  unacknowledged:
    "a proxy, login or maintenance page may stand in front of the LMS: the write is not counted as done, and the next run sends it again",
};

const EXIT: Partial<Record<AgsErrorKind, number>> = {
  config: ExitCode.config,
  "not-found": ExitCode.notFound,
};

export class AgsError extends RemoteError {
  readonly kind: AgsErrorKind;
  /** The LMS's own words (error message or body excerpt), redacted. */
  readonly lmsMessage: string;

  constructor(
    message: string,
    opts: {
      kind: AgsErrorKind;
      status?: number;
      lmsMessage?: string;
      errorCode?: string;
      hint?: string;
      cause?: unknown;
    },
  ) {
    super(message, {
      status: opts.status,
      errorCode: opts.errorCode ?? opts.kind,
      hint: opts.hint ?? HINTS[opts.kind],
      cause: opts.cause,
      exitCode: EXIT[opts.kind] ?? ExitCode.failure,
    });
    this.kind = opts.kind;
    this.lmsMessage = opts.lmsMessage ?? "";
  }

  get retryable(): boolean {
    return this.kind === "retry";
  }
}

/** The token endpoint refused or failed. Not retryable refusals are configuration problems (exit 4). */
export class LtiTokenError extends RemoteError {
  readonly retryable: boolean;
  readonly lmsMessage: string;

  constructor(
    message: string,
    opts: {
      status?: number;
      errorCode?: string;
      lmsMessage?: string;
      hint: string;
      retryable: boolean;
      cause?: unknown;
    },
  ) {
    super(message, {
      status: opts.status,
      errorCode: opts.errorCode,
      hint: opts.hint,
      cause: opts.cause,
      exitCode: opts.retryable ? ExitCode.failure : ExitCode.config,
    });
    this.retryable = opts.retryable;
    this.lmsMessage = opts.lmsMessage ?? "";
  }
}

const MAX_MESSAGE = 300;

function pick(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim() !== "") return value;
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (Array.isArray(value)) return pick(value[0]);
    for (const key of ["message", "detail", "error_description", "error", "title", "reason"]) {
      const found = pick(v[key]);
      if (found) return found;
    }
    if (v.errors) return pick(v.errors);
  }
  return undefined;
}

/** The LMS's message in an error body: Canvas `errors.message`, OAuth `error_description`, plain text… */
export function lmsMessageOf(res: Pick<HttpResponse, "body" | "headers">): string {
  const text = res.body.trim();
  if (text === "") return "";
  let message: string;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.length === 0) return "[]";
    message = pick(value) ?? text;
  } catch {
    message =
      /^<(!doctype|html)/i.test(text) || /text\/html/i.test(res.headers["content-type"] ?? "")
        ? "(an HTML page)"
        : text;
  }
  const oneLine = message.replace(/\s+/g, " ").trim();
  return redact(oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE)}…` : oneLine);
}

/** A refusal about the learner rather than the request: "User … not enrolled / not found / does not exist". */
function aboutTheLearner(message: string): boolean {
  return (
    (/\b(user|student|learner)\b/i.test(message) && /\b(not|unknown)\b/i.test(message)) ||
    /maximum number of allowed attempts/i.test(message)
  );
}
const STALE_TEXT = /before last updated timestamp|earlier timestamp/i;

export function isRateLimited(status: number, message: string): boolean {
  return status === 429 || (status === 403 && /rate limit exceeded/i.test(message));
}

/** What a non-2xx service answer means (§4.11, §7). */
export function classifyServiceStatus(
  kind: LtiPlatformKind,
  route: ServiceRoute,
  status: number,
  message: string,
): AgsErrorKind {
  if (status >= 500 || isRateLimited(status, message)) return "retry";
  if (status === 401) return "refresh-token";
  if (route === "scores") {
    if (status === 409 || (status === 400 && STALE_TEXT.test(message))) return "stale";
    // Moodle answers a score for someone who is not an enrolled student with 400 and body `[]` (observed).
    if (status === 400 && kind === "moodle" && (message === "[]" || message === "")) return "learner";
    if (status === 422 || ([400, 403, 404].includes(status) && aboutTheLearner(message))) return "learner";
  }
  if (status === 404) return "not-found";
  if (status === 403 || status === 412) return "config";
  return "invalid-request";
}

export function agsErrorFor(
  kind: LtiPlatformKind,
  route: ServiceRoute,
  what: string,
  res: HttpResponse,
): AgsError {
  const lmsMessage = lmsMessageOf(res);
  const errorKind = classifyServiceStatus(kind, route, res.status, lmsMessage);
  const said = lmsMessage ? `: ${lmsMessage}` : "";
  return new AgsError(`${what}: ${platformName(kind)} answered HTTP ${res.status}${said}`, {
    kind: errorKind,
    status: res.status,
    lmsMessage,
  });
}

/**
 * A write answered 2xx with something other than the LMS's documented acknowledgement. It
 * concerns the one score or column: the sync records it as an item failure and plans it again.
 */
export class UnacknowledgedError extends AgsError {
  readonly contentType: string;
  readonly bodyFirstLine: string;

  constructor(kind: LtiPlatformKind, what: string, res: HttpResponse, expected: string) {
    const first = bodyFirstLine(res.body);
    super(
      `${what}: ${platformName(kind)} did not acknowledge it (${describeAnswer(res)}; expected ${expected})`,
      { kind: "unacknowledged", status: res.status, lmsMessage: first, errorCode: "unacknowledged" },
    );
    this.contentType = res.headers["content-type"] ?? "";
    this.bodyFirstLine = first;
  }
}
