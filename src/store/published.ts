/** Published links as support sees them (`gg4l links`, `learners show`): names, launches, columns, acknowledged scores. */
import type { Db } from "./db.js";
import type { LinkRow } from "./links.js";

export interface PublishedLinkRow extends LinkRow {
  lmsKind: string;
  currentOption: string;
  programName: string | null;
  courseName: string | null;
  itemName: string | null;
  firstLaunchAt: string | null;
  launches: number;
  learners: number;
}

export interface LinkFilter {
  programId?: string;
  courseId?: string;
  contextId?: string;
}

const published = `SELECT l.id, l.registration_id AS registrationId, l.context_id AS contextId,
    l.resource_link_id AS resourceLinkId, l.target_kind AS targetKind, l.target_id AS targetId,
    l.grade_sync AS gradeSync, l.program_id AS programId, l.course_id AS courseId, l.item_id AS itemId, l.title,
    l.lineitem_url AS lineitemUrl, l.lineitems_url AS lineitemsUrl, l.nrps_url AS nrpsUrl, l.created_at AS createdAt,
    l.connected_at AS connectedAt, l.last_launch_at AS lastLaunchAt, l.stale_at AS staleAt,
    l.stale_reason AS staleReason, r.kind AS lmsKind, r.grade_sync AS currentOption,
    p.name AS programName, c.name AS courseName, i.name AS itemName,
    (SELECT min(x.launched_at) FROM launches x WHERE x.tenant_id = r.tenant_id AND x.resource_link_id = l.resource_link_id
       AND x.context_id = l.context_id) AS firstLaunchAt,
    (SELECT count(*) FROM launches x WHERE x.tenant_id = r.tenant_id AND x.resource_link_id = l.resource_link_id
       AND x.context_id = l.context_id) AS launches,
    (SELECT count(DISTINCT x.external_id) FROM launches x WHERE x.tenant_id = r.tenant_id
       AND x.resource_link_id = l.resource_link_id AND x.context_id = l.context_id) AS learners
  FROM links l JOIN lms_registrations r ON r.id = l.registration_id
  LEFT JOIN programs p ON p.tenant_id = r.tenant_id AND p.program_id = l.program_id
  LEFT JOIN courses c ON c.tenant_id = r.tenant_id AND c.course_id = l.course_id
  LEFT JOIN items i ON i.tenant_id = r.tenant_id AND i.course_id = l.course_id AND i.item_id = l.item_id`;

export function listPublishedLinks(db: Db, tenantId: number, filter: LinkFilter = {}): PublishedLinkRow[] {
  return db
    .prepare(
      `${published} WHERE r.tenant_id = @tenantId
         AND (@programId IS NULL OR l.program_id = @programId)
         AND (@courseId IS NULL OR l.course_id = @courseId)
         AND (@contextId IS NULL OR l.context_id = @contextId)
       ORDER BY l.context_id, p.name, c.name, l.item_id, l.id`,
    )
    .all({
      tenantId,
      programId: filter.programId ?? null,
      courseId: filter.courseId ?? null,
      contextId: filter.contextId ?? null,
    }) as PublishedLinkRow[];
}

/** A link by gg4l's id or by the LMS's resource link id. */
export function findPublishedLinks(db: Db, tenantId: number, key: string): PublishedLinkRow[] {
  return db
    .prepare(
      `${published} WHERE r.tenant_id = @tenantId AND (l.resource_link_id = @key OR CAST(l.id AS TEXT) = @key)
       ORDER BY l.resource_link_id = @key DESC, l.id`,
    )
    .all({ tenantId, key }) as PublishedLinkRow[];
}

export interface LinkColumnRow {
  url: string;
  itemId: string;
  itemName: string | null;
  label: string | null;
  /** created: gg4l's sync created it; lms: the LMS made it when the link was published (deep linking). */
  createdBy: "lms" | "gg4l";
  acknowledged: number;
}

