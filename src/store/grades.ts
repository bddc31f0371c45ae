import type { Db } from "./db.js";

export interface PulledGrade {
  externalId: string;
  courseId: string;
  /** "" for the course-level (final) grade. */
  itemId: string;
  programId: string;
  grade: number | null;
  passed: boolean;
  completed: boolean;
  completedAt: number | null;
}

/**
 * Replace the tenant's Coursera grades with a new pull, atomically: the pages are written
 * inside one transaction that commits only when the last page has arrived, so a failed pull
 * leaves the previous grades in place.
 */
export async function replaceGrades(
  db: Db,
  tenantId: number,
  pages: AsyncIterable<PulledGrade[]>,
): Promise<number> {
  const insert = db.prepare(
    `INSERT INTO coursera_grades (tenant_id, external_id, course_id, item_id, program_id, grade, passed, completed, completed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  db.exec("BEGIN IMMEDIATE");
  try {
    db.prepare("DELETE FROM coursera_grades WHERE tenant_id = ?").run(tenantId);
    let count = 0;
    for await (const page of pages) {
      for (const g of page) {
        count += insert.run(
          tenantId,
          g.externalId,
          g.courseId,
          g.itemId,
          g.programId,
          g.grade,
          g.passed ? 1 : 0,
          g.completed ? 1 : 0,
          g.completedAt,
        ).changes;
      }
    }
    db.exec("COMMIT");
    return count;
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

export interface StoredGrade {
  courseId: string;
  itemId: string;
  grade: number | null;
  completed: boolean;
}

export function learnerGrades(db: Db, tenantId: number, externalId: string): StoredGrade[] {
  const rows = db
    .prepare(
      `SELECT course_id AS courseId, item_id AS itemId, grade, completed FROM coursera_grades
       WHERE tenant_id = ? AND external_id = ? ORDER BY course_id, item_id`,
    )
    .all(tenantId, externalId) as Array<Omit<StoredGrade, "completed"> & { completed: number }>;
  return rows.map((r) => ({ ...r, completed: r.completed === 1 }));
}
