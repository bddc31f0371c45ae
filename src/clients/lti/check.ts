/**
 * The checks behind `gg4l lms check` and doctor's lms-* rows: the platform JWKS is readable, one
 * service token is issued for every scope gg4l may use (the granted list decides the rows), the
 * scopes this tenant needs are there, a course roster can be read, and the line items of a
 * context can be listed. Each check gives a row with the LMS's own message; nothing is thrown.
 */
import type { ToolKey } from "../../base/keys.js";
import { HttpClient } from "../http.js";
import { AgsClient } from "./ags.js";
import { NRPS_SCOPE } from "./constants.js";
import { AgsError, LtiTokenError, lmsMessageOf } from "./errors.js";
import { NrpsClient } from "./nrps.js";
import { type LtiRegistration, platformName } from "./registration.js";
import { type ServiceToken, type ServiceTokenOptions, ServiceTokenProvider } from "./token.js";

/** The same names in `gg4l lms check` and `gg4l doctor`. */
export type LmsCheckName = "lms-jwks" | "lms-token" | "lms-scopes" | "lms-nrps" | "lms-line-items";
export type LmsCheckStatus = "pass" | "fail" | "warn" | "skip";

export interface LmsCheckRow {
  check: LmsCheckName;
  status: LmsCheckStatus;
  message: string;
  /** What the LMS itself said, when it said something. */
  lmsMessage?: string;
  hint?: string;
}

/** What this tenant needs of each scope (core/lms-scopes.ts decides it). */
export interface ScopePolicy {
  needs: ReadonlyArray<{ scope: string; required: boolean; why: string }>;
  /** What to switch on in the LMS to grant a scope. */
  switchFor(scope: string): string;
  short(scope: string): string;
}

export interface LmsCheckOptions extends ServiceTokenOptions {
  policy: ScopePolicy;
  /** A line-items container URL learned from a launch; without it the listing check is skipped. */
  lineItemsUrl?: string;
  /** A roster (NRPS) URL, given or learned from a launch; without it the roster is not read. */
  membershipsUrl?: string;
}

function failure(check: LmsCheckName, error: unknown, status: LmsCheckStatus = "fail"): LmsCheckRow {
  const row: LmsCheckRow = { check, status, message: (error as Error).message };
  if ((error instanceof AgsError || error instanceof LtiTokenError) && error.lmsMessage)
    row.lmsMessage = error.lmsMessage;
  const hint = (error as { hint?: unknown }).hint;
  if (typeof hint === "string") row.hint = hint;
  return row;
}

async function checkJwks(http: HttpClient, reg: LtiRegistration): Promise<LmsCheckRow> {
  const check = "lms-jwks";
  try {
    const res = await http.request(reg.jwksUrl, { headers: { accept: "application/json" } });
    const lmsMessage = lmsMessageOf(res);
    if (res.status !== 200) {
      return {
        check,
        status: "fail",
        message: `the platform JWKS URL answered HTTP ${res.status}`,
        lmsMessage,
        hint: "check the registration's JWKS URL",
      };
    }
    let keys: unknown;
    try {
      keys = (JSON.parse(res.body) as { keys?: unknown }).keys;
    } catch {
      return {
        check,
        status: "fail",
        message: `the platform JWKS URL did not answer JSON: ${lmsMessage}`,
        hint: "check the registration's JWKS URL",
      };
    }
    const usable = (Array.isArray(keys) ? keys : []).filter(
      (k): k is { kid: string } =>
        !!k &&
        typeof k === "object" &&
        (k as { kty?: unknown }).kty === "RSA" &&
        typeof (k as { kid?: unknown }).kid === "string",
    );
    if (usable.length === 0) {
      return {
        check,
        status: "fail",
        message: "the platform JWKS holds no RSA key with a kid",
        hint: "launches cannot be verified; check the JWKS URL",
      };
    }
    return {
      check,
      status: "pass",
      message: `${usable.length} signing key(s): ${usable.map((k) => k.kid).join(", ")}`,
    };
  } catch (error) {
    return failure(check, error);
  }
}

