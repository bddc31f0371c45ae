/** The read-only queries behind `gg4l doctor`. */
import type { Db } from "./db.js";

/** What `PRAGMA integrity_check` found, at most `limit` lines; empty when the file is sound. */
export function integrityProblems(db: Db, limit = 10): string[] {
  const rows = db
    .prepare(`PRAGMA integrity_check(${Math.max(1, Math.trunc(limit))})`)
    .pluck()
    .all() as string[];
  return rows.length === 1 && rows[0] === "ok" ? [] : rows;
}

export function schemaVersion(db: Db): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Links that get no grades because they belong to another grade-sync option (R1): marked stale
 * when the option changed, or published under another option. Grouped by the reason.
 */
export function staleLinkCounts(
  db: Db,
  registrationId: number,
  option: string,
): Array<{ reason: string; count: number }> {
  return db
    .prepare(
      `SELECT coalesce(stale_reason, 'published under grade-sync ' || grade_sync) AS reason, count(*) AS count
       FROM links WHERE registration_id = ? AND (stale_at IS NOT NULL OR grade_sync != ?)
       GROUP BY 1 ORDER BY count DESC, reason`,
    )
    .all(registrationId, option) as Array<{ reason: string; count: number }>;
}

/** Per active program: members (test learners aside) who never launched any link from the LMS (R4). */
export function membersNeverLaunched(
  db: Db,
  tenantId: number,
): Array<{ programId: string; name: string; count: number }> {
  return db
    .prepare(
      `SELECT p.program_id AS programId, p.name, count(*) AS count
       FROM memberships m
       JOIN programs p ON p.tenant_id = m.tenant_id AND p.program_id = m.program_id
       JOIN learners l ON l.tenant_id = m.tenant_id AND l.external_id = m.external_id
       WHERE m.tenant_id = ? AND p.active = 1 AND p.gone_at IS NULL AND l.is_test = 0
         AND NOT EXISTS (SELECT 1 FROM launches x WHERE x.tenant_id = m.tenant_id AND x.external_id = m.external_id)
       GROUP BY p.program_id, p.name ORDER BY count DESC, p.name`,
    )
    .all(tenantId) as Array<{ programId: string; name: string; count: number }>;
}

/**
 * Option B: courses of active programs that no connected, current course link points at, so
 * their item columns cannot be created. Courses known to have no gradable item are left out.
 */
export function coursesWithoutConnectedLink(
  db: Db,
  tenantId: number,
  registrationId: number,
): Array<{ courseId: string; name: string }> {
  return db
    .prepare(
      `SELECT DISTINCT c.course_id AS courseId, c.name
       FROM program_courses pc
       JOIN programs p ON p.tenant_id = pc.tenant_id AND p.program_id = pc.program_id
       JOIN courses c ON c.tenant_id = pc.tenant_id AND c.course_id = pc.course_id
       WHERE pc.tenant_id = @tenantId AND p.active = 1 AND p.gone_at IS NULL
         AND NOT (c.items_known = 1 AND NOT EXISTS (SELECT 1 FROM items i WHERE i.tenant_id = c.tenant_id
              AND i.course_id = c.course_id))
         AND NOT EXISTS (SELECT 1 FROM links l WHERE l.registration_id = @registrationId AND l.course_id = c.course_id
              AND l.item_id IS NULL AND l.lineitems_url IS NOT NULL AND l.stale_at IS NULL AND l.grade_sync = 'course')
       ORDER BY c.name, c.course_id`,
    )
    .all({ tenantId, registrationId }) as Array<{ courseId: string; name: string }>;
}

/** Unchanged scores posted again (incremental off, R7) by the tenant's last `runs` finished runs. */
export function recentResends(db: Db, tenantId: number, runs: number): { runs: number; resent: number } {
  return db
    .prepare(
      `WITH recent AS (SELECT id FROM sync_runs WHERE tenant_id = ? AND status != 'running' ORDER BY id DESC LIMIT ?)
       SELECT (SELECT count(*) FROM recent) AS runs,
         (SELECT coalesce(sum(json_extract(s.counts, '$.resent')), 0) FROM sync_runs s JOIN recent r ON r.id = s.id)
         -- runs before the score journal kept their posts as plan items
         + (SELECT count(*) FROM plan_items i JOIN recent r ON r.id = i.run_id
            WHERE i.action = 'post' AND i.kind = 'resend' AND i.status = 'done') AS resent`,
    )
    .get(tenantId, runs) as { runs: number; resent: number };
}
