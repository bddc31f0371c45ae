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
 * Replace the tenant's Coursera grades with a new pull, atomically, without holding the
 * write lock while pages arrive: they are staged in a temporary table of this connection
 * (no lock on the state), then swapped in by one short write transaction once the last page
 * has arrived. A failed pull leaves the previous grades in place; launches and other commands
 * write freely during the pull.
 */
export async function replaceGrades(
  db: Db,
  tenantId: number,
  pages: AsyncIterable<PulledGrade[]>,
): Promise<number> {
  db.exec(`DROP TABLE IF EXISTS temp.pulled_grades;
    CREATE TEMP TABLE pulled_grades (
      external_id TEXT NOT NULL, course_id TEXT NOT NULL, item_id TEXT NOT NULL, program_id TEXT NOT NULL,
      grade REAL, passed INTEGER NOT NULL, completed INTEGER NOT NULL, completed_at INTEGER,
      PRIMARY KEY (course_id, item_id, external_id)
    ) WITHOUT ROWID`);
  try {
    const stage = db.prepare(
      `INSERT INTO temp.pulled_grades (external_id, course_id, item_id, program_id, grade, passed, completed, completed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    // Deferred: these transactions touch only the temporary table, never the state's lock.
    const stagePage = db.transaction((page: PulledGrade[]) => {
      for (const g of page)
        stage.run(
          g.externalId,
          g.courseId,
          g.itemId,
          g.programId,
          g.grade,
          g.passed ? 1 : 0,
          g.completed ? 1 : 0,
          g.completedAt,
        );
    }).deferred;
    for await (const page of pages) stagePage(page);
    return db
      .transaction(() => {
        db.prepare("DELETE FROM coursera_grades WHERE tenant_id = ?").run(tenantId);
        return db
          .prepare(
            `INSERT INTO coursera_grades (tenant_id, external_id, course_id, item_id, program_id, grade, passed, completed, completed_at)
           SELECT ?, external_id, course_id, item_id, program_id, grade, passed, completed, completed_at
           FROM temp.pulled_grades ORDER BY course_id, item_id, external_id`,
          )
          .run(tenantId).changes;
      })
      .immediate();
  } finally {
    db.exec("DROP TABLE IF EXISTS temp.pulled_grades");
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

/** Whether the state holds any Coursera grade of the tenant (a pull stored some). */
export function hasGrades(db: Db, tenantId: number): boolean {
  return (
    db.prepare("SELECT EXISTS (SELECT 1 FROM coursera_grades WHERE tenant_id = ?)").pluck().get(tenantId) ===
    1
  );
}
