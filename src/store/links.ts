import type { Db } from "./db.js";

/** Mark every live link of these registrations stale (R1: the grade-sync option changed). */
export function markLinksStale(db: Db, registrationIds: number[], reason: string, now: string): number {
  if (registrationIds.length === 0) return 0;
  const placeholders = registrationIds.map(() => "?").join(",");
  return db
    .prepare(
      `UPDATE links SET stale_at = ?, stale_reason = ? WHERE stale_at IS NULL AND registration_id IN (${placeholders})`,
    )
    .run(now, reason, ...registrationIds).changes;
}

export function countLinks(db: Db, registrationId: number): { total: number; stale: number } {
  return db
    .prepare(`SELECT count(*) AS total, count(stale_at) AS stale FROM links WHERE registration_id = ?`)
    .get(registrationId) as { total: number; stale: number };
}

export interface LinkRow {
  id: number;
  registrationId: number;
  contextId: string;
  resourceLinkId: string;
  targetKind: "course" | "item";
  targetId: string;
  gradeSync: string;
  programId: string | null;
  courseId: string | null;
  itemId: string | null;
  title: string | null;
  lineitemUrl: string | null;
  lineitemsUrl: string | null;
  nrpsUrl: string | null;
  createdAt: string;
  connectedAt: string | null;
  lastLaunchAt: string | null;
  staleAt: string | null;
  staleReason: string | null;
}

const linkColumns = `l.id, l.registration_id AS registrationId, l.context_id AS contextId,
  l.resource_link_id AS resourceLinkId, l.target_kind AS targetKind, l.target_id AS targetId,
  l.grade_sync AS gradeSync, l.program_id AS programId, l.course_id AS courseId, l.item_id AS itemId, l.title,
  l.lineitem_url AS lineitemUrl, l.lineitems_url AS lineitemsUrl, l.nrps_url AS nrpsUrl, l.created_at AS createdAt,
  l.connected_at AS connectedAt, l.last_launch_at AS lastLaunchAt, l.stale_at AS staleAt,
  l.stale_reason AS staleReason`;

export function findLink(db: Db, registrationId: number, resourceLinkId: string): LinkRow | undefined {
  return db
    .prepare(`SELECT ${linkColumns} FROM links l WHERE l.registration_id = ? AND l.resource_link_id = ?`)
    .get(registrationId, resourceLinkId) as LinkRow | undefined;
}

export interface NewLink {
  registrationId: number;
  contextId: string;
  resourceLinkId: string;
  programId: string;
  courseId: string;
  itemId: string | null;
  /** The grade-sync option the link was published under. */
  gradeSync: string;
  title: string | null;
  staleReason: string | null;
}

/** A link seen for the first time (its first launch); stale from the start when published under another option. */
export function insertLink(db: Db, link: NewLink, now: string): LinkRow {
  db.prepare(
    `INSERT INTO links (registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync,
       program_id, course_id, item_id, title, created_at, stale_at, stale_reason)
     VALUES (@registrationId, @contextId, @resourceLinkId, @targetKind, @targetId, @gradeSync,
       @programId, @courseId, @itemId, @title, @now, @staleAt, @staleReason)`,
  ).run({
    ...link,
    targetKind: link.itemId === null ? "course" : "item",
    targetId: link.itemId ?? link.courseId,
    now,
    staleAt: link.staleReason === null ? null : now,
  });
  return findLink(db, link.registrationId, link.resourceLinkId)!;
}

export interface ServiceUrls {
  lineitemUrl: string | null;
  lineitemsUrl: string | null;
  nrpsUrl: string | null;
}

/**
 * A launch of the link. With `connect` it stores the AGS/NRPS URLs the launch carried (a URL
 * the launch left out keeps its old value) and marks the link connected; without, only the
 * launch time changes.
 */
export function recordLinkLaunch(
  db: Db,
  id: number,
  launch: { title: string | null; connect: ServiceUrls | null },
  now: string,
): void {
  const urls = launch.connect;
  db.prepare(
    `UPDATE links SET last_launch_at = @now, title = coalesce(@title, title),
       lineitem_url = CASE WHEN @connect THEN coalesce(@lineitemUrl, lineitem_url) ELSE lineitem_url END,
       lineitems_url = CASE WHEN @connect THEN coalesce(@lineitemsUrl, lineitems_url) ELSE lineitems_url END,
       nrps_url = CASE WHEN @connect THEN coalesce(@nrpsUrl, nrps_url) ELSE nrps_url END,
       connected_at = CASE WHEN @connect THEN coalesce(connected_at, @now) ELSE connected_at END
     WHERE id = @id`,
  ).run({
    id,
    now,
    title: launch.title,
    connect: urls ? 1 : 0,
    lineitemUrl: urls?.lineitemUrl ?? null,
    lineitemsUrl: urls?.lineitemsUrl ?? null,
    nrpsUrl: urls?.nrpsUrl ?? null,
  });
}

/** The links a learner of the tenant has launched, most recently launched first. */
export function linksLaunchedBy(db: Db, tenantId: number, externalId: string): LinkRow[] {
  return db
    .prepare(
      `SELECT ${linkColumns} FROM links l JOIN lms_registrations r ON r.id = l.registration_id
       WHERE r.tenant_id = @tenantId AND EXISTS (SELECT 1 FROM launches x WHERE x.tenant_id = r.tenant_id
         AND x.external_id = @externalId AND x.resource_link_id = l.resource_link_id AND x.context_id = l.context_id)
       ORDER BY l.last_launch_at DESC, l.id`,
    )
    .all({ tenantId, externalId }) as LinkRow[];
}

/** A line-items container URL learned from a launch, for `gg4l lms check` when none is given. */
export function anyLineItemsUrl(db: Db, registrationId: number): string | undefined {
  const row = db
    .prepare(
      "SELECT lineitems_url AS url FROM links WHERE registration_id = ? AND lineitems_url IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .get(registrationId) as { url: string } | undefined;
  return row?.url;
}

/**
 * A roster (NRPS) URL learned from a launch: of the link whose line-items container is
 * `lineItemsUrl` when given, else the most recent one.
 */
export function anyNrpsUrl(db: Db, registrationId: number, lineItemsUrl?: string): string | undefined {
  const row = db
    .prepare(
      `SELECT nrps_url AS url FROM links WHERE registration_id = @registrationId AND nrps_url IS NOT NULL
       ORDER BY (lineitems_url IS @lineItemsUrl) DESC, id DESC LIMIT 1`,
    )
    .get({ registrationId, lineItemsUrl: lineItemsUrl ?? null }) as { url: string } | undefined;
  return row?.url;
}
