import type { Db } from "./db.js";
import { stmt } from "./statements.js";

export interface CourseRow {
  courseId: string;
  name: string;
  slug: string | null;
  url: string | null;
  courseType: string | null;
  itemsKnown: boolean;
  refreshedAt: string;
  programIds: string[];
  itemCount: number;
}

export interface ItemRow {
  courseId: string;
  itemId: string;
  name: string;
  itemType: string | null;
  itemOrder: number | null;
  weight: number | null;
}

export interface PulledCourse {
  courseId: string;
  name: string;
  slug: string | null;
  url: string | null;
  courseType: string | null;
  programIds: string[];
  /** null: not known (nobody has a gradebook row yet); the items stored before are kept. */
  items: Array<Omit<ItemRow, "courseId">> | null;
}

export function listCourses(db: Db, tenantId: number, programId?: string): CourseRow[] {
  const rows = db
    .prepare(
      `SELECT c.course_id AS courseId, c.name, c.slug, c.url, c.course_type AS courseType, c.items_known AS itemsKnown,
         c.refreshed_at AS refreshedAt,
         (SELECT group_concat(pc.program_id, ',') FROM program_courses pc
            WHERE pc.tenant_id = c.tenant_id AND pc.course_id = c.course_id) AS programIds,
         (SELECT count(*) FROM items i WHERE i.tenant_id = c.tenant_id AND i.course_id = c.course_id) AS itemCount
       FROM courses c
       WHERE c.tenant_id = @tenantId AND (@programId IS NULL OR EXISTS (SELECT 1 FROM program_courses pc
         WHERE pc.tenant_id = c.tenant_id AND pc.course_id = c.course_id AND pc.program_id = @programId))
       ORDER BY c.name, c.course_id`,
    )
    .all({ tenantId, programId: programId ?? null }) as Array<
    Omit<CourseRow, "itemsKnown" | "programIds"> & { itemsKnown: number; programIds: string | null }
  >;
  return rows.map((r) => ({
    ...r,
    itemsKnown: r.itemsKnown === 1,
    programIds: r.programIds ? r.programIds.split(",").sort() : [],
  }));
}

export function listItems(db: Db, tenantId: number, courseId: string): ItemRow[] {
  return db
    .prepare(
      `SELECT course_id AS courseId, item_id AS itemId, name, item_type AS itemType, item_order AS itemOrder, weight
       FROM items WHERE tenant_id = ? AND course_id = ? ORDER BY item_order, item_id`,
    )
    .all(tenantId, courseId) as ItemRow[];
}

export interface CourseChange {
  programId: string;
  courseId: string;
  name: string;
}

export interface CourseRefreshOutcome {
  added: CourseChange[];
  removed: CourseChange[];
  renamed: Array<{ courseId: string; from: string; to: string }>;
  itemsAdded: Array<{ courseId: string; itemId: string; name: string }>;
  itemsRemoved: Array<{ courseId: string; itemId: string; name: string }>;
}

/**
 * Replace the course lists of `programIds` with what Coursera returned, in one
 * transaction by the caller, and say what changed.
 */
