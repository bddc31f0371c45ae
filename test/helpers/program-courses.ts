import type Database from "better-sqlite3";

export interface Course {
  id: string;
  name: string;
  items: Array<{ id: string; name: string }>;
}

/** A program's courses in the state, by name, each with its gradable items in their order. */
export function programCourses(db: Database.Database, programId: string): Course[] {
  const courses = db
    .prepare(
      "SELECT c.course_id AS id, c.name FROM courses c JOIN program_courses pc ON pc.course_id = c.course_id WHERE pc.program_id = ? ORDER BY c.name",
    )
    .all(programId) as Array<{ id: string; name: string }>;
  const items = db.prepare(
    "SELECT item_id AS id, name FROM items WHERE course_id = ? ORDER BY item_order, item_id",
  );
  return courses.map((c) => ({ ...c, items: items.all(c.id) as Course["items"] }));
}
