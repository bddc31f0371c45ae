/** Sync runs, their plan items, the score ledger, known LMS columns and the per-tenant lease. */
import type { Db } from "./db.js";
import { stmt } from "./statements.js";

export type RunStatus = "running" | "ok" | "partial" | "failed" | "interrupted" | "abandoned";
/** Where a run is: pulling from Coursera (and the LMS rosters), planning, posting, folding the ledger. */
export type RunPhase = "pull" | "plan" | "post" | "fold";

export interface RunRow {
  id: number;
  tenantId: number;
  command: string;
  osUser: string;
  pid: number;
  options: Record<string, unknown>;
  fingerprint: string | null;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  counts: Record<string, number>;
  error: string | null;
  phase: RunPhase | null;
}

type RawRun = Omit<RunRow, "options" | "counts"> & { options: string; counts: string };
const runColumns = `id, tenant_id AS tenantId, command, os_user AS osUser, pid, options, fingerprint, status,
  started_at AS startedAt, finished_at AS finishedAt, counts, error, phase`;
const fromRaw = (r: RawRun): RunRow => ({
  ...r,
  options: JSON.parse(r.options),
  counts: JSON.parse(r.counts),
});

export function startRun(
  db: Db,
  run: {
    tenantId: number;
    command: string;
    osUser: string;
    pid: number;
    options: Record<string, unknown>;
    host: string;
    phase: RunPhase;
    now: string;
  },
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO sync_runs (tenant_id, command, os_user, pid, host, options, status, phase, started_at)
         VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
      )
      .run(
        run.tenantId,
        run.command,
        run.osUser,
        run.pid,
        run.host,
        JSON.stringify(run.options),
        run.phase,
        run.now,
      ).lastInsertRowid,
  );
}

/** The run moved on to `phase`; once planned it also knows its plan's fingerprint. */
export function setRunPhase(db: Db, id: number, phase: RunPhase, fingerprint?: string): void {
  db.prepare("UPDATE sync_runs SET phase = ?, fingerprint = coalesce(?, fingerprint) WHERE id = ?").run(
    phase,
    fingerprint ?? null,
    id,
  );
}

export function finishRun(
  db: Db,
  id: number,
  status: RunStatus,
  counts: Record<string, number>,
  now: string,
  error?: string,
): void {
  db.prepare("UPDATE sync_runs SET status = ?, counts = ?, finished_at = ?, error = ? WHERE id = ?").run(
    status,
    JSON.stringify(counts),
    now,
    error ?? null,
    id,
  );
}

const ABANDONED = "the process ended before the run finished (killed, or its machine stopped)";

/**
 * Runs left 'running' by a process that died, marked 'abandoned'. `live` is the holder of the
 * tenant's lease when it is alive: its own run is left alone. One transaction with the lease
 * read, so a run that starts meanwhile is never taken for dead.
 */
export function markAbandonedRuns(
  db: Db,
  tenantId: number,
  now: string,
  live: (held: LockRow | undefined) => { pid: number; host: string } | undefined,
): number {
  return db
    .transaction(() => {
      const holder = live(readLock(db, tenantId));
      return db
        .prepare(
          `UPDATE sync_runs SET status = 'abandoned', finished_at = ?, error = ?
           WHERE tenant_id = ? AND status = 'running' AND NOT (pid IS ? AND coalesce(host, ?) IS ?)`,
        )
        .run(now, ABANDONED, tenantId, holder?.pid ?? null, holder?.host ?? null, holder?.host ?? null)
        .changes;
    })
    .immediate();
}

/** Whether any run of the tenant is still marked running (cheap: commands that look check first). */
export function hasRunningRun(db: Db, tenantId: number): boolean {
  return (
    db.prepare("SELECT 1 FROM sync_runs WHERE tenant_id = ? AND status = 'running' LIMIT 1").get(tenantId) !==
    undefined
  );
}

export function listRuns(db: Db, tenantId: number, limit: number): RunRow[] {
  return (
    db
      .prepare(`SELECT ${runColumns} FROM sync_runs WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`)
      .all(tenantId, limit) as RawRun[]
  ).map(fromRaw);
}

