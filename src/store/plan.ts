/**
 * The planner's set work, in SQL. `buildPlan` fills the temporary table `plan` with every
 * (column, learner, grade) candidate and what the rules decide for it (R6, R7): post it
 * (new / changed / resent unchanged) or skip it with a reason; `plan_columns` holds the
 * columns to create, and `plan_targets` the registration's columns both are made from.
 * Nothing in the state file changes: temporary tables live apart.
 */
import type { Db } from "./db.js";
import type { GradeSyncOption } from "./lms.js";
import { stmt } from "./statements.js";

export interface PlanQuery {
  tenantId: number;
  registrationId: number;
  option: GradeSyncOption;
  noSso: boolean;
  incremental: boolean;
  programId?: string;
  courseId?: string;
  externalId?: string;
}

export type PostKind = "new" | "changed" | "resend";

export interface PlanRow {
  decision: PostKind | "skip";
  reason: string | null;
  linkId: number | null;
  contextId: string | null;
  programId: string | null;
  courseId: string;
  itemId: string;
  externalId: string;
  lmsUserId: string | null;
  columnUrl: string | null;
  scoreGiven: number | null;
  scoreMaximum: number;
  comment: string | null;
  commentChanged: number;
  previousScore: number | null;
  lastSentMs: number | null;
}

export interface PlanColumnRow {
  linkId: number;
  courseId: string;
  itemId: string;
  containerUrl: string;
  resourceLinkId: string;
  label: string;
}

const params = (q: PlanQuery) => ({
  tenantId: q.tenantId,
  registrationId: q.registrationId,
  option: q.option,
  noSso: q.noSso ? 1 : 0,
  incremental: q.incremental ? 1 : 0,
  programId: q.programId ?? null,
  courseId: q.courseId ?? null,
  externalId: q.externalId ?? null,
});

// A link with an item is an Option A column; a course link is the final-grade column, or
// under Option B the link whose context gets one column per gradable item of the course.
// Only one link per LMS context and Coursera course (and item) carries the columns: the
// `plan_links` row it is the `column_link` of; a second link to the same target shares them.
const TARGETS = `
  targets AS (
    SELECT l.id AS link_id, l.context_id, l.resource_link_id, l.program_id, l.course_id, l.item_id, l.grade_sync,
      l.stale_at, l.lineitem_url, l.lineitems_url
    FROM links l WHERE l.registration_id = @registrationId AND l.course_id IS NOT NULL AND l.item_id IS NOT NULL
    UNION ALL
    SELECT l.id, l.context_id, l.resource_link_id, l.program_id, l.course_id, '', l.grade_sync, l.stale_at,
      l.lineitem_url, l.lineitems_url
    FROM links l WHERE l.registration_id = @registrationId AND l.course_id IS NOT NULL AND l.item_id IS NULL
      AND @option != 'course'
    UNION ALL
    SELECT l.id, l.context_id, l.resource_link_id, l.program_id, l.course_id, i.item_id, l.grade_sync, l.stale_at,
      NULL, l.lineitems_url
    FROM links l JOIN items i ON i.tenant_id = @tenantId AND i.course_id = l.course_id
    WHERE l.registration_id = @registrationId AND l.course_id IS NOT NULL AND l.item_id IS NULL AND @option = 'course'
  )`;

/**
 * Every link of the registration with the link that carries its target's columns: per LMS
 * context, course and item, the current one (published under the LMS's option) that is
 * connected, the oldest first.
 */
const PLAN_LINKS = `CREATE TEMP TABLE plan_links AS
  SELECT l.id AS link_id, l.context_id, l.resource_link_id,
    first_value(l.id) OVER (PARTITION BY l.context_id, l.course_id, coalesce(l.item_id, '')
      ORDER BY l.stale_at IS NOT NULL OR l.grade_sync != @option, l.lineitem_url IS NULL AND l.lineitems_url IS NULL, l.id)
      AS column_link,
    count(*) OVER (PARTITION BY l.context_id, l.course_id, coalesce(l.item_id, '')) AS links
  FROM links l WHERE l.registration_id = @registrationId AND l.course_id IS NOT NULL`;

// The column of a target once gg4l found or created it, kept under any link of its context and course.
const KNOWN_COLUMN = `(SELECT li.url FROM links l2 JOIN line_items li ON li.link_id = l2.id AND li.item_id = t.item_id
  WHERE l2.registration_id = @registrationId AND l2.context_id = t.context_id AND l2.course_id = t.course_id
  ORDER BY li.found_at, li.link_id LIMIT 1)`;

const FILTERS = `AND (@programId IS NULL OR g.program_id = @programId)
  AND (@courseId IS NULL OR g.course_id = @courseId)
  AND (@externalId IS NULL OR g.external_id = @externalId)`;

// The final grade's comment; item grades carry none.
const COMMENT = `CASE WHEN t.item_id = '' AND g.completed = 1 AND g.completed_at IS NOT NULL
  THEN 'Completed on Coursera on ' || date(g.completed_at / 1000, 'unixepoch') END`;

/**
 * The plan table's row order, fixed when it is built so nothing sorts it again: posts before
 * skips, then column by column in LMS user order, the score ledger's key order, so the ledger
 * rows that acknowledgements write together sit on neighbouring pages.
 */
const PLAN_ORDER = "decision = 'skip', linkId, itemId, lmsUserId, externalId";

/**
 * The LMSs cap a column's name at 255 characters (Moodle's grade item name, Canvas's
 * assignment name); SQLite's length() counts characters, as they do.
 */
export const COLUMN_LABEL_MAX = 255;
const FINAL_SUFFIX = " (Coursera final grade)";
const SEPARATOR = " — ";

