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
