/** Launches from the LMS (R4), and the Coursera learner a launch makes known. */
import type { Db } from "./db.js";

export interface NewLaunch {
  tenantId: number;
  externalId: string;
  lmsSub: string;
  contextId: string;
  resourceLinkId: string;
  programId: string | null;
  courseId: string | null;
  itemId: string | null;
  launchedAt: string;
}

export function recordLaunch(db: Db, launch: NewLaunch): number {
  const info = db
    .prepare(
      `INSERT INTO launches (tenant_id, external_id, lms_sub, context_id, resource_link_id, program_id, course_id,
         item_id, launched_at)
       VALUES (@tenantId, @externalId, @lmsSub, @contextId, @resourceLinkId, @programId, @courseId, @itemId, @launchedAt)`,
    )
    .run(launch);
  return Number(info.lastInsertRowid);
}

/** The learner a launch links, known even when they hold no license yet (a full program). */
export function ensureLearner(
  db: Db,
  tenantId: number,
  learner: { externalId: string; email: string | null; fullName: string | null },
  now: string,
): void {
  db.prepare(
    `INSERT INTO learners (tenant_id, external_id, email, full_name, first_seen_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(tenant_id, external_id) DO UPDATE SET email = coalesce(excluded.email, learners.email),
       full_name = coalesce(excluded.full_name, learners.full_name)`,
  ).run(tenantId, learner.externalId, learner.email, learner.fullName, now);
}