/**
 * A column the sync creates carries its course's name: two courses of one LMS course may
 * both have a "Quiz 2: Applying the Basics". The course name is shortened with an ellipsis
 * first, the item's name only when it alone does not fit. Only the label of a column the sync
 * creates: a column is found again by resourceId, resourceLinkId and tag, never by its label.
 */
export const COLUMN_LABEL_SQL = `CASE
    WHEN item IS NULL THEN
      CASE WHEN length(course) + ${FINAL_SUFFIX.length} <= ${COLUMN_LABEL_MAX} THEN course || '${FINAL_SUFFIX}'
      ELSE substr(course, 1, ${COLUMN_LABEL_MAX - FINAL_SUFFIX.length - 1}) || '…${FINAL_SUFFIX}' END
    WHEN length(course) + ${SEPARATOR.length} + length(item) <= ${COLUMN_LABEL_MAX} THEN course || '${SEPARATOR}' || item
    WHEN length(item) + ${SEPARATOR.length} + 2 <= ${COLUMN_LABEL_MAX}
      THEN substr(course, 1, ${COLUMN_LABEL_MAX - SEPARATOR.length - 1} - length(item)) || '…${SEPARATOR}' || item
    ELSE substr(item, 1, ${COLUMN_LABEL_MAX - 1}) || '…' END`;

/**
 * The label of a column, as COLUMN_LABEL_SQL makes it (keep the two together): for the
 * columns gg4l creates outside the planner (Google Classroom's course work). Lengths are
 * counted in characters (code points), as SQLite and the LMSs count them.
 */
export function columnLabel(course: string, item: string | null): string {
  const len = (text: string) => Array.from(text).length;
  const head = (text: string, n: number) => Array.from(text).slice(0, Math.max(0, n)).join("");
  if (item === null) {
    return len(course) + len(FINAL_SUFFIX) <= COLUMN_LABEL_MAX
      ? `${course}${FINAL_SUFFIX}`
      : `${head(course, COLUMN_LABEL_MAX - len(FINAL_SUFFIX) - 1)}…${FINAL_SUFFIX}`;
  }
  if (len(course) + len(SEPARATOR) + len(item) <= COLUMN_LABEL_MAX) return `${course}${SEPARATOR}${item}`;
  if (len(item) + len(SEPARATOR) + 2 <= COLUMN_LABEL_MAX)
    return `${head(course, COLUMN_LABEL_MAX - len(SEPARATOR) - 1 - len(item))}…${SEPARATOR}${item}`;
  return `${head(item, COLUMN_LABEL_MAX - 1)}…`;
}

/**
 * Which grades a plan decides: "all" (every column's), "column" (the column @linkId, @itemId,
 * its grades in external id order, the primary key's), or "chunk" (the same, at most @limit
 * from the external id @from on, @after excluded: a dry run's --json reads a column so).
 */
type Scope = "all" | "column" | "chunk";

const SCOPES: Record<Scope, string> = {
  all: "LIMIT -1",
  column: "AND t.link_id = @linkId AND t.item_id = @itemId ORDER BY g.external_id LIMIT -1",
  chunk: `AND t.link_id = @linkId AND t.item_id = @itemId AND g.external_id >= @from AND g.external_id IS NOT @after
    ORDER BY g.external_id LIMIT @limit`,
};

/**
 * The candidates (column × learner grade in `scope`), with what the rules read of each: its
 * column's link and program, the learner's launch, LMS user and test flag. The LIMIT (even
 * -1) keeps it a subquery SQLite runs as it goes (a co-routine), a grade at a time: flattened
 * into the statement that reads it, each use of `launched_sub` would look the launch up again.
 */
const candidates = (scope: Scope) => `(
    SELECT t.link_id, t.context_id, t.program_id, t.course_id, t.item_id, t.column_url, t.program_active, t.stale_at,
      t.grade_sync, t.lineitems_url,
      g.external_id, g.grade, g.completed, ${COMMENT} AS comment,
      g.external_id IN temp.plan_test_learners AS is_test,
      -- a launch of any link that shares the column counts; most columns have one link
      CASE WHEN t.sharing_links = 1 THEN
        (SELECT x.lms_sub FROM launches x WHERE x.tenant_id = @tenantId AND x.resource_link_id = t.resource_link_id
           AND x.context_id = t.context_id AND x.external_id = g.external_id LIMIT 1)
      ELSE
        (SELECT x.lms_sub FROM temp.plan_links m CROSS JOIN launches x ON x.tenant_id = @tenantId
           AND x.resource_link_id = m.resource_link_id AND x.context_id = m.context_id AND x.external_id = g.external_id
         WHERE m.column_link = t.link_id LIMIT 1)
      END AS launched_sub,
      CASE WHEN @noSso = 1 THEN (SELECT u.sub FROM lms_users u INDEXED BY lms_users_learner WHERE u.registration_id = @registrationId
         AND u.external_id = g.external_id ORDER BY u.source = 'launch' DESC LIMIT 1) END AS known_sub,
      CASE WHEN @noSso = 1 THEN
        EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = @tenantId AND m.program_id = t.program_id
                AND m.external_id = g.external_id)
        OR EXISTS (SELECT 1 FROM launches x WHERE x.tenant_id = @tenantId AND x.program_id = t.program_id
                AND x.external_id = g.external_id) END AS joined
    FROM temp.plan_targets t
    JOIN coursera_grades g ON g.tenant_id = @tenantId AND g.course_id = t.course_id AND g.item_id = t.item_id
    WHERE 1 ${FILTERS}
    ${SCOPES[scope]}
  ) c`;

