/** R11: launches refused because the LMS shares no e-mail, per LMS, with the setting that fixes it. */
import { type LmsKind, lmsKinds } from "../../store/lms.js";
import { refusalCounts } from "../../store/refusals.js";
import { EMAIL_SETTING } from "../launch/notices.js";
import { type Check, need, row } from "./basis.js";

export const noEmailLaunchesCheck: Check = {
  names: ["no-email-launches"],
  async run({ state, tenant }) {
    const refused = refusalCounts(need(state, "warn").db, need(tenant, "warn").id, "no-email");
    if (refused.length === 0)
      return [row("no-email-launches", "pass", "every launch carried the learner's e-mail")];
    const setting = (kind: string) =>
      (lmsKinds as readonly string[]).includes(kind) ? EMAIL_SETTING[kind as LmsKind] : "share the e-mail";
    return [
      row(
        "no-email-launches",
        "warn",
        refused
          .map(
            (r) =>
              `${r.launches} launch(es) by ${r.users} LMS user(s) from ${r.kind} ${r.issuer} carried no e-mail (latest ${r.last}): nobody was signed in and no license taken`,
          )
          .join("; "),
        `the LMS admin must share the launcher's e-mail with the tool — ${refused.map((r) => setting(r.kind)).join("; ")}; the learners then open the link again`,
      ),
    ];
  },
};
