/**
 * Google Classroom state: the settings of a google-classroom registration, the course work gg4l
 * published (as connected links, and line items under Option B), and the Classroom rosters with
 * each student's match to a Coursera learner (also recorded as LMS users, source 'nrps').
 */
import type { Db } from "./db.js";

export interface ClassroomSettingsRow {
  registrationId: number;
  apiUrl: string;
  serviceAccount: string;
  projectId: string;
  keyId: string;
  defaultTeacher: string | null;
  /** The teacher to impersonate per Classroom course, when not the default. */
  teachers: Array<{ courseId: string; teacher: string }>;
  updatedAt: string;
}

export function saveClassroomSettings(
  db: Db,
  settings: Omit<ClassroomSettingsRow, "updatedAt">,
  now: string,
): void {
  db.transaction(() => {
    db.prepare(
      `INSERT INTO classroom_settings (registration_id, api_url, service_account, project_id, key_id, default_teacher, updated_at)
       VALUES (@registrationId, @apiUrl, @serviceAccount, @projectId, @keyId, @defaultTeacher, @now)
       ON CONFLICT(registration_id) DO UPDATE SET api_url = excluded.api_url, service_account = excluded.service_account,
         project_id = excluded.project_id, key_id = excluded.key_id, default_teacher = excluded.default_teacher,
         updated_at = excluded.updated_at`,
    ).run({ ...settings, now });
    db.prepare("DELETE FROM classroom_teachers WHERE registration_id = ?").run(settings.registrationId);
    const insert = db.prepare(
      "INSERT INTO classroom_teachers (registration_id, classroom_course_id, teacher) VALUES (?, ?, ?)",
    );
    for (const t of settings.teachers) insert.run(settings.registrationId, t.courseId, t.teacher);
  })();
}

export function findClassroomSettings(db: Db, registrationId: number): ClassroomSettingsRow | undefined {
  const row = db
    .prepare(
      `SELECT registration_id AS registrationId, api_url AS apiUrl, service_account AS serviceAccount,
         project_id AS projectId, key_id AS keyId, default_teacher AS defaultTeacher, updated_at AS updatedAt
       FROM classroom_settings WHERE registration_id = ?`,
    )
    .get(registrationId) as Omit<ClassroomSettingsRow, "teachers"> | undefined;
  if (!row) return undefined;
  const teachers = db
    .prepare(
      `SELECT classroom_course_id AS courseId, teacher FROM classroom_teachers WHERE registration_id = ?
       ORDER BY classroom_course_id`,
    )
    .all(registrationId) as Array<{ courseId: string; teacher: string }>;
  return { ...row, teachers };
}

// ---- published course work -----------------------------------------------------------------

export interface ClassroomCourseWorkRow {
  classroomCourseId: string;
  courseId: string;
  /** '' for a course-level (final grade) column. */
  itemId: string;
  courseWorkId: string;
  columnRef: string;
  linkId: number | null;
  title: string;
  maxPoints: number;
  created: boolean;
  publishedAt: string;
}

const workColumns = `classroom_course_id AS classroomCourseId, course_id AS courseId, item_id AS itemId,
  course_work_id AS courseWorkId, column_ref AS columnRef, link_id AS linkId, title, max_points AS maxPoints,
  created, published_at AS publishedAt`;

type RawWork = Omit<ClassroomCourseWorkRow, "created"> & { created: number };
const fromRawWork = (r: RawWork): ClassroomCourseWorkRow => ({ ...r, created: r.created === 1 });

export function findPublishedCourseWork(
  db: Db,
  registrationId: number,
  key: { classroomCourseId: string; courseId: string; itemId: string },
): ClassroomCourseWorkRow | undefined {
  const raw = db
    .prepare(
      `SELECT ${workColumns} FROM classroom_course_work WHERE registration_id = ? AND classroom_course_id = ?
       AND course_id = ? AND item_id = ?`,
    )
    .get(registrationId, key.classroomCourseId, key.courseId, key.itemId) as RawWork | undefined;
  return raw && fromRawWork(raw);
}

export function listPublishedCourseWork(
  db: Db,
  registrationId: number,
  classroomCourseId?: string,
): ClassroomCourseWorkRow[] {
  return (
    db
      .prepare(
        `SELECT ${workColumns} FROM classroom_course_work WHERE registration_id = @registrationId
         AND (@classroomCourseId IS NULL OR classroom_course_id = @classroomCourseId)
         ORDER BY classroom_course_id, course_id, item_id`,
      )
      .all({ registrationId, classroomCourseId: classroomCourseId ?? null }) as RawWork[]
  ).map(fromRawWork);
}