/** Why a candidate `c` is kept out (R6, R7), or NULL when it is posted: the first that holds. */
const REASON = `CASE
    WHEN c.program_active = 0 THEN 'program-inactive'
    WHEN c.is_test = 1 THEN 'test-learner'
    WHEN c.stale_at IS NOT NULL OR c.grade_sync != @option THEN 'link-stale'
    WHEN c.grade IS NULL THEN 'no-grade'
    WHEN @option = 'final' AND c.completed = 0 THEN 'not-completed'
    WHEN @option = 'course' AND c.lineitems_url IS NULL THEN 'no-launch-in-course'
    WHEN c.column_url IS NULL AND c.lineitems_url IS NULL THEN 'link-not-connected'
    WHEN @noSso = 0 AND c.launched_sub IS NULL THEN 'never-launched-link'
    WHEN @noSso = 1 AND NOT c.joined THEN 'not-joined'
    WHEN @noSso = 1 AND c.known_sub IS NULL AND c.launched_sub IS NULL THEN 'not-in-lms-roster'
  END`;

/** Every score gg4l sends is out of this (a Coursera grade is a percentage). */
const SCORE_MAXIMUM = 100;

const UNCHANGED = `sl.score_given IS c.grade AND sl.score_maximum = ${SCORE_MAXIMUM}`;

/** Why a candidate is not posted, with the rules' reason first, then "unchanged" (incremental sync). */
const SKIP_REASON = `coalesce(${REASON},
  CASE WHEN sl.column_url IS NOT NULL AND ${UNCHANGED} AND @incremental = 1 THEN 'unchanged' END)`;

/** What a post of the candidate is, against what the LMS last acknowledged. */
const POST_KIND = `CASE WHEN sl.column_url IS NULL THEN 'new' WHEN ${UNCHANGED} THEN 'resend' ELSE 'changed' END`;

/**
 * A candidate's plan row (one per column and grade in `scope`): what the rules decide for it,
 * against what the LMS last acknowledged for the learner in the column (the score ledger). A
 * chunk gives `kind` (POST_KIND) instead of `decision`, which is its kind or 'skip' when it has
 * a reason: its reader works the decision out from the two, and SKIP_REASON is not evaluated
 * twice a row.
 */
const decidedRows = (scope: Scope) => `
    SELECT
      ${scope === "chunk" ? "" : `CASE WHEN ${SKIP_REASON} IS NOT NULL THEN 'skip' ELSE ${POST_KIND} END AS decision,`}
      ${SKIP_REASON} AS reason,
      c.link_id AS linkId, c.context_id AS contextId, c.program_id AS programId, c.course_id AS courseId,
      c.item_id AS itemId, c.external_id AS externalId, coalesce(c.launched_sub, c.known_sub) AS lmsUserId,
      c.column_url AS columnUrl, c.grade AS scoreGiven, ${SCORE_MAXIMUM} AS scoreMaximum, c.comment,
      (sl.column_url IS NULL OR sl.comment IS NOT c.comment) AS commentChanged,
      sl.score_given AS previousScore, sl.sent_at_ms AS lastSentMs
      ${scope === "chunk" ? `, ${POST_KIND} AS kind, ${ROUNDED_MILLIONTHS("c.grade")} AS scoreMillionths, ${ROUNDED_MILLIONTHS("sl.score_given")} AS previousMillionths` : ""}
    FROM ${candidates(scope)}
    LEFT JOIN score_ledger sl ON sl.column_url = c.column_url AND sl.lms_user_id = coalesce(c.launched_sub, c.known_sub)`;

/** A grade of the tenant that no column of the registration is for. */
const NO_LINK_ROWS = `
SELECT 'skip', 'no-connected-link', NULL, NULL, g.program_id, g.course_id, g.item_id, g.external_id, NULL, NULL,
      g.grade, ${SCORE_MAXIMUM}, NULL, 0, NULL, NULL
    FROM coursera_grades g
    WHERE g.tenant_id = @tenantId
      AND CASE WHEN @option = 'final' THEN g.item_id = '' ELSE g.item_id != '' END
      AND NOT EXISTS (SELECT 1 FROM temp.plan_targets t WHERE t.course_id = g.course_id AND t.item_id = g.item_id)
      ${FILTERS}`;

/** Every candidate with what the rules decide for it, as `plan` holds it (unordered). */
const PLAN_SELECT = `SELECT * FROM (${decidedRows("all")} UNION ALL ${NO_LINK_ROWS})`;

/** The registration's columns the plan is made for (temporary tables `plan_links`, `plan_targets`). */
function buildTargets(db: Db, q: PlanQuery): void {
  dropPlan(db);
  db.prepare(PLAN_LINKS).run({ registrationId: q.registrationId, option: q.option });
  db.exec("CREATE INDEX temp.plan_links_column ON plan_links(column_link)");
  // The registration's columns, with what the rules read of their link and program: a few
  // rows that the per-grade work below joins, instead of carrying them along every grade.
  db.prepare(
    `CREATE TEMP TABLE plan_targets AS
    WITH ${TARGETS}
    SELECT t.*, coalesce(t.lineitem_url, ${KNOWN_COLUMN}) AS column_url, coalesce(p.active, 0) AS program_active,
      pl.links AS sharing_links
    FROM targets t
    JOIN temp.plan_links pl ON pl.link_id = t.link_id AND pl.column_link = t.link_id
    LEFT JOIN programs p ON p.tenant_id = @tenantId AND p.program_id = t.program_id`,
  ).run(params(q));
  db.exec(
    `CREATE UNIQUE INDEX temp.plan_targets_column ON plan_targets(link_id, item_id);
     CREATE INDEX temp.plan_targets_item ON plan_targets(course_id, item_id);
     CREATE TEMP TABLE plan_test_learners (external_id TEXT PRIMARY KEY) WITHOUT ROWID;`,
  );
  // Test learners are few: a statement that reads a column a chunk at a time would otherwise
  // look through every learner of the tenant for them each time.
  db.prepare(
    "INSERT INTO temp.plan_test_learners SELECT external_id FROM learners WHERE tenant_id = ? AND is_test = 1",
  ).run(q.tenantId);
}

