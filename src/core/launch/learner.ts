/**
 * The learner behind a launch (R4): the LMS user is linked to a Coursera learner whose
 * externalId is, by default, the LMS e-mail; on their first launch into a program they
 * become a member through the Coursera API, which takes one license (R5).
 */
import { CourseraApiError } from "../../clients/coursera/errors.js";
import type { Db } from "../../store/db.js";
import { findLearners, learnerMemberships } from "../../store/learners.js";
import type { LmsRegistrationRow } from "../../store/lms.js";
import { findLmsUser } from "../../store/lms-users.js";
import type { TenantRow } from "../../store/tenants.js";
import type { LaunchServices } from "./services.js";
import type { ValidLaunch } from "./validate.js";

export interface LaunchIdentity {
  externalId: string;
  email: string | null;
  name: string | null;
  /** How the Coursera learner was chosen. */
  linkedBy: "earlier-launch" | "email" | "lms-user-id";
}

/**
 * An earlier link wins; then the Coursera learner with the LMS e-mail (any case), or the
 * e-mail itself; without one (privacy settings), the issuer's host and the LMS user id.
 */
export function identify(
  db: Db,
  reg: LmsRegistrationRow,
  tenantId: number,
  launch: ValidLaunch,
): LaunchIdentity {
  const known = findLmsUser(db, reg.id, launch.sub);
  const email = launch.email?.trim() || null;
  if (known?.externalId)
    return { externalId: known.externalId, email, name: launch.name, linkedBy: "earlier-launch" };
  if (email) {
    const existing = findLearners(db, tenantId, email);
    const externalId = existing.length === 1 ? existing[0]!.externalId : email.toLowerCase();
    return { externalId, email, name: launch.name, linkedBy: "email" };
  }
  let host = reg.issuer;
  try {
    host = new URL(reg.issuer).host;
  } catch {}
  return { externalId: `${host}:${launch.sub}`, email: null, name: launch.name, linkedBy: "lms-user-id" };
}

export type MembershipOutcome =
  /** Already a member in gg4l's state: no call, no license. */
  | "member"
  /** Added now: one license taken. */
  | "added"
  /** Coursera already had them (a license held since before). */
  | "already-member"
  /** NO_AVAILABLE_LICENSES. */
  | "full"
  /** Coursera could not be asked or refused otherwise. */
  | "failed";

export interface MembershipResult {
  outcome: MembershipOutcome;
  error?: string;
}

export async function ensureMembership(
  svc: LaunchServices,
  tenant: TenantRow,
  programId: string,
  who: LaunchIdentity,
): Promise<MembershipResult> {
  const db = svc.ctx.state().db;
  if (learnerMemberships(db, tenant.id, who.externalId).some((m) => m.programId === programId))
    return { outcome: "member" };
  try {
    const coursera = await svc.coursera(tenant);
    const result = await coursera.addMember(programId, {
      externalId: who.externalId,
      ...(who.email ? { email: who.email } : {}),
      ...(who.name ? { fullName: who.name } : {}),
    });
    return { outcome: result.outcome === "already-member" ? "already-member" : "added" };
  } catch (error) {
    if (error instanceof CourseraApiError && error.errorCode === "NO_AVAILABLE_LICENSES")
      return { outcome: "full", error: error.message };
    return { outcome: "failed", error: (error as Error).message };
  }
}
