/**
 * What one run did per learner and column, for `gg4l sync show`: read a page at a time (a run
 * may hold a million rows), each row with the names a person reads next to the ids.
 *
 * - posted: the scores the LMS acknowledged in the run (run_scores, copied from the journal
 *   when it is folded); one the LMS refused as older but already held is `unchanged` there.
 * - unchanged: the planner skipped it because the LMS already had that score. The plan is not
 *   kept per run (a million rows a night), so these rows come from the score ledger: scores
 *   acknowledged by an earlier run, not posted since, not failed in this run, on a column whose
 *   link is current, for a learner not flagged test, within the run's filters.
 * - failed: the run's failed plan items (a score post or a column creation) with the LMS's words.
 */
import type { Db } from "./db.js";

export type RunItemStatus = "posted" | "unchanged" | "failed";

export interface RunItemRow {
  status: RunItemStatus;
  action: "post" | "create-column";
  /** posted: new, changed or resend (incremental off). */
  kind: string | null;
  externalId: string | null;
  email: string | null;
  /** The learner's name as Coursera has it. */
  learner: string | null;
  lmsUserId: string | null;
  courseId: string | null;
  course: string | null;
  itemId: string | null;
  item: string | null;
  /** The gradebook column's label. */
  column: string | null;
  columnUrl: string | null;
  scoreGiven: number | null;
  scoreMaximum: number | null;
  /** failed: the LMS's HTTP status, when it answered. */
  httpStatus: number | null;
  message: string | null;
}

export interface UnchangedScope {
  programId?: string;
  courseId?: string;
  externalId?: string;
}

const PAGE = 500;

/** A gradebook column gg4l posts to, by URL: what it holds and the link that carries it. */
interface ColumnInfo {
  courseId: string;
  itemId: string;
  course: string | null;
  item: string | null;
  label: string;
  programId: string | null;
  /** The link carrying it was published under another grade-sync option. */
  stale: boolean;
}

/**
 * Every column of the tenant's registration, by URL: a few thousand at most, read once, so a
 * million rows never join links and line items (whose URLs are not indexed) one by one.
 */
function columnsOf(db: Db, tenantId: number): Map<string, ColumnInfo> {
  const rows = db
    .prepare(
      `SELECT x.url, x.courseId, x.itemId, c.name AS course, i.name AS item,
         coalesce(x.label, i.name, c.name || ' (Coursera final grade)', x.courseId) AS label, x.programId, x.stale
       FROM (
         SELECT li.url, l.course_id AS courseId, li.item_id AS itemId, li.label, l.program_id AS programId,
           l.stale_at IS NOT NULL AS stale, 1 AS rank
         FROM line_items li JOIN links l ON l.id = li.link_id JOIN lms_registrations reg ON reg.id = l.registration_id
         WHERE reg.tenant_id = @tenantId
         UNION ALL
         SELECT l.lineitem_url, l.course_id, coalesce(l.item_id, ''), NULL, l.program_id, l.stale_at IS NOT NULL,
           2 + (l.stale_at IS NOT NULL)
         FROM links l JOIN lms_registrations reg ON reg.id = l.registration_id
         WHERE reg.tenant_id = @tenantId AND l.lineitem_url IS NOT NULL AND l.course_id IS NOT NULL
         UNION ALL
         SELECT cw.column_ref, cw.course_id, cw.item_id, cw.title, NULL, 0, 4
         FROM classroom_course_work cw JOIN lms_registrations reg ON reg.id = cw.registration_id
         WHERE reg.tenant_id = @tenantId
       ) x
       LEFT JOIN courses c ON c.tenant_id = @tenantId AND c.course_id = x.courseId
       LEFT JOIN items i ON i.tenant_id = @tenantId AND i.course_id = x.courseId AND i.item_id = x.itemId
       ORDER BY x.rank DESC`,
    )
    .all({ tenantId }) as Array<Omit<ColumnInfo, "stale"> & { url: string; stale: number }>;
  // Ranked worst first, so the line item gg4l recorded, then a current link, wins.
  return new Map(rows.map(({ url, stale, ...info }) => [url, { ...info, stale: stale === 1 }]));
}

// The learner behind the LMS user a score went to: an LTI user, or a Google Classroom student.
const SCORE_ROW = `SELECT s.*, le.email, le.full_name AS learner, le.is_test
  FROM (SELECT s.*, coalesce(u.external_id, (SELECT cr.external_id FROM classroom_roster cr
          WHERE cr.registration_id = reg.id AND cr.user_id = s.lms_user_id AND cr.external_id IS NOT NULL LIMIT 1))
          AS external_id
        FROM %SOURCE% s
        LEFT JOIN lms_registrations reg ON reg.tenant_id = @tenantId
        LEFT JOIN lms_users u ON u.registration_id = reg.id AND u.sub = s.lms_user_id) s
  LEFT JOIN learners le ON le.tenant_id = @tenantId AND le.external_id = s.external_id`;

type RawScore = {
  cursor: number | string;
  cursor2: string;
  status: RunItemStatus;
  kind: string | null;
  lms_user_id: string;
  column_url: string;
  score_given: number | null;
  score_maximum: number;
  message: string | null;
  external_id: string | null;
  email: string | null;
  learner: string | null;
  is_test: number | null;
};

