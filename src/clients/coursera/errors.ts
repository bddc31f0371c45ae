/**
 * Turning Coursera's answers into typed errors whose message names the cause and whose hint
 * names the fix. Nothing here prints request bodies, tokens or e-mail addresses.
 */
import { ExitCode, RemoteError } from "../../base/errors.js";
import { redact } from "../../base/redact.js";
import { type HttpResponse, safeOrigin } from "../http.js";
import { ErrorCodes, type WireError } from "./wire.js";

export class CourseraApiError extends RemoteError {}

export interface ErrorContext {
  /** What we were doing, e.g. "listing programs". */
  what: string;
  /** Tenant label for messages ("tenant uni-x"). */
  tenant: string;
  orgId: string;
  /** The thing a 404 means is missing, e.g. "program abc". */
  subject?: string;
  programId?: string;
  /** The program as messages name it: `program "Data Science" (id)`. */
  program?: string;
}

interface ParsedBody {
  errorCode: string | undefined;
  message: string | undefined;
  details: unknown;
  /** What came back when it was not a Coursera error body. */
  shape: "json" | "html" | "empty" | "other";
}

export function readErrorBody(res: HttpResponse): ParsedBody {
  const text = res.body.trim();
  if (text === "") return { errorCode: undefined, message: undefined, details: undefined, shape: "empty" };
  if (/text\/html/i.test(res.headers["content-type"] ?? "") || /^<(!doctype|html)/i.test(text)) {
    return { errorCode: undefined, message: undefined, details: undefined, shape: "html" };
  }
  try {
    const body = JSON.parse(text) as WireError & { error?: string; error_description?: string };
    const errorCode = typeof body.errorCode === "string" ? body.errorCode : body.error;
    const message = typeof body.message === "string" ? body.message : body.error_description;
    return { errorCode, message, details: body.details ?? undefined, shape: "json" };
  } catch {
    return { errorCode: undefined, message: undefined, details: undefined, shape: "other" };
  }
}

function describe(res: HttpResponse, body: ParsedBody): string {
  const code = body.errorCode ? ` ${body.errorCode}` : "";
  // Coursera messages may quote a learner's e-mail: mask it like every other log line.
  const msg = body.message ? `: ${redact(body.message)}` : "";
  const shape = body.shape === "html" ? " (an HTML page)" : body.shape === "other" ? " (not JSON)" : "";
  return `HTTP ${res.status}${code}${msg}${shape}`;
}

/** A 401/403 that survived a fresh token: the credentials or the org id are wrong. */
export function authError(res: HttpResponse, ctx: ErrorContext): CourseraApiError {
  const body = readErrorBody(res);
  const why =
    res.status === 403
      ? `the app is not allowed to read org ${ctx.orgId}`
      : "Coursera rejected a freshly minted token";
  return new CourseraApiError(
    `Coursera refused ${ctx.what} for ${ctx.tenant}: ${why} (${describe(res, body)})`,
    {
      status: res.status,
      errorCode: body.errorCode,
      exitCode: ExitCode.config,
      details: body.details,
      hint: `check the Coursera client id/secret and org id of ${ctx.tenant}, and that the app has the Coursera for Business API enabled`,
    },
  );
}

/** The token endpoint refused the client credentials. */
export function credentialsError(res: HttpResponse, ctx: ErrorContext): CourseraApiError {
  const body = readErrorBody(res);
  return new CourseraApiError(
    `Coursera refused the client credentials of ${ctx.tenant} at ${safeOrigin(res.url)} (${describe(res, body)})`,
    {
      status: res.status,
      errorCode: body.errorCode,
      exitCode: ExitCode.config,
      hint: `check the Coursera client id (API Key) and client secret of ${ctx.tenant} on the app page of the Coursera developer portal`,
    },
  );
}

/** Any other non-2xx answer. */
export function apiError(res: HttpResponse, ctx: ErrorContext): CourseraApiError {
  const body = readErrorBody(res);
  const opts = { status: res.status, errorCode: body.errorCode, details: body.details };
  if (res.status === 401 || res.status === 403) return authError(res, ctx);
  if (body.errorCode === ErrorCodes.noLicenses) {
    const program = ctx.program ?? (ctx.programId ? `program ${ctx.programId}` : "the program");
    return new CourseraApiError(`no licenses left in ${program}: remove test learners or buy more`, {
      ...opts,
      hint: `free licenses with \`gg4l learners remove --test\` for ${program}, or ask Coursera for more licenses`,
    });
  }
  if (res.status === 404) {
    return new CourseraApiError(
      `Coursera has no ${ctx.subject ?? "such resource"} in org ${ctx.orgId} (${describe(res, body)})`,
      {
        ...opts,
        exitCode: ExitCode.notFound,
        hint: "pull programs again (`gg4l programs pull`); if the org id itself is wrong, fix the tenant",
      },
    );
  }
  if (res.status === 429 || res.status >= 500) {
    return new CourseraApiError(
      `Coursera kept failing while ${ctx.what} (${describe(res, body)}, ${res.attempts} attempt${res.attempts === 1 ? "" : "s"})`,
      { ...opts, hint: "Coursera is throttling or unavailable: retry later" },
    );
  }
  return new CourseraApiError(`Coursera refused ${ctx.what} (${describe(res, body)})`, {
    ...opts,
    hint: "the request was rejected as invalid; check the ids passed and report it if it persists",
  });
}
