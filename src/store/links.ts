import type { Db } from "./db.js";

const inList = (ids: number[]) => ids.map(() => "?").join(",");

/** R1: the option changed to `option`; the current links published under another one become stale. */
export function markLinksStale(
  db: Db,
  registrationIds: number[],
  option: string,
  reason: string,
  now: string,
): number {
  if (registrationIds.length === 0) return 0;
  return db
    .prepare(
      `UPDATE links SET stale_at = ?, stale_reason = ? WHERE stale_at IS NULL AND grade_sync != ?
       AND registration_id IN (${inList(registrationIds)})`,
    )
    .run(now, reason, option, ...registrationIds).changes;
}

/** R1: links published under `option` are current again once the LMS uses it. */
export function restoreLinks(db: Db, registrationIds: number[], option: string): number {
  if (registrationIds.length === 0) return 0;
  return db
    .prepare(
      `UPDATE links SET stale_at = NULL, stale_reason = NULL WHERE stale_at IS NOT NULL AND grade_sync = ?
       AND registration_id IN (${inList(registrationIds)})`,
    )
    .run(option, ...registrationIds).changes;
}

/** What switching to `option` would do: links it makes stale and links it brings back. */
export function linkStalenessEffect(
  db: Db,
  registrationIds: number[],
  option: string,
): { stale: number; restored: number } {
  if (registrationIds.length === 0) return { stale: 0, restored: 0 };
  return db
    .prepare(
      `SELECT coalesce(sum(stale_at IS NULL AND grade_sync != ?), 0) AS stale,
         coalesce(sum(stale_at IS NOT NULL AND grade_sync = ?), 0) AS restored
       FROM links WHERE registration_id IN (${inList(registrationIds)})`,
    )
    .get(option, option, ...registrationIds) as { stale: number; restored: number };
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
 * launch time changes. `stale` is why it is stale now (R1), or null: it is current again.
 */
export function recordLinkLaunch(
  db: Db,
  id: number,
  launch: { title: string | null; stale: string | null; connect: ServiceUrls | null },
  now: string,
): void {
  const urls = launch.connect;
  db.prepare(
    `UPDATE links SET last_launch_at = @now, title = coalesce(@title, title),
       stale_at = CASE WHEN @stale IS NULL THEN NULL ELSE coalesce(stale_at, @now) END,
       stale_reason = @stale,
       lineitem_url = CASE WHEN @connect THEN coalesce(@lineitemUrl, lineitem_url) ELSE lineitem_url END,
       lineitems_url = CASE WHEN @connect THEN coalesce(@lineitemsUrl, lineitems_url) ELSE lineitems_url END,
       nrps_url = CASE WHEN @connect THEN coalesce(@nrpsUrl, nrps_url) ELSE nrps_url END,
       connected_at = CASE WHEN @connect THEN coalesce(connected_at, @now) ELSE connected_at END
     WHERE id = @id`,
  ).run({
    id,
    now,
    title: launch.title,
    stale: launch.stale,
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