/** The AGS scopes: a required one missing fails, an optional one missing warns with its cost. */
function scopesRow(granted: readonly string[], policy: ScopePolicy): LmsCheckRow {
  const ags = policy.needs.filter((n) => n.scope !== NRPS_SCOPE);
  const missing = ags.filter((n) => !granted.includes(n.scope));
  const required = missing.filter((n) => n.required);
  const optional = missing.filter((n) => !n.required);
  const grantedAgs = ags.filter((n) => granted.includes(n.scope)).map((n) => policy.short(n.scope));
  const list = (needs: typeof missing) => needs.map((n) => `${policy.short(n.scope)} (${n.why})`).join("; ");
  if (required.length > 0)
    return {
      check: "lms-scopes",
      status: "fail",
      message: `not granted, and needed: ${list(required)}${optional.length > 0 ? `; also not granted: ${list(optional)}` : ""}`,
      hint: policy.switchFor(required[0]!.scope),
    };
  if (optional.length > 0)
    return {
      check: "lms-scopes",
      status: "warn",
      message: `granted: ${grantedAgs.join(" ")}; not granted (optional): ${list(optional)}`,
      hint: policy.switchFor(optional[0]!.scope),
    };
  return { check: "lms-scopes", status: "pass", message: `granted: ${grantedAgs.join(" ")}` };
}

async function nrpsRow(
  granted: readonly string[],
  registration: LtiRegistration,
  tokens: ServiceTokenProvider,
  options: LmsCheckOptions & { http: HttpClient },
): Promise<LmsCheckRow> {
  const check = "lms-nrps";
  const need = options.policy.needs.find((n) => n.scope === NRPS_SCOPE);
  const required = need?.required ?? false;
  if (!granted.includes(NRPS_SCOPE))
    return {
      check,
      status: required ? "fail" : "warn",
      message: `${options.policy.short(NRPS_SCOPE)} not granted${required ? ", and needed" : ""}: ${need?.why ?? "rosters cannot be read"}`,
      hint: options.policy.switchFor(NRPS_SCOPE),
    };
  if (!options.membershipsUrl)
    return {
      check,
      status: "warn",
      message: "the scope is granted, but no roster was read: no course roster URL is known yet",
      hint: "launch a link of this LMS once (its launch carries the roster URL), then check again",
    };
  try {
    const page = await new NrpsClient(registration, tokens, {
      scopes: options.policy.needs.map((n) => n.scope),
      http: options.http,
      sleep: options.sleep,
      retry: options.retry,
    }).firstPage(options.membershipsUrl);
    return {
      check,
      status: "pass",
      message: `course rosters can be read: ${page.members} member(s) on the first page of context ${page.contextId ?? "?"}`,
    };
  } catch (error) {
    return failure(check, error, required ? "fail" : "warn");
  }
}

export async function checkLmsRegistration(
  registration: LtiRegistration,
  key: ToolKey,
  options: LmsCheckOptions,
): Promise<LmsCheckRow[]> {
  const http = options.http ?? new HttpClient({ retry: options.retry, sleep: options.sleep });
  const rows: LmsCheckRow[] = [await checkJwks(http, registration)];
  if (registration.kind === "google-classroom") {
    const message =
      "Google Classroom grades do not travel over LTI AGS; the Classroom API is checked separately";
    for (const check of ["lms-token", "lms-scopes", "lms-nrps", "lms-line-items"] as const) {
      rows.push({ check, status: "skip", message });
    }
    return rows;
  }
  const tokens = new ServiceTokenProvider(registration, key, { ...options, http });
  const every = options.policy.needs.map((n) => n.scope);
  let token: ServiceToken | undefined;
  try {
    // One request for every scope gg4l may use: the LMS grants what it allows (§3.3).
    token = await tokens.getToken(every);
    rows.push({
      check: "lms-token",
      status: "pass",
      message: `${platformName(registration.kind)} issued a token for ${token.scopes.length} of ${every.length} scope(s)`,
    });
  } catch (error) {
    rows.push(failure("lms-token", error));
  }

  if (!token) {
    rows.push({ check: "lms-scopes", status: "skip", message: "needs a service token" });
    rows.push({ check: "lms-nrps", status: "skip", message: "needs a service token" });
    rows.push({ check: "lms-line-items", status: "skip", message: "needs a service token" });
    return rows;
  }
  rows.push(scopesRow(token.scopes, options.policy));
  rows.push(await nrpsRow(token.scopes, registration, tokens, { ...options, http }));

  if (!options.lineItemsUrl) {
    rows.push({
      check: "lms-line-items",
      status: "skip",
      message: "no line-items URL known yet: launch a link of this LMS first",
    });
  } else {
    try {
      const items = await new AgsClient(registration, tokens, {
        http,
        sleep: options.sleep,
        retry: options.retry,
        scopes: every,
      }).listLineItems(options.lineItemsUrl);
      rows.push({
        check: "lms-line-items",
        status: "pass",
        message: `${items.length} line item(s) in the course`,
      });
    } catch (error) {
      rows.push(failure("lms-line-items", error));
    }
  }
  return rows;
}
