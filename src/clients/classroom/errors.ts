/**
 * Typed errors of the Classroom client. Every non-2xx answer maps (reference §6) to a
 * ClassroomError whose `kind` tells the caller what to do: retry later, fix the configuration,
 * skip a column another project owns, record a per-learner refusal, or report a precondition.
 */
import { ExitCode, RemoteError } from "../../base/errors.js";
import { redact } from "../../base/redact.js";
import type { HttpResponse } from "../http.js";

export type ClassroomErrorKind =
  /** 429 RESOURCE_EXHAUSTED, 500, 503 after the HTTP layer's retries: try again later. */
  | "retry"
  /** Not a teacher, missing scope or delegation, API disabled, refused token: an admin must change something. */
  | "config"
  /** `@ProjectPermissionDenied`: another Google Cloud project created this course work. */
  | "project"
  /** This learner cannot be graded in this course (not a student of it). */
  | "learner"
  /** 400 FAILED_PRECONDITION: archived course, deleted course work, return of work not turned in. */
  | "precondition"
  /** The course, course work or submission is gone. */
  | "not-found"
  /** 400 INVALID_ARGUMENT: Classroom called the request malformed (a gg4l bug). */
  | "invalid-request";

const HINTS: Record<ClassroomErrorKind, string> = {
  retry:
    "Classroom is throttling (quota) or failing; gg4l retried with backoff — run the command again later",
  config:
    "check the registration (gg4l lms show): the impersonated user must teach the course, and the service account needs domain-wide delegation for gg4l's scopes",
  project:
    "Classroom lets only the Google Cloud project that created a course work grade it: publish the item again with `gg4l classroom publish` (a new column), or register the service account of the project that created it",
  learner: "this learner is not a student of the Classroom course; the other learners are unaffected",
  precondition:
    "the Classroom course or course work does not allow this now (archived course, deleted course work)",
  "not-found":
    "the Classroom course or course work no longer exists: publish the item again with `gg4l classroom publish`",
  "invalid-request":
    "Classroom refused the request as malformed; this is likely a gg4l bug: run with --debug and report it",
};

const EXIT: Partial<Record<ClassroomErrorKind, number>> = {
  config: ExitCode.config,
  "not-found": ExitCode.notFound,
};

export class ClassroomError extends RemoteError {
  readonly kind: ClassroomErrorKind;
  /** Google's canonical status, e.g. PERMISSION_DENIED. */
  readonly googleStatus: string;
  /** The `@Name` detail of the message, e.g. ProjectPermissionDenied. */
  readonly detail: string | undefined;
  /** Google's own words, redacted. */
  readonly googleMessage: string;

  constructor(
    message: string,
    opts: {
      kind: ClassroomErrorKind;
      status?: number;
      googleStatus?: string;
      detail?: string;
      googleMessage?: string;
      hint?: string;
      cause?: unknown;
    },
  ) {
    super(message, {
      status: opts.status,
      errorCode: opts.detail ?? opts.googleStatus ?? opts.kind,
      hint: opts.hint ?? HINTS[opts.kind],
      cause: opts.cause,
      exitCode: EXIT[opts.kind] ?? ExitCode.failure,
    });
    this.kind = opts.kind;
    this.googleStatus = opts.googleStatus ?? "";
    this.detail = opts.detail;
    this.googleMessage = opts.googleMessage ?? "";
  }
}

export interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
}

/** The `error` object of a Google error body, or what can be said of a body that is not one. */
export function googleErrorOf(res: HttpResponse): {
  status: string;
  message: string;
  detail: string | undefined;
} {
  let parsed: { error?: GoogleErrorBody | string; error_description?: string } | undefined;
  try {
    parsed = JSON.parse(res.body) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const error = parsed?.error;
  if (error && typeof error === "object") {
    const message = redact(String(error.message ?? ""));
    const detail = /^@([A-Za-z]+)\s/.exec(`${message} `)?.[1];
    return { status: String(error.status ?? ""), message, detail };
  }
  const excerpt = redact(
    res.body
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 200),
  );
  return { status: "", message: excerpt, detail: undefined };
}

