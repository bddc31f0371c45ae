/** LMS users (issuer + `sub`) and the Coursera learner (externalId) each is linked to. */
import type { Db } from "./db.js";

export interface LmsUserRow {
  registrationId: number;
  sub: string;
  externalId: string | null;
  email: string | null;
  name: string | null;
  source: "launch" | "nrps";
  firstSeenAt: string;
  lastLaunchAt: string | null;
}

const columns = `u.registration_id AS registrationId, u.sub, u.external_id AS externalId, u.email, u.name,
  u.source, u.first_seen_at AS firstSeenAt, u.last_launch_at AS lastLaunchAt`;

export function findLmsUser(db: Db, registrationId: number, sub: string): LmsUserRow | undefined {
  return db
    .prepare(`SELECT ${columns} FROM lms_users u WHERE u.registration_id = ? AND u.sub = ?`)
    .get(registrationId, sub) as LmsUserRow | undefined;
}

/**
 * Records a launch by this LMS user. A link to a Coursera learner, once made, is kept: a
 * changed e-mail in the LMS does not move the user to another Coursera account.
 */
export function saveLaunchedUser(
  db: Db,
  user: {
    registrationId: number;
    sub: string;
    externalId: string;
    email: string | null;
    name: string | null;
  },
  now: string,
): void {
  db.prepare(
    `INSERT INTO lms_users (registration_id, sub, external_id, email, name, source, first_seen_at, last_launch_at)
     VALUES (@registrationId, @sub, @externalId, @email, @name, 'launch', @now, @now)
     ON CONFLICT(registration_id, sub) DO UPDATE SET
       external_id = coalesce(lms_users.external_id, excluded.external_id),
       email = coalesce(excluded.email, lms_users.email),
       name = coalesce(excluded.name, lms_users.name),
       source = 'launch',
       last_launch_at = excluded.last_launch_at`,
  ).run({ ...user, now });
}

export interface LmsIdentity {
  issuer: string;
  clientId: string;
  lmsKind: string;
  sub: string;
  email: string | null;
  name: string | null;
  source: "launch" | "nrps";
  firstSeenAt: string;
  lastLaunchAt: string | null;
}

/** The LMS users linked to a Coursera learner of the tenant. */
export function lmsUsersOfLearner(db: Db, tenantId: number, externalId: string): LmsIdentity[] {
  return db
    .prepare(
      `SELECT r.issuer, r.client_id AS clientId, r.kind AS lmsKind, u.sub, u.email, u.name, u.source,
         u.first_seen_at AS firstSeenAt, u.last_launch_at AS lastLaunchAt
       FROM lms_users u JOIN lms_registrations r ON r.id = u.registration_id
       WHERE r.tenant_id = ? AND u.external_id = ? ORDER BY r.issuer, u.sub`,
    )
    .all(tenantId, externalId) as LmsIdentity[];
}