export function findRun(db: Db, tenantId: number, id: number): RunRow | undefined {
  const raw = db
    .prepare(`SELECT ${runColumns} FROM sync_runs WHERE tenant_id = ? AND id = ?`)
    .get(tenantId, id) as RawRun | undefined;
  return raw && fromRaw(raw);
}

/** The latest run of `command`, whatever became of it. */
export function latestRun(db: Db, tenantId: number, command: string): RunRow | undefined {
  const raw = db
    .prepare(
      `SELECT ${runColumns} FROM sync_runs WHERE tenant_id = ? AND command = ? ORDER BY id DESC LIMIT 1`,
    )
    .get(tenantId, command) as RawRun | undefined;
  return raw && fromRaw(raw);
}

export interface PlanItemRow {
  runId: number;
  seq: number;
  action: "create-column" | "post";
  kind: string | null;
  linkId: number;
  courseId: string;
  itemId: string;
  externalId: string | null;
  lmsUserId: string | null;
  columnUrl: string | null;
  containerUrl: string | null;
  resourceLinkId: string | null;
  label: string | null;
  scoreGiven: number | null;
  scoreMaximum: number;
  comment: string | null;
  commentChanged: number;
  lastSentMs: number | null;
  status: "pending" | "done" | "stale" | "failed";
  message: string | null;
}

const itemColumns = `run_id AS runId, seq, action, kind, link_id AS linkId, course_id AS courseId, item_id AS itemId,
  external_id AS externalId, lms_user_id AS lmsUserId, column_url AS columnUrl, container_url AS containerUrl,
  resource_link_id AS resourceLinkId, label, score_given AS scoreGiven, score_maximum AS scoreMaximum, comment,
  comment_changed AS commentChanged, last_sent_ms AS lastSentMs, status, message`;

/** The pending column creations of a run, in order. */
export function pendingColumns(db: Db, runId: number): PlanItemRow[] {
  return db
    .prepare(
      `SELECT ${itemColumns} FROM plan_items WHERE run_id = ? AND action = 'create-column' AND status = 'pending'
       ORDER BY seq`,
    )
    .all(runId) as PlanItemRow[];
}

export interface ItemFailure {
  action: "create-column" | "post";
  externalId: string | null;
  /** The learner's name as Coursera has it, when known. */
  learner: string | null;
  courseId: string;
  itemId: string | null;
  /** The gradebook column's label, else the name of the Coursera item (or course) it holds. */
  column: string | null;
  /** The LMS's HTTP status, when it answered. */
  status: number | null;
  message: string;
}

/** The failed items of a run: who, which course, item and column, and what the LMS said. */
export function failedItems(db: Db, runId: number, limit: number): ItemFailure[] {
  const rows = db
    .prepare(
      `SELECT p.action, p.external_id AS externalId, l.full_name AS learner, p.course_id AS courseId,
         p.item_id AS itemId, coalesce(li.label, p.label, i.name, c.name) AS "column", p.status_code AS status,
         p.message
       FROM plan_items p
       JOIN sync_runs r ON r.id = p.run_id
       LEFT JOIN learners l ON l.tenant_id = r.tenant_id AND l.external_id = p.external_id
       LEFT JOIN line_items li ON li.url = p.column_url
       LEFT JOIN items i ON i.tenant_id = r.tenant_id AND i.course_id = p.course_id AND i.item_id = p.item_id
       LEFT JOIN courses c ON c.tenant_id = r.tenant_id AND c.course_id = p.course_id
       WHERE p.run_id = ? AND p.status = 'failed' ORDER BY p.seq LIMIT ?`,
    )
    .all(runId, limit) as Array<Omit<ItemFailure, "message"> & { message: string | null }>;
  return rows.map((r) => ({ ...r, itemId: r.itemId || null, message: r.message ?? "" }));
}

