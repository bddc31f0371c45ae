/** Checks that ask the servers: a Coursera token, and the LMS's JWKS, service token and scopes. */
import type { LmsCheckName } from "../../clients/lti/check.js";
import { anyLineItemsUrl } from "../../store/links.js";
import { courseraFor } from "../coursera.js";
import { keyPathFor, loadToolKey } from "../keys.js";
import { ltiRegistration } from "../lti.js";
import { type Check, type CheckRow, DOCTOR_RETRY, need, row } from "./basis.js";

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

const lmsRows: Record<LmsCheckName, string> = {
  "platform-jwks": "lms-jwks",
  "service-token": "lms-token",
  "ags-scopes": "lms-scopes",
  "nrps-scope": "lms-nrps",
  "line-items": "lms-line-items",
};

const lmsFixes: Record<LmsCheckName, string> = {
  "platform-jwks": "check the registration's JWKS URL (`gg4l lms show`) with the LMS admin",
  "service-token":
    "compare the client id, deployment id, token URL and tool key in the LMS with `gg4l lms show`",
  "ags-scopes": "enable the Assignment and Grade Services for this tool in the LMS",
  "nrps-scope": "enable Names and Role Provisioning for this tool in the LMS (needed for no-SSO sync only)",
  "line-items": "launch a Coursera link of this LMS once, then run gg4l doctor again",
};

/** `gg4l lms check`'s rows, with "skip" (could not run) reported as a warning. */
export const lmsCheck: Check = {
  names: Object.values(lmsRows),
  async run({ ctx, http, state, registration }) {
    const reg = need(registration, "fail");
    const key = await loadToolKey(keyPathFor(ctx.dbPath));
    const lineItemsUrl = anyLineItemsUrl(need(state, "fail").db, reg.id);
    const { checkLmsRegistration } = await import("../../clients/lti/check.js");
    const results = await checkLmsRegistration(ltiRegistration(reg), key, {
      http,
      retry: DOCTOR_RETRY,
      ...(lineItemsUrl ? { lineItemsUrl } : {}),
    });
    return results.map((r): CheckRow => {
      const said = r.lmsMessage ? ` (the LMS said: ${r.lmsMessage})` : "";
      if (r.status !== "skip")
        return row(lmsRows[r.check], r.status, `${r.message}${said}`, r.hint ?? lmsFixes[r.check]);
      const fix =
        reg.kind === "google-classroom"
          ? "nothing to do over LTI: Google Classroom grades go through the Classroom API"
          : r.check === "line-items" && r.message.startsWith("no line-items")
            ? lmsFixes["line-items"]
            : "fix the lms-token row first";
      return row(lmsRows[r.check], "warn", `not checked: ${r.message}`, r.hint ?? fix);
    });
  },
};