/**
 * The plan table's row order. "posting" (a live run, `sync apply`): PLAN_ORDER, the order the
 * posts go out in. "listing" (a dry run that shows or saves its rows, `learners show`): column
 * by column, then by learner (external id), built without sorting anything, with grades no
 * link points at before them; posts are read apart from skips (`planRowsListed`).
 */
export type PlanOrder = "posting" | "listing";

/** Fill `plan` with every candidate and its decision, in `order`, and `plan_columns`. */
export function buildPlan(db: Db, q: PlanQuery, order: PlanOrder = "posting"): void {
  buildTargets(db, q);
  if (order === "posting")
    db.prepare(`CREATE TEMP TABLE plan AS ${PLAN_SELECT} ORDER BY ${PLAN_ORDER}`).run(params(q));
  else buildListed(db, q);
  buildColumns(db, q);
}

const PLAN_TABLE_COLUMNS =
  "decision, reason, linkId, contextId, programId, courseId, itemId, externalId, lmsUserId, columnUrl, scoreGiven, scoreMaximum, comment, commentChanged, previousScore, lastSentMs";

/**
 * The plan in listing order: the grades no link points at in their key's order, then one
 * INSERT per column, its grades in their primary key's order. SQLite reads both in that order
 * and sorts nothing (a sort into plan order was a third of a million-grade dry run).
 */
function buildListed(db: Db, q: PlanQuery): void {
  db.exec(`CREATE TEMP TABLE plan (${PLAN_TABLE_COLUMNS})`);
  const p = params(q);
  db.prepare(`INSERT INTO temp.plan ${NO_LINK_ROWS} ORDER BY g.course_id, g.item_id, g.external_id`).run(p);
  const column = db.prepare(`INSERT INTO temp.plan ${decidedRows("column")}`);
  const targets = db
    .prepare("SELECT link_id, item_id FROM temp.plan_targets ORDER BY link_id, item_id")
    .raw(true)
    .all() as Array<[number, string]>;
  for (const [linkId, itemId] of targets) column.run({ ...p, linkId, itemId });
}

/** The plan's columns (`plan_targets`, `plan_columns`) without its rows: for `planJsonStream`. */
export function prepareTargets(db: Db, q: PlanQuery): void {
  buildTargets(db, q);
  buildColumns(db, q);
}

/**
 * What `buildPlan` would decide, only counted: the same rules over the same rows, without
 * storing or ordering a million of them (a dry run that shows only the summary).
 */
export function countPlan(db: Db, q: PlanQuery): PlanCounts[] {
  buildTargets(db, q);
  buildColumns(db, q);
  return db
    .prepare(
      `SELECT decision, reason, count(*) AS count FROM (${PLAN_SELECT}) GROUP BY decision, reason ORDER BY decision, reason`,
    )
    .all(params(q)) as PlanCounts[];
}

function buildColumns(db: Db, q: PlanQuery): void {
  // Columns to create: connected, current links whose column gg4l does not know yet.
  db.prepare(
    `CREATE TEMP TABLE plan_columns AS
    SELECT linkId, courseId, itemId, containerUrl, resourceLinkId, ${COLUMN_LABEL_SQL} AS label FROM (
    SELECT t.link_id AS linkId, t.course_id AS courseId, t.item_id AS itemId, t.lineitems_url AS containerUrl,
      t.resource_link_id AS resourceLinkId, coalesce(c.name, t.course_id) AS course,
      CASE WHEN t.item_id != '' THEN coalesce(i.name, t.item_id) END AS item
    FROM temp.plan_targets t
    LEFT JOIN items i ON i.tenant_id = @tenantId AND i.course_id = t.course_id AND i.item_id = t.item_id
    LEFT JOIN courses c ON c.tenant_id = @tenantId AND c.course_id = t.course_id
    WHERE t.program_active = 1 AND t.stale_at IS NULL AND t.grade_sync = @option AND t.lineitems_url IS NOT NULL
      AND t.column_url IS NULL
      AND (@programId IS NULL OR t.program_id = @programId) AND (@courseId IS NULL OR t.course_id = @courseId)
      AND (@externalId IS NULL OR EXISTS (SELECT 1 FROM coursera_grades g WHERE g.tenant_id = @tenantId
           AND g.course_id = t.course_id AND g.item_id = t.item_id AND g.external_id = @externalId)))
    ORDER BY linkId, itemId`,
  ).run(params(q));
}

export interface PlanCounts {
  decision: string;
  reason: string | null;
  count: number;
}

export function planCounts(db: Db): PlanCounts[] {
  return db
    .prepare(
      "SELECT decision, reason, count(*) AS count FROM temp.plan GROUP BY decision, reason ORDER BY decision, reason",
    )
    .all() as PlanCounts[];
}

export function planColumns(db: Db): PlanColumnRow[] {
  return db.prepare("SELECT * FROM temp.plan_columns ORDER BY linkId, itemId").all() as PlanColumnRow[];
}

/** A plan row as an array, the fields an entry shows, in this order (no row objects: see `planPosts`). */
export type PlanEntryTuple = [
  decision: PostKind | "skip",
  reason: string | null,
  linkId: number | null,
  programId: string | null,
  courseId: string,
  itemId: string,
  externalId: string,
  lmsUserId: string | null,
  columnUrl: string | null,
  scoreGiven: number | null,
  scoreMaximum: number,
  previousScore: number | null,
  comment: string | null,
];

