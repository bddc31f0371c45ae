/** Checks that ask the servers: a Coursera token, and the LMS's JWKS, service token and scopes. */

import { keyPathFor, loadToolKey } from "../../base/keys.js";
import type { LmsCheckName } from "../../clients/lti/check.js";
import { anyLineItemsUrl, anyNrpsUrl } from "../../store/links.js";
import type { LmsCheckResult } from "../check-result.js";
import { courseraFor } from "../coursera.js";
import { scopePolicy } from "../lms-scopes.js";
import { ltiRegistration } from "../lti.js";
import { type Check, type CheckRow, type CheckStatus, DOCTOR_RETRY, need, row, worst } from "./basis.js";

export const courseraTokenCheck: Check = {
  names: ["coursera-token"],
  async run({ ctx, http, tenant: t }) {
    const tenant = need(t, "fail");
    const client = await courseraFor(ctx, tenant, { http });
    const org = await client.getOrg();
    return [
      row(
        "coursera-token",
        "pass",
        `token minted at ${tenant.courseraUrl}; org "${org.name}" (${org.id}) answered`,
      ),
    ];
  },
};

const lmsRowNames: LmsCheckName[] = ["lms-jwks", "lms-token", "lms-scopes", "lms-nrps", "lms-line-items"];

const lmsFixes: Record<LmsCheckName, string> = {
  "lms-jwks": "check the registration's JWKS URL (`gg4l lms show`) with the LMS admin",
  "lms-token": "compare the client id, deployment id, token URL and tool key in the LMS with `gg4l lms show`",
  "lms-scopes": "enable the Assignment and Grade Services for this tool in the LMS",
  "lms-nrps": "enable Names and Role Provisioning for this tool in the LMS (needed for no-SSO sync only)",
  "lms-line-items": "launch a Coursera link of this LMS once, then run gg4l doctor again",
};

/** `gg4l lms check`'s rows, with "skip" (could not run) reported as a warning. */
export const lmsCheck: Check = {
  names: lmsRowNames,
  async run({ ctx, http, state, tenant, registration }) {
    const reg = need(registration, "fail");
    if (reg.kind === "google-classroom") {
      const { checkClassroom } = await import("../classroom/check.js");
      return classroomRows(await checkClassroom(ctx, need(tenant, "fail"), reg, { http }));
    }
    const key = await loadToolKey(keyPathFor(ctx.dbPath));
    const db = need(state, "fail").db;
    const lineItemsUrl = anyLineItemsUrl(db, reg.id);
    const membershipsUrl = anyNrpsUrl(db, reg.id, lineItemsUrl);
    const { checkLmsRegistration } = await import("../../clients/lti/check.js");
    const results = await checkLmsRegistration(ltiRegistration(reg), key, {
      http,
      retry: DOCTOR_RETRY,
      policy: scopePolicy(reg),
      ...(lineItemsUrl ? { lineItemsUrl } : {}),
      ...(membershipsUrl ? { membershipsUrl } : {}),
    });
    return results.map((r): CheckRow => {
      const said = r.lmsMessage ? ` (the LMS said: ${r.lmsMessage})` : "";
      if (r.status !== "skip")
        return row(r.check, r.status, `${r.message}${said}`, r.hint ?? lmsFixes[r.check]);
      const fix =
        reg.kind === "google-classroom"
          ? "nothing to do over LTI: Google Classroom grades go through the Classroom API"
          : r.check === "lms-line-items" && r.message.startsWith("no line-items")
            ? lmsFixes["lms-line-items"]
            : "fix the lms-token row first";
      return row(r.check, "warn", `not checked: ${r.message}`, r.hint ?? fix);
    });
  },
};

const NOT_LTI = "nothing to do over LTI: Google Classroom grades go through the Classroom API";

/**
 * `gg4l lms check`'s Classroom rows in doctor's stable row names: the key and delegated tokens
 * as lms-token, the rosters as lms-nrps, the courses and their course work as lms-line-items.
 */
function classroomRows(result: LmsCheckResult): CheckRow[] {
  const group = (name: string, picked: LmsCheckResult["checks"], none: string, noneFix: string): CheckRow => {
    if (picked.length === 0) return row(name, "warn", `not checked: ${none}`, noneFix);
    let status: CheckStatus = "pass";
    for (const c of picked) status = worst(status, c.status === "skip" ? "warn" : c.status);
    const message = picked
      .map((c) => `${c.check}: ${c.message}${c.lmsMessage ? ` (Google said: ${c.lmsMessage})` : ""}`)
      .join("; ");
    // A row that was not checked says in its message what would let it be.
    const fix =
      picked.find((c) => c.status !== "pass" && c.hint)?.hint ??
      picked.find((c) => c.status === "skip")?.message ??
      "see `gg4l lms check`";
    return row(name, status, message, fix);
  };
  const of = (test: (check: string) => boolean) => result.checks.filter((c) => test(c.check));
  const noToken = "the service-account key or a delegated token failed (see lms-token)";
  return [
    row("lms-jwks", "warn", "not checked: Google Classroom has no LTI platform keys", NOT_LTI),
    group(
      "lms-token",
      of((c) => c === "service-account-key" || c === "classroom-settings" || c.startsWith("token ")),
      "no teacher to act as",
      "register a teacher: gg4l lms register --kind google-classroom … --teacher <e-mail>",
    ),
    row(
      "lms-scopes",
      "warn",
      "not checked: Google Classroom has no AGS scopes (lms-token checks its delegation)",
      NOT_LTI,
    ),
    group(
      "lms-nrps",
      of((c) => c.startsWith("roster ")),
      `no Classroom course roster read: ${noToken}, or no course published yet`,
      "publish a course with `gg4l classroom publish`",
    ),
    group(
      "lms-line-items",
      of((c) => c === "courses" || c.startsWith("course ") || c.startsWith("course-work")),
      noToken,
      "fix the lms-token row first",
    ),
  ];
}