const fromScore = (r: RawScore, column: ColumnInfo | undefined): RunItemRow => ({
  status: r.status,
  action: "post",
  kind: r.kind,
  externalId: r.external_id,
  email: r.email,
  learner: r.learner,
  lmsUserId: r.lms_user_id,
  courseId: column?.courseId ?? null,
  course: column?.course ?? null,
  itemId: column?.itemId || null,
  item: column?.item ?? null,
  column: column?.label ?? null,
  columnUrl: r.column_url,
  scoreGiven: r.score_given,
  scoreMaximum: r.score_maximum,
  httpStatus: null,
  message: r.message,
});

/** The scores the LMS acknowledged in the run, in the order it acknowledged them. */
export function* postedItems(
  db: Db,
  run: { id: number; tenantId: number },
  page = PAGE,
): Generator<RunItemRow> {
  const source = `(SELECT id AS cursor, '' AS cursor2, CASE outcome WHEN 'accepted' THEN 'posted' ELSE 'unchanged' END
      AS status, kind, lms_user_id, (SELECT c.url FROM score_columns c WHERE c.id = column_id) AS column_url,
      score_given, score_maximum,
      CASE outcome WHEN 'stale' THEN 'refused as older: the LMS already holds this grade' END AS message
    FROM run_scores WHERE run_id = @runId AND id > @after ORDER BY id LIMIT @page)`;
  const query = db.prepare(`${SCORE_ROW.replace("%SOURCE%", source)} ORDER BY s.cursor`);
  const columns = columnsOf(db, run.tenantId);
  let after = 0;
  for (;;) {
    const rows = query.all({ runId: run.id, tenantId: run.tenantId, after, page }) as RawScore[];
    for (const r of rows) yield fromScore(r, columns.get(r.column_url));
    if (rows.length < page) return;
    after = Number(rows[rows.length - 1]!.cursor);
  }
}

/**
 * The scores the LMS already had when the run planned (see the top of this file): from the
 * ledger, page by page in its key order.
 */
export function* unchangedItems(
  db: Db,
  run: { id: number; tenantId: number },
  scope: UnchangedScope,
  page = PAGE,
): Generator<RunItemRow> {
  const source = `(SELECT sl.column_url AS cursor, sl.lms_user_id AS cursor2, 'unchanged' AS status, NULL AS kind,
      sl.lms_user_id, sl.column_url, sl.score_given, sl.score_maximum, NULL AS message
    FROM score_ledger sl
    LEFT JOIN plan_items p INDEXED BY plan_items_failed ON p.run_id = @runId AND p.status = 'failed' AND p.action = 'post'
      AND p.column_url = sl.column_url AND p.lms_user_id = sl.lms_user_id
    WHERE sl.tenant_id = @tenantId AND sl.run_id < @runId AND p.run_id IS NULL
      AND (sl.column_url, sl.lms_user_id) > (@afterColumn, @afterUser)
    ORDER BY sl.column_url, sl.lms_user_id LIMIT @page)`;
  const query = db.prepare(`${SCORE_ROW.replace("%SOURCE%", source)} ORDER BY s.cursor, s.cursor2`);
  const columns = columnsOf(db, run.tenantId);
  const keep = (r: RawScore, column: ColumnInfo | undefined) =>
    r.is_test !== 1 &&
    !column?.stale &&
    (scope.courseId === undefined || column?.courseId === scope.courseId) &&
    (scope.programId === undefined || column?.programId === scope.programId) &&
    (scope.externalId === undefined || r.external_id === scope.externalId);
  let afterColumn = "";
  let afterUser = "";
  for (;;) {
    const rows = query.all({
      runId: run.id,
      tenantId: run.tenantId,
      afterColumn,
      afterUser,
      page,
    }) as RawScore[];
    for (const r of rows) {
      const column = columns.get(r.column_url);
      if (keep(r, column)) yield fromScore(r, column);
    }
    if (rows.length < page) return;
    const last = rows[rows.length - 1]!;
    afterColumn = String(last.cursor);
    afterUser = last.cursor2;
  }
}

/** The run's failed plan items (columns it could not create, scores the LMS refused), in plan order. */
export function* failedRunItems(db: Db, runId: number, page = PAGE): Generator<RunItemRow> {
  const query = db.prepare(
    `SELECT p.seq, p.action, p.kind, p.external_id AS externalId, le.email, le.full_name AS learner,
       p.lms_user_id AS lmsUserId, p.course_id AS courseId, c.name AS course, nullif(p.item_id, '') AS itemId,
       i.name AS item, coalesce(li.label, p.label, i.name, c.name) AS "column", p.column_url AS columnUrl,
       p.score_given AS scoreGiven, p.score_maximum AS scoreMaximum, p.status_code AS httpStatus, p.message
     FROM plan_items p
     JOIN sync_runs r ON r.id = p.run_id
     LEFT JOIN learners le ON le.tenant_id = r.tenant_id AND le.external_id = p.external_id
     LEFT JOIN line_items li ON li.url = p.column_url
     LEFT JOIN items i ON i.tenant_id = r.tenant_id AND i.course_id = p.course_id AND i.item_id = p.item_id
     LEFT JOIN courses c ON c.tenant_id = r.tenant_id AND c.course_id = p.course_id
     WHERE p.run_id = ? AND p.status = 'failed' AND p.seq > ? ORDER BY p.seq LIMIT ?`,
  );
  let after = 0;
  for (;;) {
    const rows = query.all(runId, after, page) as Array<Omit<RunItemRow, "status"> & { seq: number }>;
    for (const { seq: _seq, ...r } of rows) yield { status: "failed", ...r, message: r.message ?? "" };
    if (rows.length < page) return;
    after = rows[rows.length - 1]!.seq;
  }
}
