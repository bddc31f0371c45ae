/** Launches refused before any binding or license (R11 no e-mail, R5 test learners), for doctor. */
import type { Db } from "./db.js";

export type RefusalReason = "no-email" | "test-learner";

export function recordRefusal(
  db: Db,
  refusal: {
    registrationId: number;
    reason: RefusalReason;
    sub: string;
    externalId: string | null;
    contextId: string;
    resourceLinkId: string;
  },
  now: string,
): void {
  db.prepare(
    `INSERT INTO launch_refusals (registration_id, reason, sub, external_id, context_id, resource_link_id, refused_at)
     VALUES (@registrationId, @reason, @sub, @externalId, @contextId, @resourceLinkId, @now)`,
  ).run({ ...refusal, now });
}

export interface RefusalCount {
  kind: string;
  issuer: string;
  launches: number;
  users: number;
  last: string;
}

/** Per LMS registration of the tenant: refused launches of this reason, the LMS users behind them, the latest. */
export function refusalCounts(db: Db, tenantId: number, reason: RefusalReason): RefusalCount[] {
  return db
    .prepare(
      `SELECT r.kind, r.issuer, count(*) AS launches, count(DISTINCT f.sub) AS users, max(f.refused_at) AS last
       FROM launch_refusals f JOIN lms_registrations r ON r.id = f.registration_id
       WHERE r.tenant_id = ? AND f.reason = ? GROUP BY r.id ORDER BY r.issuer`,
    )
    .all(tenantId, reason) as RefusalCount[];
}
