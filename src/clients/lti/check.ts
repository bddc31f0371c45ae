/**
 * The checks behind `gg4l lms check`: the platform JWKS is readable, a service token is issued
 * with the AGS scopes, NRPS is available, and the line items of a context can be listed. Each
 * check gives a row with the LMS's own message when it fails; nothing is thrown.
 */
import type { ToolKey } from "../../base/keys.js";
import { HttpClient } from "../http.js";
import { AgsClient } from "./ags.js";
import { ALL_AGS_SCOPES, NRPS_SCOPE } from "./constants.js";
import { AgsError, LtiTokenError, lmsMessageOf } from "./errors.js";
import { type LtiRegistration, platformName } from "./registration.js";
import { type ServiceToken, type ServiceTokenOptions, ServiceTokenProvider } from "./token.js";

export type LmsCheckName = "platform-jwks" | "service-token" | "ags-scopes" | "nrps-scope" | "line-items";
export type LmsCheckStatus = "pass" | "fail" | "warn" | "skip";

export interface LmsCheckRow {
  check: LmsCheckName;
  status: LmsCheckStatus;
  message: string;
  /** What the LMS itself said, when it said something. */
  lmsMessage?: string;
  hint?: string;
}

export interface LmsCheckOptions extends ServiceTokenOptions {
  /** A line-items container URL learned from a launch; without it the listing check is skipped. */
  lineItemsUrl?: string;
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
  const check = "platform-jwks";
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

export async function checkLmsRegistration(
  registration: LtiRegistration,
  key: ToolKey,
  options: LmsCheckOptions = {},
): Promise<LmsCheckRow[]> {
  const http = options.http ?? new HttpClient({ retry: options.retry, sleep: options.sleep });
  const rows: LmsCheckRow[] = [await checkJwks(http, registration)];
  if (registration.kind === "google-classroom") {
    const message =
      "Google Classroom grades do not travel over LTI AGS; the Classroom API is checked separately";
    for (const check of ["service-token", "ags-scopes", "nrps-scope", "line-items"] as const) {
      rows.push({ check, status: "skip", message });
    }
    return rows;
  }
  const tokens = new ServiceTokenProvider(registration, key, { ...options, http });
  let token: ServiceToken | undefined;
  try {
    token = await tokens.getToken(ALL_AGS_SCOPES);
    rows.push({
      check: "service-token",
      status: "pass",
      message: `${platformName(registration.kind)} issued a token for ${token.scopes.length} scope(s)`,
    });
  } catch (error) {
    rows.push(failure("service-token", error));
  }

  if (token) {
    const missing = ALL_AGS_SCOPES.filter((s) => !token.scopes.includes(s));
    rows.push(
      missing.length === 0
        ? { check: "ags-scopes", status: "pass", message: "every AGS scope is granted" }
        : {
            check: "ags-scopes",
            status: "fail",
            message: `not granted: ${missing.join(" ")}`,
            hint: "enable the Assignment and Grade Services for this tool in the LMS (column management included)",
          },
    );
  } else {
    rows.push({ check: "ags-scopes", status: "skip", message: "needs a service token" });
  }

  try {
    await tokens.getToken([NRPS_SCOPE]);
    rows.push({ check: "nrps-scope", status: "pass", message: "course rosters can be read (NRPS)" });
  } catch (error) {
    const row = failure("nrps-scope", error, "warn");
    row.hint =
      "NRPS is only needed for no-SSO grade sync (matching learners by e-mail); enable it in the LMS to use that";
    rows.push(row);
  }

  if (!options.lineItemsUrl) {
    rows.push({
      check: "line-items",
      status: "skip",
      message: "no line-items URL known yet: launch a link of this LMS first",
    });
  } else if (!token) {
    rows.push({ check: "line-items", status: "skip", message: "needs a service token" });
  } else {
    try {
      const items = await new AgsClient(registration, tokens, {
        http,
        sleep: options.sleep,
        retry: options.retry,
      }).listLineItems(options.lineItemsUrl);
      rows.push({
        check: "line-items",
        status: "pass",
        message: `${items.length} line item(s) in the course`,
      });
    } catch (error) {
      rows.push(failure("line-items", error));
    }
  }
  return rows;
}