const ENTRY_COLUMNS =
  "decision, reason, linkId, programId, courseId, itemId, externalId, lmsUserId, columnUrl, scoreGiven, scoreMaximum, previousScore, comment";

/**
 * Every plan row of a plan built in listing order: posts, then skips, each column by column
 * and then by learner (external id); the skips of grades no link points at come first.
 */
export function* planRowsListed(db: Db): Generator<PlanEntryTuple> {
  for (const rows of ["decision != 'skip'", "decision = 'skip'"])
    yield* db
      .prepare(`SELECT ${ENTRY_COLUMNS} FROM temp.plan WHERE ${rows} ORDER BY rowid`)
      .raw(true)
      .iterate() as IterableIterator<PlanEntryTuple>;
}

/** A score as whole millionths, rounded half away from zero; '' for none. */
const ROUNDED_MILLIONTHS = (column: string) =>
  `CAST(${column} * 1000000 + (CASE WHEN ${column} < 0 THEN -0.5 ELSE 0.5 END) AS INTEGER)`;
const MILLIONTHS = (column: string) => `coalesce(${ROUNDED_MILLIONTHS(column)}, '')`;

const DIGEST_LINE = `concat_ws(char(31), decision, linkId, coalesce(programId, ''), courseId, itemId,
  externalId, coalesce(lmsUserId, ''), coalesce(columnUrl, ''), ${MILLIONTHS("scoreGiven")}, scoreMaximum,
  ${MILLIONTHS("previousScore")}, coalesce(comment, ''))`;

/**
 * The plan's posts as UTF-8 text, a line each ended by a newline, in the fingerprint's order:
 * column by column (link, item), then by learner (external id), whichever order the plan was
 * built in. What the fingerprint hashes. SQLite builds the lines, so JavaScript handles a few
 * hundred buffers, not a million row objects. Each line is the fields of its entry in a saved
 * plan file, so the file's items can be hashed alike (core/sync/plan.ts `digestLineOfPost` is
 * the same line built in JavaScript: keep the two together). Scores enter as whole millionths,
 * which both sides compute exactly alike.
 */
export function* planDigestChunks(db: Db, order: PlanOrder): Generator<Buffer | string> {
  if (order === "listing") {
    // Posts are already in this order: a few thousand at a time, each chunk from where the last ended.
    const chunk = db
      .prepare(
        `SELECT CAST(group_concat(line, char(10)) || char(10) AS BLOB), max(r) FROM (
           SELECT rowid AS r, ${DIGEST_LINE} AS line
           FROM temp.plan WHERE rowid > ? AND decision != 'skip' ORDER BY rowid LIMIT ${DIGEST_CHUNK})`,
      )
      .raw(true);
    for (let after = 0; ; ) {
      const [bytes, last] = chunk.get(after) as [Buffer | null, number | null];
      if (bytes === null || last === null) return;
      yield bytes;
      after = last;
    }
  }
  // Posting order differs only within a column (LMS user there): each column's posts, a run of
  // rowids from the first, are read again by external id: as one text when the column is of a
  // usual size, line by line when it is too large to hold at once.
  const column = db
    .prepare(
      `SELECT CAST(group_concat(line, char(10)) || char(10) AS BLOB) FROM (
         SELECT ${DIGEST_LINE} AS line FROM temp.plan WHERE rowid BETWEEN ? AND ? ORDER BY externalId)`,
    )
    .pluck();
  const lines = db
    .prepare(`SELECT ${DIGEST_LINE} FROM temp.plan WHERE rowid BETWEEN ? AND ? ORDER BY externalId`)
    .pluck();
  for (const [first, last] of columnRuns(db)) {
    if (last - first < WHOLE_COLUMN) {
      yield column.get(first, last) as Buffer;
      continue;
    }
    let batch: string[] = [];
    for (const line of lines.iterate(first, last) as IterableIterator<string>) {
      batch.push(line);
      if (batch.length === DIGEST_CHUNK) {
        yield `${batch.join("\n")}\n`;
        batch = [];
      }
    }
    if (batch.length > 0) yield `${batch.join("\n")}\n`;
  }
}

/**
 * The runs of rowids holding each column's posts in a plan built in posting order (posts
 * first, by column): each run's end found by binary search, nothing sorted.
 */
function* columnRuns(db: Db): Generator<[number, number]> {
  const posts = db.prepare("SELECT count(*) FROM temp.plan WHERE decision != 'skip'").pluck().get() as number;
  const keyAt = db.prepare("SELECT linkId, itemId FROM temp.plan WHERE rowid = ?").raw(true);
  const key = (rowid: number) => keyAt.get(rowid) as [number, string];
  for (let start = 1; start <= posts; ) {
    const [linkId, itemId] = key(start);
    let low = start;
    let high = posts;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      const [l, i] = key(mid);
      if (l === linkId && i === itemId) low = mid;
      else high = mid - 1;
    }
    yield [start, low];
    start = low + 1;
  }
}

/** Every column the plan may post to, with its URL when gg4l knows it. */
export function planTargetColumns(
  db: Db,
): Array<{ linkId: number; itemId: string; columnUrl: string | null }> {
  return db
    .prepare(
      "SELECT link_id AS linkId, item_id AS itemId, column_url AS columnUrl FROM temp.plan_targets ORDER BY link_id, item_id",
    )
    .all() as Array<{ linkId: number; itemId: string; columnUrl: string | null }>;
}

const DIGEST_CHUNK = 4096;
/** A column of fewer posts than this is hashed as one text (about 150 bytes a post). */
const WHOLE_COLUMN = 100_000;

