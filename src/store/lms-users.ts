/** LMS users (issuer + `sub`) and the Coursera learner (externalId) each is linked to. */
import type { Db } from "./db.js";

export interface LmsUserRow {
  registrationId: number;
  sub: string;
  externalId: string | null;
  email: string | null;
  name: string | null;
  source: "launch" | "nrps";
  linkedBy: LinkedBy | null;
  firstSeenAt: string;
  lastLaunchAt: string | null;
}

/**
 * How an LMS user was bound to its Coursera learner (R11): by the e-mail a launch carried, by
 * the NRPS roster's e-mail, by hand (`gg4l learners link`), or — before gg4l knew better — by
 * the LMS user id alone, the weaker binding a launch with the e-mail replaces.
 */
export type LinkedBy = "email" | "roster" | "manual" | "lms-user-id";

const columns = `u.registration_id AS registrationId, u.sub, u.external_id AS externalId, u.email, u.name,
  u.source, u.linked_by AS linkedBy, u.first_seen_at AS firstSeenAt, u.last_launch_at AS lastLaunchAt`;

export function findLmsUser(db: Db, registrationId: number, sub: string): LmsUserRow | undefined {
  return db
    .prepare(`SELECT ${columns} FROM lms_users u WHERE u.registration_id = ? AND u.sub = ?`)
    .get(registrationId, sub) as LmsUserRow | undefined;
}

/**
 * Records a launch by this LMS user. A link to a Coursera learner, once made, is kept: a
 * changed e-mail in the LMS does not move the user to another Coursera account. Only
 * `rebind` (a weaker binding giving way, R11) replaces it.
 */
export function saveLaunchedUser(
  db: Db,
  user: {
    registrationId: number;
    sub: string;
    externalId: string;
    email: string | null;
    name: string | null;
    linkedBy: LinkedBy;
    rebind?: boolean;
  },
  now: string,
): void {
  db.prepare(
    `INSERT INTO lms_users (registration_id, sub, external_id, email, name, source, linked_by, first_seen_at,
       last_launch_at)
     VALUES (@registrationId, @sub, @externalId, @email, @name, 'launch', @linkedBy, @now, @now)
     ON CONFLICT(registration_id, sub) DO UPDATE SET
       external_id = CASE WHEN @rebind THEN excluded.external_id ELSE coalesce(lms_users.external_id, excluded.external_id) END,
       linked_by = CASE WHEN @rebind OR lms_users.external_id IS NULL THEN excluded.linked_by ELSE lms_users.linked_by END,
       email = coalesce(excluded.email, lms_users.email),
       name = coalesce(excluded.name, lms_users.name),
       source = 'launch',
       last_launch_at = excluded.last_launch_at`,
  ).run({ ...user, rebind: user.rebind ? 1 : 0, now });
}

/**
 * Bind the LMS user to another Coursera learner (or to none), and move the launches it made as
 * the old learner to the new one (or forget them on unbinding): the planner finds a learner's
 * LMS user through their launches. Returns the launches moved or forgotten.
 */
export function rebindLmsUser(
  db: Db,
  tenantId: number,
  user: {
    registrationId: number;
    sub: string;
    from: string | null;
    to: string | null;
    linkedBy: LinkedBy | null;
  },
): number {
  db.prepare("UPDATE lms_users SET external_id = ?, linked_by = ? WHERE registration_id = ? AND sub = ?").run(
    user.to,
    user.linkedBy,
    user.registrationId,
    user.sub,
  );
  if (user.from === null || user.from === user.to) return 0;
  if (user.to === null)
    return db
      .prepare("DELETE FROM launches WHERE tenant_id = ? AND lms_sub = ? AND external_id = ?")
      .run(tenantId, user.sub, user.from).changes;
  return db
    .prepare("UPDATE launches SET external_id = ? WHERE tenant_id = ? AND lms_sub = ? AND external_id = ?")
    .run(user.to, tenantId, user.sub, user.from).changes;
}

/** The launches the LMS user made as this Coursera learner. */
export function launchesAs(db: Db, tenantId: number, sub: string, externalId: string): number {
  return db
    .prepare("SELECT count(*) FROM launches WHERE tenant_id = ? AND lms_sub = ? AND external_id = ?")
    .pluck()
    .get(tenantId, sub, externalId) as number;
}

export interface LmsIdentity {
  issuer: string;
  clientId: string;
  lmsKind: string;
  sub: string;
  email: string | null;
  name: string | null;
  source: "launch" | "nrps";
  linkedBy: LinkedBy | null;
  firstSeenAt: string;
  lastLaunchAt: string | null;
}

/** The LMS users linked to a Coursera learner of the tenant. */
export function lmsUsersOfLearner(db: Db, tenantId: number, externalId: string): LmsIdentity[] {
  return db
    .prepare(
      `SELECT r.issuer, r.client_id AS clientId, r.kind AS lmsKind, u.sub, u.email, u.name, u.source,
         u.linked_by AS linkedBy, u.first_seen_at AS firstSeenAt, u.last_launch_at AS lastLaunchAt
       FROM lms_users u JOIN lms_registrations r ON r.id = u.registration_id
       WHERE r.tenant_id = ? AND u.external_id = ? ORDER BY r.issuer, u.sub`,
    )
    .all(tenantId, externalId) as LmsIdentity[];
}