export interface CallContext {
  /** What gg4l was doing, e.g. `create course work in Classroom course 123`. */
  action: string;
  /** The impersonated teacher. */
  user: string;
  courseId?: string;
  courseWorkId?: string;
}

/** The error for a non-2xx answer of the Classroom API. */
export function classroomErrorOf(res: HttpResponse, call: CallContext): ClassroomError {
  const google = googleErrorOf(res);
  const said = google.message ? ` (Classroom said: ${google.message})` : "";
  const base = {
    status: res.status,
    googleStatus: google.status,
    detail: google.detail,
    googleMessage: google.message,
  };
  if (res.status === 429 || res.status >= 500) {
    return new ClassroomError(
      `cannot ${call.action}: Classroom answered HTTP ${res.status} ${google.status}${said}`,
      {
        ...base,
        kind: "retry",
      },
    );
  }
  if (res.status === 403 && google.detail === "ProjectPermissionDenied") {
    const what = call.courseWorkId ? `course work ${call.courseWorkId}` : "this course work";
    return new ClassroomError(
      `cannot ${call.action}: ${what} in Classroom course ${call.courseId ?? "?"} was created by another Google Cloud project, and Classroom lets only the creating project change or grade it${said}`,
      { ...base, kind: "project" },
    );
  }
  if (res.status === 403) {
    if (google.detail === "ClassroomApiDisabled") {
      return new ClassroomError(`cannot ${call.action}: the Classroom API is not enabled${said}`, {
        ...base,
        kind: "config",
        hint: "enable the Google Classroom API in the service account's Google Cloud project (APIs & Services → Library)",
      });
    }
    if (/insufficient authentication scopes/i.test(google.message)) {
      return new ClassroomError(`cannot ${call.action}: the access token lacks a Classroom scope${said}`, {
        ...base,
        kind: "config",
        hint: "a super admin must authorize the service account's client ID for gg4l's scopes (Admin console → Security → API controls → Domain-wide delegation)",
      });
    }
    const course = call.courseId ? `Classroom course ${call.courseId}` : "the Classroom course";
    return new ClassroomError(
      `cannot ${call.action}: Classroom refused ${call.user}${said} — gg4l must impersonate a teacher of ${course}`,
      {
        ...base,
        kind: "config",
        hint: call.courseId
          ? `register a teacher of that course: gg4l lms register --kind google-classroom … --course-teacher ${call.courseId}=<teacher e-mail> (or --teacher <e-mail> for every course)`
          : "pass a teacher of the course with `gg4l lms register --kind google-classroom … --teacher <e-mail>`",
      },
    );
  }
  if (res.status === 401) {
    return new ClassroomError(`cannot ${call.action}: Classroom refused the access token${said}`, {
      ...base,
      kind: "config",
      hint: "the token was refused even after a fresh one was issued: check the service account key and its domain-wide delegation",
    });
  }
  if (res.status === 404) {
    return new ClassroomError(`cannot ${call.action}: not found${said}`, { ...base, kind: "not-found" });
  }
  if (res.status === 400 && google.status === "FAILED_PRECONDITION") {
    const hint =
      google.detail === "CourseNotModifiable"
        ? `Classroom course ${call.courseId ?? ""} is archived or otherwise not modifiable: restore it in Classroom, or stop publishing to it`
        : undefined;
    return new ClassroomError(`cannot ${call.action}: Classroom's precondition failed${said}`, {
      ...base,
      kind: "precondition",
      ...(hint ? { hint } : {}),
    });
  }
  return new ClassroomError(
    `cannot ${call.action}: Classroom answered HTTP ${res.status} ${google.status}${said}`,
    {
      ...base,
      kind: "invalid-request",
    },
  );
}
