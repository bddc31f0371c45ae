/**
 * R11 by hand: bind an LMS user to a Coursera learner (`gg4l learners link`) or to none
 * (`gg4l learners unlink`), and free the licenses a wrong binding took through the Coursera API.
 */
import { NotFoundError, UsageError } from "../base/errors.js";
import type { CourseraClient } from "../clients/coursera/client.js";
import { findLearners, type LearnerRow, learnerMemberships, removeMembership } from "../store/learners.js";
import { findLmsUser, type LmsUserRow, launchesAs, rebindLmsUser } from "../store/lms-users.js";
import type { TenantRow } from "../store/tenants.js";
import type { Context } from "./context.js";
import { courseraFor } from "./coursera.js";
import { requireRegistration } from "./lms.js";

export interface FreedLicense {
  programId: string;
  outcome: "removed" | "not-member" | "failed";
  error?: string;
}

/** Remove the learner from these programs through the Coursera API (frees one license each); each success is recorded at once. */
export async function freeLicenses(
  ctx: Context,
  tenant: TenantRow,
  externalId: string,
  programIds: string[],
  coursera: () => Promise<CourseraClient>,
): Promise<FreedLicense[]> {
  const results: FreedLicense[] = [];
  for (const programId of programIds) {
    try {
      const { outcome } = await (await coursera()).removeMember(programId, externalId);
      removeMembership(ctx.state().db, tenant.id, programId, externalId);
      results.push({ programId, outcome });
    } catch (error) {
      results.push({ programId, outcome: "failed", error: (error as Error).message });
    }
  }
  return results;
}

export interface BindingChange {
  tenant: string;
  lms: string;
  lmsUser: string;
  /** The Coursera learner the LMS user was bound to before (null: none). */
  previous: string | null;
  /** The Coursera learner it is bound to now (null after unlink). */
  learner: string | null;
  changed: boolean;
  dryRun: boolean;
  /** Launches moved to the new learner (link) or forgotten (unlink). */
  launches: number;
  /** Programs whose license the previous learner holds. */
  previousLicenses: string[];
  freed: FreedLicense[];
}

function lmsUserOf(
  ctx: Context,
  sub: string,
): { tenant: TenantRow; user: LmsUserRow; kind: string; regId: number } {
  const { tenant, reg } = requireRegistration(ctx);
  const user = findLmsUser(ctx.state().db, reg.id, sub);
  if (!user)
    throw new NotFoundError(`no LMS user "${sub}" in tenant "${tenant.slug}" (${reg.kind} ${reg.issuer})`, {
      hint: "an LMS user is known once they launched a link or were read from the course roster; `gg4l learners show <learner> --offline` lists a learner's LMS users",
    });
  return { tenant, user, kind: reg.kind, regId: reg.id };
}

function learnerOf(ctx: Context, tenant: TenantRow, key: string): LearnerRow {
  const found = findLearners(ctx.state().db, tenant.id, key);
  if (found.length === 0)
    throw new NotFoundError(`no Coursera learner "${key}" in tenant "${tenant.slug}"`, {
      hint: "`gg4l programs pull` fetches the program members; `gg4l learners list` shows the known learners",
    });
  if (found.length > 1)
    throw new UsageError(
      `"${key}" matches ${found.length} learners: ${found.map((l) => l.externalId).join(", ")}`,
      {
        hint: "name the learner by external id",
      },
    );
  return found[0]!;
}

async function change(
  ctx: Context,
  sub: string,
  to: (tenant: TenantRow) => string | null,
  opts: { dryRun: boolean; freeLicense: boolean },
): Promise<BindingChange> {
  const { tenant, user, kind, regId } = lmsUserOf(ctx, sub);
  const learner = to(tenant);
  const previous = user.externalId;
  const changed = previous !== learner;
  const { db } = ctx.state();
  const previousLicenses =
    previous === null || !changed ? [] : learnerMemberships(db, tenant.id, previous).map((m) => m.programId);
  const result: BindingChange = {
    tenant: tenant.slug,
    lms: kind,
    lmsUser: sub,
    previous,
    learner,
    changed,
    dryRun: opts.dryRun,
    launches: changed && previous !== null ? launchesAs(db, tenant.id, sub, previous) : 0,
    previousLicenses,
    freed: [],
  };
  ctx.auditNote = `lms user ${sub}: ${previous ?? "(none)"} -> ${learner ?? "(none)"}`;
  if (opts.dryRun || !changed) return result;
  db.transaction(() =>
    rebindLmsUser(db, tenant.id, {
      registrationId: regId,
      sub,
      from: previous,
      to: learner,
      linkedBy: learner === null ? null : "manual",
    }),
  )();
  if (opts.freeLicense && previous !== null && previousLicenses.length > 0) {
    result.freed = await freeLicenses(ctx, tenant, previous, previousLicenses, () =>
      courseraFor(ctx, tenant),
    );
    ctx.auditNote += `; freed ${result.freed.map((f) => `${f.programId}:${f.outcome}`).join(", ")}`;
  }
  return result;
}

export function linkLearner(
  ctx: Context,
  sub: string,
  learnerKey: string,
  opts: { dryRun: boolean; freeLicense: boolean },
): Promise<BindingChange> {
  return change(ctx, sub, (tenant) => learnerOf(ctx, tenant, learnerKey).externalId, opts);
}

export function unlinkLearner(
  ctx: Context,
  sub: string,
  opts: { dryRun: boolean; freeLicense: boolean },
): Promise<BindingChange> {
  return change(ctx, sub, () => null, opts);
}