export interface PublishRecord {
  registrationId: number;
  gradeSync: string;
  classroomCourseId: string;
  programId: string;
  courseId: string;
  /** null: a course-level link (final grade, or the Option B course link). */
  itemId: string | null;
  resourceLinkId: string;
  title: string;
  /** The column (course work) of an Option A or final link; null for the Option B course link. */
  lineitemUrl: string | null;
  /** The Classroom course reference, where the sync creates Option B columns. */
  lineitemsUrl: string;
}

/**
 * The connected link of a published Classroom column (or Option B course): created, or brought
 * up to date when published again. Returns the link id.
 */
export function savePublishedLink(db: Db, link: PublishRecord, now: string): number {
  db.prepare(
    `INSERT INTO links (registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, program_id,
       course_id, item_id, title, lineitem_url, lineitems_url, created_at, connected_at)
     VALUES (@registrationId, @classroomCourseId, @resourceLinkId, @targetKind, @targetId, @gradeSync, @programId,
       @courseId, @itemId, @title, @lineitemUrl, @lineitemsUrl, @now, @now)
     ON CONFLICT(registration_id, resource_link_id) DO UPDATE SET title = excluded.title,
       lineitem_url = excluded.lineitem_url, lineitems_url = excluded.lineitems_url, program_id = excluded.program_id,
       connected_at = coalesce(links.connected_at, excluded.connected_at)`,
  ).run({
    ...link,
    targetKind: link.itemId === null ? "course" : "item",
    targetId: link.itemId ?? link.courseId,
    now,
  });
  return (
    db
      .prepare("SELECT id FROM links WHERE registration_id = ? AND resource_link_id = ?")
      .get(link.registrationId, link.resourceLinkId) as { id: number }
  ).id;
}

export function recordPublishedCourseWork(
  db: Db,
  registrationId: number,
  work: Omit<ClassroomCourseWorkRow, "publishedAt">,
  now: string,
): void {
  db.prepare(
    `INSERT INTO classroom_course_work (registration_id, classroom_course_id, course_id, item_id, course_work_id,
       column_ref, link_id, title, max_points, created, published_at)
     VALUES (@registrationId, @classroomCourseId, @courseId, @itemId, @courseWorkId, @columnRef, @linkId, @title,
       @maxPoints, @created, @now)
     ON CONFLICT(registration_id, classroom_course_id, course_id, item_id) DO UPDATE SET
       course_work_id = excluded.course_work_id, column_ref = excluded.column_ref, link_id = excluded.link_id,
       title = excluded.title, max_points = excluded.max_points,
       created = CASE WHEN classroom_course_work.course_work_id = excluded.course_work_id
         THEN classroom_course_work.created ELSE excluded.created END,
       published_at = excluded.published_at`,
  ).run({ registrationId, ...work, created: work.created ? 1 : 0, now });
}

/** An Option B column the publisher created or found: the sync then posts to it without creating one. */
export function recordItemColumn(
  db: Db,
  column: {
    linkId: number;
    itemId: string;
    url: string;
    label: string;
    scoreMaximum: number;
    created: boolean;
  },
  now: string,
): void {
  db.prepare(
    `INSERT INTO line_items (link_id, item_id, url, label, score_maximum, created, found_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(link_id, item_id) DO UPDATE SET url = excluded.url, label = excluded.label,
       score_maximum = excluded.score_maximum`,
  ).run(
    column.linkId,
    column.itemId,
    column.url,
    column.label,
    column.scoreMaximum,
    column.created ? 1 : 0,
    now,
  );
}

/** The Classroom courses gg4l published into (live links), for roster refreshes. */
export function publishedClassroomCourses(db: Db, registrationId: number): string[] {
  return db
    .prepare(
      "SELECT DISTINCT context_id FROM links WHERE registration_id = ? AND stale_at IS NULL ORDER BY context_id",
    )
    .pluck()
    .all(registrationId) as string[];
}

// ---- rosters -------------------------------------------------------------------------------

export interface RosterStudent {
  userId: string;
  email: string | null;
  name: string | null;
}

export interface RosterRow extends RosterStudent {
  classroomCourseId: string;
  externalId: string | null;
  seenAt: string;
}

/**
 * Replaces the stored roster of one Classroom course and matches each student to a Coursera
 * learner of the tenant by e-mail (the learner's externalId, else their Coursera e-mail).
 * Matches are recorded as LMS users (source 'nrps'); an identity learned from a launch is kept.
 */