/** Record the columns a run will create as its first plan items (seq 1…n); returns n. */
export function savePlanColumns(db: Db, runId: number): number {
  return db
    .prepare(
      `INSERT INTO plan_items (run_id, seq, action, link_id, course_id, item_id, container_url, resource_link_id, label,
         score_maximum)
       SELECT @runId, row_number() OVER (ORDER BY linkId, itemId), 'create-column', linkId, courseId, itemId,
         containerUrl, resourceLinkId, label, ${SCORE_MAXIMUM}
       FROM temp.plan_columns`,
    )
    .run({ runId }).changes;
}

/**
 * A score the plan posts: `seq` is its place in the plan (posts come first, from 1). Its column
 * is found by `linkId` and `itemId` among the plan's few targets (`planTargetColumns`) rather
 * than read again with every one of a million scores.
 */
export type PlanPost = { seq: number; kind: PostKind; linkId: number } & Pick<
  PlanRow,
  "itemId" | "lmsUserId" | "scoreGiven" | "scoreMaximum" | "comment" | "commentChanged" | "lastSentMs"
>;

type PlanPostTuple = [
  number,
  PostKind,
  number,
  string,
  string | null,
  number | null,
  number,
  string | null,
  number,
  number | null,
];

/** The plan's posts after `afterSeq`, in plan order, at most `limit`. */
export function planPosts(db: Db, afterSeq: number, limit: number): PlanPost[] {
  // Rows as arrays: better-sqlite3 builds row objects at twice the cost of this loop.
  const rows = stmt(
    db,
    `SELECT rowid, decision, linkId, itemId, lmsUserId, scoreGiven, scoreMaximum, comment, commentChanged, lastSentMs
     FROM temp.plan WHERE rowid > ? AND decision != 'skip' ORDER BY rowid LIMIT ?`,
  )
    .raw(true)
    .all(afterSeq, limit) as PlanPostTuple[];
  return rows.map((r) => ({
    seq: r[0],
    kind: r[1],
    linkId: r[2],
    itemId: r[3],
    lmsUserId: r[4],
    scoreGiven: r[5],
    scoreMaximum: r[6],
    comment: r[7],
    commentChanged: r[8],
    lastSentMs: r[9],
  }));
}

export function dropPlan(db: Db): void {
  db.exec(
    "DROP TABLE IF EXISTS temp.plan; DROP TABLE IF EXISTS temp.plan_columns; DROP TABLE IF EXISTS temp.plan_targets; DROP TABLE IF EXISTS temp.plan_links; DROP TABLE IF EXISTS temp.plan_test_learners; DROP TABLE IF EXISTS temp.plan_skips;",
  );
}

/**
 * A score `x` as JSON.stringify writes it, as text, given `m`, its whole millionths
 * (ROUNDED_MILLIONTHS): when m / 1e6 is x, from m's digits; else integral ones without a
 * fraction (SQLite writes 100.0); any other by JavaScript itself (`gg4l_json_number`), the one
 * exact judge of the shortest digits. Why m's digits are exact: m / 1e6 is a correctly rounded
 * division of two exact doubles, so when it is x, x is the double nearest the decimal m·10⁻⁶,
 * of at most 15 digits, and no other decimal of 15 digits or fewer is nearest x: it is the
 * shortest, which JavaScript prints, without an exponent from 1e-6 up. Grades have a decimal
 * or two: they are formatted here, not by a million calls into JavaScript.
 */
const JSON_NUMBER = (x: string, m = ROUNDED_MILLIONTHS(x)) => `CASE WHEN ${x} IS NULL THEN 'null'
    WHEN ${x} > 0 AND ${x} < 1e9 AND ${m} / 1e6 = ${x} THEN
      CASE WHEN ${m} % 1000000 = 0 THEN CAST(${m} / 1000000 AS TEXT)
      ELSE rtrim(printf('%d.%06d', ${m} / 1000000, ${m} % 1000000), '0') END
    WHEN ${x} = CAST(${x} AS INTEGER) AND abs(${x}) < 1e15 THEN CAST(CAST(${x} AS INTEGER) AS TEXT)
    ELSE gg4l_json_number(${x}) END`;

const ENTRY_SEPARATOR = ",\n    ";

/**
 * A plan row's entry as JSON, the fields and order of core/sync/plan.ts `entryOfRow` (keep
 * the two together). What one column shares comes bound as JSON already: @link (its link id),
 * `program` (@program, its program, or the row's own for grades no link points at),
 * @names (course and item, with their names), @column (its URL); `because` gives each skip
 * reason its words, bound as @reasonN and @becauseN. The kind and the reason are the
 * planner's own words (new, test-learner…): quoted as they are, with nothing to escape.
 */
const postJson = (program: string) => `concat('{"action":"post","kind":"', kind, @link,
  json_quote(lmsUserId), ',"scoreMaximum":${SCORE_MAXIMUM},"previousScore":',
  ${JSON_NUMBER("previousScore", "previousMillionths")}, ',"comment":', json_quote(comment), ',"programId":', ${program},
  @names, json_quote(externalId), @column, ${JSON_NUMBER("scoreGiven", "scoreMillionths")}, '}')`;

const skipJson = (program: string, reasons: number) => `concat('{"action":"skip","reason":"', reason,
  '","because":', coalesce(CASE reason ${Array.from({ length: reasons }, (_, i) => `WHEN @reason${i} THEN @because${i}`).join(" ")} END, 'null'),
  ',"programId":', ${program}, @names, json_quote(externalId), @column,
  ${JSON_NUMBER("scoreGiven", "scoreMillionths")}, '}')`;

