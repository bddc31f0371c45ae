/** No-SSO sync: learn the LMS user ids of program learners from the course rosters (NRPS), by e-mail. */
import type { HttpClient } from "../../clients/http.js";
import type { LmsRegistrationRow } from "../../store/lms.js";
import { rosterUrls, saveRosterUsers } from "../../store/sync.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";
import { ltiServicesFor } from "../lti.js";

export async function refreshRosters(
  ctx: Context,
  tenant: TenantRow,
  reg: LmsRegistrationRow,
  http: HttpClient,
): Promise<{ contexts: number; matched: number }> {
  const { db } = ctx.state();
  const urls = rosterUrls(db, reg.id);
  if (urls.length === 0) return { contexts: 0, matched: 0 };
  const { nrps } = await ltiServicesFor(ctx, reg, http);
  let matched = 0;
  for (const { url } of urls) {
    const roster = await nrps.listMembers(url);
    const members = roster.members
      .filter((m) => m.email && m.status !== "Inactive" && m.status !== "Deleted")
      .map((m) => ({ sub: m.user_id, email: m.email!, name: m.name ?? null }));
    matched += saveRosterUsers(db, reg.id, tenant.id, members, ctx.now().toISOString());
  }
  ctx.logger.info(`Read ${urls.length} course roster(s): ${matched} learner(s) matched by e-mail`);
  return { contexts: urls.length, matched };
}
