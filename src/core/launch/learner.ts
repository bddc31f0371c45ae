/**
 * The learner behind a launch (R4, R11): the LMS user is linked to a Coursera learner whose
 * externalId is, by default, the LMS e-mail; on their first launch into a program they
 * become a member through the Coursera API, which takes one license (R5).
 */
import { CourseraApiError } from "../../clients/coursera/errors.js";
import type { Db } from "../../store/db.js";
import { findLearners, learnerMemberships } from "../../store/learners.js";
import type { LmsRegistrationRow } from "../../store/lms.js";
import { findLmsUser, type LinkedBy } from "../../store/lms-users.js";
import type { TenantRow } from "../../store/tenants.js";
import type { LaunchServices } from "./services.js";
import type { ValidLaunch } from "./validate.js";

export interface LaunchIdentity {
  externalId: string;
  email: string | null;
  name: string | null;
  /** How the Coursera learner was chosen. */
  linkedBy: "earlier-launch" | "email";
  /** How the binding stands in the state once the launch is recorded. */
  binding: LinkedBy;
  /** A weaker binding (by the LMS user id) this launch replaces: the learner it pointed at. */
  replaced: string | null;
}

/**
 * R11: an earlier binding wins unless it was made from the LMS user id alone; then the Coursera
 * learner with the LMS e-mail (any case), or the e-mail itself. Without an e-mail (the LMS's
 * privacy settings) nobody is bound: null.
 */
export function identify(
  db: Db,
  reg: LmsRegistrationRow,
  tenantId: number,
  launch: ValidLaunch,
): LaunchIdentity | null {
  const known = findLmsUser(db, reg.id, launch.sub);
  const email = launch.email?.trim() || null;
  const weak = known?.linkedBy === "lms-user-id";
  if (known?.externalId && !weak)
    return {
      externalId: known.externalId,
      email,
      name: launch.name,
      linkedBy: "earlier-launch",
      binding: known.linkedBy ?? (known.source === "nrps" ? "roster" : "email"),
      replaced: null,
    };
  if (!email) return null;
  const existing = findLearners(db, tenantId, email);
  const externalId = existing.length === 1 ? existing[0]!.externalId : email.toLowerCase();
  return {
    externalId,
    email,
    name: launch.name,
    linkedBy: "email",
    binding: "email",
    replaced: weak && known?.externalId && known.externalId !== externalId ? known.externalId : null,
  };
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