export function saveClassroomRoster(
  db: Db,
  registrationId: number,
  tenantId: number,
  classroomCourseId: string,
  students: RosterStudent[],
  now: string,
): { students: number; matched: number } {
  const match = db.prepare(
    `SELECT external_id FROM learners WHERE tenant_id = @tenantId
       AND (external_id = @email COLLATE NOCASE OR email = @email COLLATE NOCASE)
     ORDER BY external_id = @email COLLATE NOCASE DESC, external_id LIMIT 1`,
  );
  const insertRoster = db.prepare(
    `INSERT INTO classroom_roster (registration_id, classroom_course_id, user_id, email, name, external_id, seen_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertUser = db.prepare(
    `INSERT INTO lms_users (registration_id, sub, external_id, email, name, source, first_seen_at)
     VALUES (?, ?, ?, ?, ?, 'nrps', ?)
     ON CONFLICT(registration_id, sub) DO UPDATE SET external_id = coalesce(lms_users.external_id, excluded.external_id),
       email = coalesce(excluded.email, lms_users.email), name = coalesce(excluded.name, lms_users.name)
     WHERE lms_users.source = 'nrps'`,
  );
  return db.transaction(() => {
    db.prepare("DELETE FROM classroom_roster WHERE registration_id = ? AND classroom_course_id = ?").run(
      registrationId,
      classroomCourseId,
    );
    let matched = 0;
    for (const s of students) {
      const externalId = s.email
        ? ((match.pluck().get({ tenantId, email: s.email }) as string | undefined) ?? null)
        : null;
      insertRoster.run(registrationId, classroomCourseId, s.userId, s.email, s.name, externalId, now);
      if (externalId === null) continue;
      upsertUser.run(registrationId, s.userId, externalId, s.email, s.name, now);
      matched += 1;
    }
    return { students: students.length, matched };
  })();
}

const rosterColumns = `classroom_course_id AS classroomCourseId, user_id AS userId, email, name,
  external_id AS externalId, seen_at AS seenAt`;

export function rosterRows(db: Db, registrationId: number, classroomCourseId?: string): RosterRow[] {
  return db
    .prepare(
      `SELECT ${rosterColumns} FROM classroom_roster WHERE registration_id = @registrationId
       AND (@classroomCourseId IS NULL OR classroom_course_id = @classroomCourseId)
       ORDER BY classroom_course_id, external_id IS NULL DESC, email, user_id`,
    )
    .all({ registrationId, classroomCourseId: classroomCourseId ?? null }) as RosterRow[];
}

/** The Classroom roster entries of one Coursera learner, by match or by the same e-mail. */
export function rosterEntriesOfLearner(
  db: Db,
  registrationId: number,
  learner: { externalId: string; email: string | null },
): RosterRow[] {
  return db
    .prepare(
      `SELECT ${rosterColumns} FROM classroom_roster WHERE registration_id = @registrationId
       AND (external_id = @externalId OR email = @externalId COLLATE NOCASE
            OR (@email IS NOT NULL AND email = @email COLLATE NOCASE))
       ORDER BY classroom_course_id`,
    )
    .all({ registrationId, externalId: learner.externalId, email: learner.email }) as RosterRow[];
}

/** Program members of the tenant's active programs who are in none of the stored Classroom rosters. */
export function membersMissingFromRosters(
  db: Db,
  registrationId: number,
  tenantId: number,
): Array<{ externalId: string; email: string | null; programs: string }> {
  return db
    .prepare(
      `SELECT l.external_id AS externalId, l.email, group_concat(DISTINCT m.program_id) AS programs
       FROM memberships m JOIN learners l ON l.tenant_id = m.tenant_id AND l.external_id = m.external_id
       JOIN programs p ON p.tenant_id = m.tenant_id AND p.program_id = m.program_id AND p.active = 1
       WHERE m.tenant_id = @tenantId AND l.is_test = 0
         AND NOT EXISTS (SELECT 1 FROM classroom_roster r WHERE r.registration_id = @registrationId
           AND r.external_id = l.external_id)
       GROUP BY l.external_id ORDER BY l.external_id`,
    )
    .all({ tenantId, registrationId }) as Array<{
    externalId: string;
    email: string | null;
    programs: string;
  }>;
}

/** Coursera learners whose externalId or e-mail equals this address (case-insensitive), for diagnoses. */
export function learnersNamed(db: Db, tenantId: number, email: string): string[] {
  return db
    .prepare(
      `SELECT external_id FROM learners WHERE tenant_id = ? AND (external_id = ? COLLATE NOCASE OR email = ? COLLATE NOCASE)`,
    )
    .pluck()
    .all(tenantId, email, email) as string[];
}