/**
 * The link's columns: the line item the LMS created with it, and those the sync found or created
 * for its LMS context and course (and item) — shared by every link to the same target there.
 */
export function linkColumns(db: Db, tenantId: number, link: LinkRow): LinkColumnRow[] {
  const acked = db.prepare(
    "SELECT count(*) FROM score_ledger WHERE column_url = ? AND tenant_id = ? AND outcome = 'accepted'",
  );
  const rows = db
    .prepare(
      `SELECT li.url, li.item_id AS itemId, min(i.name) AS itemName, min(li.label) AS label,
         CASE WHEN max(li.created) = 1 THEN 'gg4l' ELSE 'lms' END AS createdBy
       FROM links l2 JOIN line_items li ON li.link_id = l2.id
       LEFT JOIN items i ON i.tenant_id = @tenantId AND i.course_id = l2.course_id AND i.item_id = li.item_id
       WHERE l2.registration_id = @registrationId AND l2.context_id = @contextId AND l2.course_id = @courseId
         AND (@itemId IS NULL OR li.item_id = @itemId)
       GROUP BY li.url ORDER BY li.item_id, min(li.found_at)`,
    )
    .all({
      tenantId,
      registrationId: link.registrationId,
      contextId: link.contextId,
      courseId: link.courseId,
      itemId: link.itemId,
    }) as Array<Omit<LinkColumnRow, "acknowledged">>;
  if (link.lineitemUrl && !rows.some((r) => r.url === link.lineitemUrl))
    rows.unshift({
      url: link.lineitemUrl,
      itemId: link.itemId ?? "",
      itemName: null,
      label: link.title,
      createdBy: "lms",
    });
  return rows.map((r) => ({ ...r, acknowledged: acked.pluck().get(r.url, tenantId) as number }));
}

/** The last score the LMS acknowledged in this column for any of these LMS users. */
export function lastAcknowledged(
  db: Db,
  columnUrl: string,
  lmsUserIds: string[],
): { scoreGiven: number | null; ackedAt: string } | null {
  if (lmsUserIds.length === 0) return null;
  return (
    (db
      .prepare(
        `SELECT score_given AS scoreGiven, acked_at AS ackedAt FROM score_ledger WHERE column_url = ? AND outcome = 'accepted'
         AND lms_user_id IN (${lmsUserIds.map(() => "?").join(",")}) ORDER BY acked_at DESC LIMIT 1`,
      )
      .get(columnUrl, ...lmsUserIds) as { scoreGiven: number | null; ackedAt: string } | undefined) ?? null
  );
}

/** The published links of these programs' courses. */
export function linksOfPrograms(db: Db, tenantId: number, programIds: string[]): PublishedLinkRow[] {
  if (programIds.length === 0) return [];
  return db
    .prepare(
      `${published} WHERE r.tenant_id = ? AND l.program_id IN (${programIds.map(() => "?").join(",")})
       ORDER BY p.name, c.name, l.item_id, l.id`,
    )
    .all(tenantId, ...programIds) as PublishedLinkRow[];
}

/** Did the learner launch this link? */
export function launchedLink(db: Db, tenantId: number, externalId: string, link: LinkRow): boolean {
  return (
    db
      .prepare(
        "SELECT 1 FROM launches WHERE tenant_id = ? AND external_id = ? AND resource_link_id = ? AND context_id = ? LIMIT 1",
      )
      .get(tenantId, externalId, link.resourceLinkId, link.contextId) !== undefined
  );
}

/** The LMS user ids (subs) bound to the learner in this registration. */
export function subsOf(db: Db, registrationId: number, externalId: string): string[] {
  return db
    .prepare(
      "SELECT sub FROM lms_users WHERE registration_id = ? AND external_id = ? ORDER BY source = 'launch' DESC",
    )
    .pluck()
    .all(registrationId, externalId) as string[];
}