/** A post's digest line (DIGEST_LINE: keep the two together), what one column shares bound as @digestLink and @digestColumn. */
const POST_DIGEST = `concat(kind, @digestLink, externalId, char(31), coalesce(lmsUserId, ''), @digestColumn,
  coalesce(scoreMillionths, ''), char(31), scoreMaximum, char(31), coalesce(previousMillionths, ''), char(31),
  coalesce(comment, ''))`;

/** A grade no link points at as a plan row, in a chunk of one course and item (@unlinkedCourse, @unlinkedItem). */
const UNLINKED_CHUNK = `
    SELECT NULL AS kind, 'no-connected-link' AS reason, g.program_id AS programId, g.external_id AS externalId,
      NULL AS lmsUserId, g.grade AS scoreGiven, ${SCORE_MAXIMUM} AS scoreMaximum, NULL AS previousScore, NULL AS comment,
      ${ROUNDED_MILLIONTHS("g.grade")} AS scoreMillionths, NULL AS previousMillionths
    FROM coursera_grades g
    WHERE g.tenant_id = @tenantId AND g.course_id = @unlinkedCourse AND g.item_id = @unlinkedItem
      AND g.external_id >= @from AND g.external_id IS NOT @after ${FILTERS}
    ORDER BY g.external_id LIMIT @limit`;

/**
 * One chunk of rows as text: the posts' entries, the skips' entries, the posts' digest lines
 * (each ended by a newline), what each row is (a post's kind or a skip's reason, a space
 * between) and the last external id read. A row with a reason is a skip, any other a post.
 * SQLite reads the rows in external id order and joins them in that order.
 */
const chunkOf = (rows: string, program: string, reasons: number) => `
  SELECT CAST(group_concat(${postJson(program)}, '${ENTRY_SEPARATOR}') FILTER (WHERE reason IS NULL) AS BLOB),
    CAST(group_concat(${skipJson(program, reasons)}, '${ENTRY_SEPARATOR}') FILTER (WHERE reason IS NOT NULL) AS BLOB),
    CAST(group_concat(${POST_DIGEST}, char(10)) FILTER (WHERE reason IS NULL) || char(10) AS BLOB),
    group_concat(coalesce(reason, kind), ' '),
    max(externalId)
  FROM (${rows}) p`;

type ChunkRow = [
  posts: Buffer | null,
  skips: Buffer | null,
  digest: Buffer | null,
  kinds: string | null,
  last: string | null,
];

/** Rows per chunk: about 1.5 MB of JSON. */
const JSON_CHUNK = 4096;

/** A part of a dry run's --json list, made by SQLite. */
export interface PlanJsonChunk {
  /** Entries, joined by ",\n    ". */
  json: Buffer;
  /** For posts, their digest lines (what `planDigestChunks` gives for them); null for skips. */
  digest: Buffer | null;
}

