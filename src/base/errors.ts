/**
 * Typed errors. Each carries the exit code it maps to; only src/cli/main.ts turns
 * them into a process exit. Messages name the cause; `hint` names the fix.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  config: 4,
  partial: 5,
  conflict: 6,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const exitCodeTable: ReadonlyArray<{ code: number; name: string; meaning: string }> = [
  { code: 0, name: "ok", meaning: "success (an empty list is success)" },
  { code: 1, name: "failure", meaning: "unexpected failure, or a doctor check failed" },
  {
    code: 2,
    name: "usage",
    meaning: "usage error: unknown command or flag, missing value, no TTY to confirm",
  },
  { code: 3, name: "not-found", meaning: "a named tenant, program, course, learner or run does not exist" },
  {
    code: 4,
    name: "auth-config",
    meaning:
      "authentication, permission or configuration problem (state file, keys, credentials); a sync stopped by one",
  },
  {
    code: 5,
    name: "partial",
    meaning:
      "partial failure: some items failed, the rest were done and recorded; or the LMS stopped answering and the sync's circuit breaker stopped it",
  },
  {
    code: 6,
    name: "conflict",
    meaning: "conflict: lock held, stale plan, or rule R1 (one grade-sync option per LMS)",
  },
  { code: 130, name: "interrupted", meaning: "interrupted (Ctrl-C / SIGINT)" },
];

export class GgError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  readonly details: unknown;
  constructor(
    message: string,
    exitCode: number,
    opts: { hint?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.details = opts.details;
  }
}

export class UsageError extends GgError {
  constructor(message: string, opts: { hint?: string; details?: unknown } = {}) {
    super(message, ExitCode.usage, opts);
  }
}

export class NotFoundError extends GgError {
  constructor(message: string, opts: { hint?: string; details?: unknown } = {}) {
    super(message, ExitCode.notFound, opts);
  }
}

/** Authentication, permission or configuration problem: the user must fix a setting, file or credential. */
export class ConfigError extends GgError {
  constructor(message: string, opts: { hint?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, ExitCode.config, opts);
  }
}

export class ConflictError extends GgError {
  constructor(message: string, opts: { hint?: string; details?: unknown } = {}) {
    super(message, ExitCode.conflict, opts);
  }
}

/** Some items failed; the rest were done and recorded. `details` carries the per-item outcome. */
export class PartialFailureError extends GgError {
  constructor(message: string, opts: { hint?: string; details?: unknown } = {}) {
    super(message, ExitCode.partial, opts);
  }
}

/**
 * The operator answered "no" to a confirmation. Not a failure: nothing changed, as they asked,
 * so the command ends with "Nothing changed." and exit 0.
 */
export class DeclinedError extends GgError {
  constructor(message: string) {
    super(message, ExitCode.ok);
  }
}

export class InterruptedError extends GgError {
  constructor(message = "interrupted") {
    super(message, ExitCode.interrupted);
  }
}

/** A remote service answered in a way we cannot use (HTML, malformed JSON, unexpected status). */
export class RemoteError extends GgError {
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  constructor(
    message: string,
    opts: {
      status?: number;
      errorCode?: string;
      hint?: string;
      details?: unknown;
      cause?: unknown;
      exitCode?: number;
    } = {},
  ) {
    super(message, opts.exitCode ?? ExitCode.failure, opts);
    this.status = opts.status;
    this.errorCode = opts.errorCode;
  }
}