export function itemStatusCounts(db: Db, runId: number): Record<string, number> {
  const rows = db
    .prepare("SELECT action || ':' || status AS k, count(*) AS n FROM plan_items WHERE run_id = ? GROUP BY k")
    .all(runId) as Array<{ k: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

/** A post of the current plan the LMS refused or that could not be sent: kept as a failed plan item of its run. */
export function failPost(
  db: Db,
  runId: number,
  post: { seq: number; itemSeq: number; columnUrl: string | null },
  failure: { message: string; status: number | null },
  now: string,
): void {
  stmt(
    db,
    `INSERT INTO plan_items (run_id, seq, action, kind, link_id, course_id, item_id, external_id, lms_user_id, column_url,
       score_given, score_maximum, comment, status, message, status_code, done_at)
     SELECT ?, ?, 'post', decision, linkId, courseId, itemId, externalId, lmsUserId, coalesce(?, columnUrl), scoreGiven,
       scoreMaximum, comment, 'failed', ?, ?, ?
     FROM temp.plan WHERE rowid = ?`,
  ).run(runId, post.itemSeq, post.columnUrl, failure.message, failure.status, now, post.seq);
}

export function failItem(
  db: Db,
  runId: number,
  seq: number,
  failure: { message: string; status: number | null },
  now: string,
): void {
  stmt(
    db,
    "UPDATE plan_items SET status = 'failed', message = ?, status_code = ?, done_at = ? WHERE run_id = ? AND seq = ?",
  ).run(failure.message, failure.status, now, runId, seq);
}

/** What the ledger holds for a column and learner: the last score the LMS acknowledged. */
export function ledgerScore(
  db: Db,
  columnUrl: string,
  lmsUserId: string,
): { scoreGiven: number | null; scoreMaximum: number } | undefined {
  return db
    .prepare(
      "SELECT score_given AS scoreGiven, score_maximum AS scoreMaximum FROM score_ledger WHERE column_url = ? AND lms_user_id = ?",
    )
    .get(columnUrl, lmsUserId) as { scoreGiven: number | null; scoreMaximum: number } | undefined;
}

/** The column is known: remember it and end its plan item, in one transaction. */
export function recordColumn(
  db: Db,
  item: { runId: number; seq: number; linkId: number; itemId: string },
  column: { url: string; label: string; scoreMaximum: number; created: boolean },
  now: string,
): void {
  db.transaction(() => {
    db.prepare(
      `INSERT INTO line_items (link_id, item_id, url, label, score_maximum, created, found_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(link_id, item_id) DO UPDATE SET url = excluded.url, label = excluded.label,
         score_maximum = excluded.score_maximum`,
    ).run(
      item.linkId,
      item.itemId,
      column.url,
      column.label,
      column.scoreMaximum,
      column.created ? 1 : 0,
      now,
    );
    db.prepare(
      "UPDATE plan_items SET status = 'done', message = ?, done_at = ? WHERE run_id = ? AND seq = ?",
    ).run(column.created ? "created" : "found", now, item.runId, item.seq);
  })();
}

export function columnUrlFor(db: Db, linkId: number, itemId: string): string | undefined {
  const row = db
    .prepare("SELECT url FROM line_items WHERE link_id = ? AND item_id = ?")
    .get(linkId, itemId) as { url: string } | undefined;
  return row?.url;
}

export interface AckedScore {
  columnUrl: string;
  lmsUserId: string;
  kind: "new" | "changed" | "resend";
  scoreGiven: number | null;
  scoreMaximum: number;
  comment: string | null;
  sentAtMs: number;
  outcome: "accepted" | "stale";
  message: string | null;
}

/** Rows per INSERT statement: far below SQLite's limit of 32,766 parameters. */
const ACKS_PER_INSERT = 32;
const ackInserts: string[] = [];

function ackInsertSql(rows: number): string {
  ackInserts[rows] ??=
    `INSERT INTO score_acks (run_id, column_url, lms_user_id, kind, score_given, score_maximum, comment,
     sent_at_ms, outcome, message, acked_at)
   VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`;
  return ackInserts[rows];
}

function insertAcks(db: Db, runId: number, acks: readonly AckedScore[], now: string): void {
  const params: unknown[] = [];
  for (const a of acks)
    params.push(
      runId,
      a.columnUrl,
      a.lmsUserId,
      a.kind,
      a.scoreGiven,
      a.scoreMaximum,
      a.comment,
      a.sentAtMs,
      a.outcome,
      a.message,
      now,
    );
  stmt(db, ackInsertSql(acks.length)).run(params);
}

/**
 * R9: a score goes into the ledger only once the LMS acknowledged it. Its journal row is the
 * ledger record and the end of its plan item at once, so one append per score is all an
 * acknowledgement writes. All the acknowledgements given commit together: a batch that fits
 * one INSERT is one statement, atomic on its own, which costs about 15% less than a
 * transaction around a statement per row (3.4 µs per acknowledgement instead of 4.0).
 */
export function recordAcks(db: Db, runId: number, acks: readonly AckedScore[], now: string): void {
  if (acks.length === 0) return;
  if (acks.length <= ACKS_PER_INSERT) {
    insertAcks(db, runId, acks, now);
    return;
  }
  db.transaction(() => {
    for (let from = 0; from < acks.length; from += ACKS_PER_INSERT)
      insertAcks(db, runId, acks.slice(from, from + ACKS_PER_INSERT), now);
  })();
}

/**
 * Fold the journal into score_ledger, oldest first, the latest acknowledgement per column and
 * learner winning, in one transaction. Idempotent; returns the acknowledgements folded. One
 * bulk fold costs a third of what folding during the run in small chunks did.
 */
export function mergeAcks(db: Db): number {
  if (db.prepare("SELECT 1 FROM score_acks LIMIT 1").get() === undefined) return 0;
  return db
    .transaction(() => {
      db.prepare(
        `INSERT INTO score_ledger (column_url, lms_user_id, tenant_id, score_given, score_maximum, comment, sent_at_ms,
           outcome, run_id, acked_at)
         SELECT a.column_url, a.lms_user_id, r.tenant_id, a.score_given, a.score_maximum, a.comment, a.sent_at_ms,
           a.outcome, a.run_id, a.acked_at
         FROM score_acks a JOIN sync_runs r ON r.id = a.run_id
         WHERE true ORDER BY a.id
         ON CONFLICT(column_url, lms_user_id) DO UPDATE SET score_given = excluded.score_given,
           score_maximum = excluded.score_maximum, comment = excluded.comment,
           sent_at_ms = max(score_ledger.sent_at_ms, excluded.sent_at_ms), outcome = excluded.outcome,
           run_id = excluded.run_id, acked_at = excluded.acked_at`,
      ).run();
      // Kept per run for `sync show` (the ledger keeps only the latest acknowledgement).
      db.prepare(
        "INSERT INTO score_columns (url) SELECT DISTINCT column_url FROM score_acks WHERE true ON CONFLICT(url) DO NOTHING",
      ).run();
      db.prepare(
        `INSERT INTO run_scores (run_id, column_id, lms_user_id, kind, score_given, score_maximum, outcome)
         SELECT a.run_id, c.id, a.lms_user_id, a.kind, a.score_given, a.score_maximum, a.outcome
         FROM score_acks a JOIN sync_runs r ON r.id = a.run_id JOIN score_columns c ON c.url = a.column_url
         ORDER BY a.id`,
      ).run();
      return db.prepare("DELETE FROM score_acks").run().changes;
    })
    .immediate();
}

export interface LockRow {
  holder: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: number;
}

export function readLock(db: Db, tenantId: number): LockRow | undefined {
  return db
    .prepare(
      "SELECT holder, host, pid, acquired_at AS acquiredAt, expires_at AS expiresAt FROM locks WHERE tenant_id = ?",
    )
    .get(tenantId) as LockRow | undefined;
}

/** Take the lease when it is free, expired, or `takeOver` says its holder is gone. */
export function tryLock(
  db: Db,
  tenantId: number,
  lock: Omit<LockRow, "expiresAt"> & { expiresAt: number },
  nowMs: number,
  takeOver: (held: LockRow) => boolean,
): { acquired: true } | { acquired: false; held: LockRow } {
  return db
    .transaction(() => {
      const held = readLock(db, tenantId);
      if (held && held.expiresAt > nowMs && !takeOver(held)) return { acquired: false as const, held };
      db.prepare(
        `INSERT INTO locks (tenant_id, holder, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(tenant_id) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid,
         acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
      ).run(tenantId, lock.holder, lock.host, lock.pid, lock.acquiredAt, lock.expiresAt);
      return { acquired: true as const };
    })
    .immediate();
}

export function renewLock(db: Db, tenantId: number, pid: number, host: string, expiresAt: number): boolean {
  return (
    db
      .prepare("UPDATE locks SET expires_at = ? WHERE tenant_id = ? AND pid = ? AND host = ?")
      .run(expiresAt, tenantId, pid, host).changes === 1
  );
}

export function releaseLock(db: Db, tenantId: number, pid: number, host: string): void {
  db.prepare("DELETE FROM locks WHERE tenant_id = ? AND pid = ? AND host = ?").run(tenantId, pid, host);
}

/** NRPS members matched to learners by e-mail (no-SSO sync); a launch-learned identity is never overwritten. */
export function saveRosterUsers(
  db: Db,
  registrationId: number,
  tenantId: number,
  members: Array<{ sub: string; email: string; name: string | null }>,
  now: string,
): number {
  const match = db.prepare(
    "SELECT external_id FROM learners WHERE tenant_id = ? AND email = ? COLLATE NOCASE ORDER BY external_id LIMIT 1",
  );
  const upsert = db.prepare(
    `INSERT INTO lms_users (registration_id, sub, external_id, email, name, source, first_seen_at)
     VALUES (?, ?, ?, ?, ?, 'nrps', ?)
     ON CONFLICT(registration_id, sub) DO UPDATE SET external_id = coalesce(lms_users.external_id, excluded.external_id),
       email = coalesce(lms_users.email, excluded.email), name = coalesce(lms_users.name, excluded.name)
     WHERE lms_users.source = 'nrps'`,
  );
  return db.transaction(() => {
    let matched = 0;
    for (const m of members) {
      const externalId = (match.pluck().get(tenantId, m.email) as string | undefined) ?? null;
      if (externalId === null) continue;
      upsert.run(registrationId, m.sub, externalId, m.email, m.name, now);
      matched += 1;
    }
    return matched;
  })();
}

/**
 * The LMS rosters a sync needs were all read now (no-SSO sync, Google Classroom). They are read
 * together, so one row per registration (context '') holds when.
 */
export function recordRosterRead(db: Db, registrationId: number, now: string): void {
  db.prepare(
    `INSERT INTO roster_reads (registration_id, context_id, read_at) VALUES (?, '', ?)
     ON CONFLICT(registration_id, context_id) DO UPDATE SET read_at = excluded.read_at`,
  ).run(registrationId, now);
}

/** When the rosters were last read; undefined when never. */
export function lastRosterRead(db: Db, registrationId: number): string | undefined {
  return db
    .prepare("SELECT read_at FROM roster_reads WHERE registration_id = ? AND context_id = ''")
    .pluck()
    .get(registrationId) as string | undefined;
}

export function rosterUrls(db: Db, registrationId: number): Array<{ contextId: string; url: string }> {
  return db
    .prepare(
      `SELECT context_id AS contextId, max(nrps_url) AS url FROM links
       WHERE registration_id = ? AND nrps_url IS NOT NULL AND stale_at IS NULL GROUP BY context_id ORDER BY context_id`,
    )
    .all(registrationId) as Array<{ contextId: string; url: string }>;
}

export function columnOutcomes(db: Db, runId: number): { created: number; found: number } {
  const rows = db
    .prepare(
      `SELECT message, count(*) AS n FROM plan_items WHERE run_id = ? AND action = 'create-column' AND status = 'done'
       GROUP BY message`,
    )
    .all(runId) as Array<{ message: string; n: number }>;
  const of = (m: string) => rows.find((r) => r.message === m)?.n ?? 0;
  return { created: of("created"), found: of("found") };
}

export function runStatus(db: Db, runId: number): RunStatus | undefined {
  return db.prepare("SELECT status FROM sync_runs WHERE id = ?").pluck().get(runId) as RunStatus | undefined;
}