/** The plan's counts, added up chunk by chunk as `planJsonStream` reads it. */
export class PlanTally {
  private readonly seen = new Map<string, number>();
  /** What a chunk's rows are: a post's kind or a skip's reason, a space between. */
  add(kinds: string): void {
    for (const kind of kinds.split(" ")) this.seen.set(kind, (this.seen.get(kind) ?? 0) + 1);
  }
  /** As `planCounts` gives them, in its order. */
  counts(): PlanCounts[] {
    const posts = new Set<string>(["new", "changed", "resend"] satisfies PostKind[]);
    return [...this.seen]
      .map(([kind, count]) =>
        posts.has(kind) ? { decision: kind, reason: null, count } : { decision: "skip", reason: kind, count },
      )
      .sort((a, b) => compare(a.decision, b.decision) || compare(a.reason ?? "", b.reason ?? ""));
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The plan of `q` (after `prepareTargets`), decided, listed as JSON and hashed in one pass,
 * without a plan table: a dry run's --json. Each column is read from its grades a chunk at a
 * time, in external id order; its posts go out at once, its skips are kept aside in
 * `plan_skips`, a blob a chunk, until every post is out. Then come the skips: grades no link
 * points at first, then each column's. The order of `planRowsListed`, and of the fingerprint.
 * `tally` counts every row; `because` gives each skip reason its words.
 */
export function* planJsonStream(
  db: Db,
  q: PlanQuery,
  because: Record<string, string>,
  tally: PlanTally,
): Generator<PlanJsonChunk> {
  db.function("gg4l_json_number", { deterministic: true }, (x: unknown) => JSON.stringify(x));
  const reasons = Object.keys(because);
  const bound = {
    ...params(q),
    limit: JSON_CHUNK,
    ...Object.fromEntries(
      reasons.flatMap((reason, i) => [
        [`reason${i}`, reason],
        [`because${i}`, JSON.stringify(because[reason])],
      ]),
    ),
  };
  db.exec("DROP TABLE IF EXISTS temp.plan_skips; CREATE TEMP TABLE plan_skips (json BLOB NOT NULL)");
  const keepSkips = db.prepare("INSERT INTO temp.plan_skips VALUES (?)");
  // LIMIT -1 keeps each row's reason and kind computed once (a co-routine), not again at each use.
  const columnChunk = db
    .prepare(chunkOf(`${decidedRows("chunk")} LIMIT -1`, "@program", reasons.length))
    .raw(true);
  for (const t of targetsNamed(db, q.tenantId)) {
    const shared = {
      ...bound,
      ...namesJson(t.courseId, t.courseName, t.itemId, t.itemName),
      linkId: t.linkId,
      itemId: t.itemId,
      link: `","linkId":${t.linkId},"lmsUserId":`,
      program: JSON.stringify(t.programId),
      column: `,"column":${JSON.stringify(t.columnUrl)},"scoreGiven":`,
      digestLink: ["", t.linkId, t.programId ?? "", t.courseId, t.itemId, ""].join("\u001f"),
      digestColumn: `\u001f${t.columnUrl ?? ""}\u001f`,
    };
    for (const [posts, skips, digest] of chunks(columnChunk, shared, tally)) {
      if (skips) keepSkips.run(skips);
      if (posts) yield { json: posts, digest };
    }
  }
  const unlinkedChunk = db
    .prepare(chunkOf(UNLINKED_CHUNK, "json_quote(programId)", reasons.length))
    .raw(true);
  for (const [courseId, itemId, courseName, itemName] of unlinkedItems(db, q)) {
    const shared = {
      ...bound,
      ...namesJson(courseId, courseName, itemId, itemName),
      unlinkedCourse: courseId,
      unlinkedItem: itemId,
      link: "",
      column: ',"column":null,"scoreGiven":',
      digestLink: "",
      digestColumn: "",
    };
    for (const [, skips] of chunks(unlinkedChunk, shared, tally))
      if (skips) yield { json: skips, digest: null };
  }
  const kept = db
    .prepare("SELECT rowid, json FROM temp.plan_skips WHERE rowid > ? ORDER BY rowid LIMIT 1")
    .raw(true);
  for (let after = 0; ; ) {
    const row = kept.get(after) as [number, Buffer] | undefined;
    if (row === undefined) break;
    yield { json: row[1], digest: null };
    after = row[0];
  }
  db.exec("DROP TABLE temp.plan_skips");
}

/** A statement's chunks, each from where the last ended, counted into `tally`. */
function* chunks(
  statement: ReturnType<Db["prepare"]>,
  shared: Record<string, unknown>,
  tally: PlanTally,
): Generator<ChunkRow> {
  for (let from = "", after: string | null = null; ; ) {
    const row = statement.get({ ...shared, from, after }) as ChunkRow;
    const [, , , kinds, last] = row;
    if (kinds === null || last === null) return;
    tally.add(kinds);
    yield row;
    from = last;
    after = last;
  }
}

/** The course's and the item's ids and names as the JSON of an entry's fields, from courseId to externalId's key. */
function namesJson(courseId: string, courseName: string | null, itemId: string, itemName: string | null) {
  return {
    names: `,"courseId":${JSON.stringify(courseId)},"courseName":${JSON.stringify(courseName)},"itemId":${JSON.stringify(
      itemId || null,
    )},"itemName":${JSON.stringify(itemId ? itemName : null)},"externalId":`,
  };
}

/** The plan's columns (`plan_targets`) with the names of their course and item. */
function targetsNamed(db: Db, tenantId: number) {
  return db
    .prepare(
      `SELECT t.link_id AS linkId, t.item_id AS itemId, t.course_id AS courseId, t.program_id AS programId,
         t.column_url AS columnUrl, c.name AS courseName, i.name AS itemName
       FROM temp.plan_targets t
       LEFT JOIN courses c ON c.tenant_id = ? AND c.course_id = t.course_id
       LEFT JOIN items i ON i.tenant_id = c.tenant_id AND i.course_id = t.course_id AND i.item_id = t.item_id
       ORDER BY t.link_id, t.item_id`,
    )
    .all(tenantId) as Array<{
    linkId: number;
    itemId: string;
    courseId: string;
    programId: string | null;
    columnUrl: string | null;
    courseName: string | null;
    itemName: string | null;
  }>;
}

/**
 * The courses and items of the tenant's grades that no column of the plan is for (under its
 * grade-sync option and course filter), with their names: one index seek per course and item,
 * not a look at every grade.
 */
function* unlinkedItems(db: Db, q: PlanQuery): Generator<[string, string, string | null, string | null]> {
  const targeted = new Set(
    (
      db.prepare("SELECT course_id, item_id FROM temp.plan_targets").raw(true).all() as Array<
        [string, string]
      >
    ).map(([course, item]) => `${course}\u001f${item}`),
  );
  // Plain range seeks: SQLite reads a row value's range, (course_id, item_id) > (?, ?), by scanning.
  const first = db
    .prepare(
      "SELECT course_id, item_id FROM coursera_grades WHERE tenant_id = ? ORDER BY course_id, item_id LIMIT 1",
    )
    .raw(true);
  const nextItem = db
    .prepare(
      `SELECT course_id, item_id FROM coursera_grades WHERE tenant_id = ? AND course_id = ? AND item_id > ?
       ORDER BY item_id LIMIT 1`,
    )
    .raw(true);
  const nextCourse = db
    .prepare(
      `SELECT course_id, item_id FROM coursera_grades WHERE tenant_id = ? AND course_id > ?
       ORDER BY course_id, item_id LIMIT 1`,
    )
    .raw(true);
  const after = ([course, item]: [string, string]) =>
    (nextItem.get(q.tenantId, course, item) ?? nextCourse.get(q.tenantId, course)) as
      | [string, string]
      | undefined;
  const names = db
    .prepare(
      `SELECT (SELECT name FROM courses WHERE tenant_id = @tenantId AND course_id = @courseId),
         (SELECT name FROM items WHERE tenant_id = @tenantId AND course_id = @courseId AND item_id = @itemId)`,
    )
    .raw(true);
  for (
    let pair = first.get(q.tenantId) as [string, string] | undefined;
    pair !== undefined;
    pair = after(pair)
  ) {
    const [courseId, itemId] = pair;
    if ((q.option === "final") !== (itemId === "")) continue;
    if (q.courseId !== undefined && q.courseId !== courseId) continue;
    if (targeted.has(`${courseId}\u001f${itemId}`)) continue;
    const [courseName, itemName] = names.get({ tenantId: q.tenantId, courseId, itemId }) as [
      string | null,
      string | null,
    ];
    yield [courseId, itemId, courseName, itemName];
  }
}