export function saveRefreshedCourses(
  db: Db,
  tenantId: number,
  programIds: string[],
  pulled: PulledCourse[],
  now: string,
): CourseRefreshOutcome {
  const outcome: CourseRefreshOutcome = {
    added: [],
    removed: [],
    renamed: [],
    itemsAdded: [],
    itemsRemoved: [],
  };
  const courseNames = new Map(
    (
      db.prepare("SELECT course_id AS id, name FROM courses WHERE tenant_id = ?").all(tenantId) as Array<{
        id: string;
        name: string;
      }>
    ).map((c) => [c.id, c.name]),
  );
  const linksBefore = new Set(
    (
      db
        .prepare(
          `SELECT program_id || char(31) || course_id AS k FROM program_courses WHERE tenant_id = ?
           AND program_id IN (SELECT value FROM json_each(?))`,
        )
        .all(tenantId, JSON.stringify(programIds)) as Array<{ k: string }>
    ).map((r) => r.k),
  );
  const upsertCourse = db.prepare(
    `INSERT INTO courses (tenant_id, course_id, name, slug, url, course_type, items_known, refreshed_at)
     VALUES (@tenantId, @courseId, @name, @slug, @url, @courseType, @itemsKnown, @now)
     ON CONFLICT(tenant_id, course_id) DO UPDATE SET name = excluded.name, slug = excluded.slug, url = excluded.url,
       course_type = excluded.course_type, items_known = max(courses.items_known, excluded.items_known),
       refreshed_at = excluded.refreshed_at`,
  );
  const link = db.prepare(
    "INSERT OR IGNORE INTO program_courses (tenant_id, program_id, course_id, added_at) VALUES (?, ?, ?, ?)",
  );
  const oldItems = db.prepare(
    "SELECT item_id AS itemId, name FROM items WHERE tenant_id = ? AND course_id = ?",
  );
  const deleteItem = db.prepare("DELETE FROM items WHERE tenant_id = ? AND course_id = ? AND item_id = ?");
  const upsertItem = db.prepare(
    `INSERT INTO items (tenant_id, course_id, item_id, name, item_type, item_order, weight)
     VALUES (@tenantId, @courseId, @itemId, @name, @itemType, @itemOrder, @weight)
     ON CONFLICT(tenant_id, course_id, item_id) DO UPDATE SET name = excluded.name, item_type = excluded.item_type,
       item_order = excluded.item_order, weight = excluded.weight`,
  );
  const wanted = new Set(programIds);
  for (const course of pulled) {
    const before = courseNames.get(course.courseId);
    if (before !== undefined && before !== course.name) {
      outcome.renamed.push({ courseId: course.courseId, from: before, to: course.name });
    }
    upsertCourse.run({ tenantId, ...course, itemsKnown: course.items ? 1 : 0, now });
    for (const programId of course.programIds) {
      if (!wanted.has(programId)) continue;
      const key = `${programId}\u001f${course.courseId}`;
      if (linksBefore.has(key)) linksBefore.delete(key);
      else {
        link.run(tenantId, programId, course.courseId, now);
        outcome.added.push({ programId, courseId: course.courseId, name: course.name });
      }
    }
    if (course.items) {
      const previous = new Map(
        (oldItems.all(tenantId, course.courseId) as Array<{ itemId: string; name: string }>).map((i) => [
          i.itemId,
          i.name,
        ]),
      );
      for (const item of course.items) {
        if (!previous.delete(item.itemId))
          outcome.itemsAdded.push({ courseId: course.courseId, itemId: item.itemId, name: item.name });
        upsertItem.run({ tenantId, courseId: course.courseId, ...item });
      }
      for (const [itemId, name] of previous) {
        deleteItem.run(tenantId, course.courseId, itemId);
        outcome.itemsRemoved.push({ courseId: course.courseId, itemId, name });
      }
    }
  }
  const unlink = db.prepare(
    "DELETE FROM program_courses WHERE tenant_id = ? AND program_id = ? AND course_id = ?",
  );
  for (const key of linksBefore) {
    const [programId, courseId] = key.split("\u001f") as [string, string];
    unlink.run(tenantId, programId, courseId);
    outcome.removed.push({ programId, courseId, name: courseNames.get(courseId) ?? courseId });
  }
  return outcome;
}

export function courseNames(
  db: Db,
  tenantId: number,
): Array<{ id: string; name: string; slug: string | null }> {
  return db
    .prepare("SELECT course_id AS id, name, slug FROM courses WHERE tenant_id = ? ORDER BY name")
    .all(tenantId) as Array<{ id: string; name: string; slug: string | null }>;
}

/** The names of the tenant's gradable items, by course id and item id. */
export function itemNames(
  db: Db,
  tenantId: number,
): Array<{ courseId: string; itemId: string; name: string }> {
  return db
    .prepare("SELECT course_id AS courseId, item_id AS itemId, name FROM items WHERE tenant_id = ?")
    .all(tenantId) as Array<{ courseId: string; itemId: string; name: string }>;
}

/** One course's name, as pulled from Coursera. */
export function courseName(db: Db, tenantId: number, courseId: string): string | undefined {
  return stmt(db, "SELECT name FROM courses WHERE tenant_id = ? AND course_id = ?")
    .pluck()
    .get(tenantId, courseId) as string | undefined;
}
