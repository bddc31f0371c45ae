import type { Db } from "./db.js";

export interface LearnerRow {
  externalId: string;
  email: string | null;
  fullName: string | null;
  isTest: boolean;
  firstSeenAt: string;
}

export interface LearnerSummary extends LearnerRow {
  programIds: string[];
  launches: number;
  lastLaunchAt: string | null;
}

export interface PulledMembership {
  programId: string;
  externalId: string;
  email: string | null;
  fullName: string | null;
  state: string | null;
  joinedAt: number | null;
}

type Raw<T> = Omit<T, "isTest"> & { isTest: number };

const learnerColumns = `l.external_id AS externalId, l.email, l.full_name AS fullName, l.is_test AS isTest,
  l.first_seen_at AS firstSeenAt`;

/**
 * Replace the tenant's memberships with the pulled roster (licenses as Coursera counts
 * them) and upsert the learners; test flags are kept. Runs inside the caller's transaction.
 */
export function saveMemberships(
  db: Db,
  tenantId: number,
  memberships: Iterable<PulledMembership>,
  now: string,
): number {
  db.prepare("DELETE FROM memberships WHERE tenant_id = ?").run(tenantId);
  const programs = new Set(
    (
      db.prepare("SELECT program_id AS id FROM programs WHERE tenant_id = ?").all(tenantId) as Array<{
        id: string;
      }>
    ).map((p) => p.id),
  );
  const learner = db.prepare(
    `INSERT INTO learners (tenant_id, external_id, email, full_name, first_seen_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(tenant_id, external_id) DO UPDATE SET email = coalesce(excluded.email, learners.email),
       full_name = coalesce(excluded.full_name, learners.full_name)`,
  );
  const member = db.prepare(
    `INSERT INTO memberships (tenant_id, program_id, external_id, state, joined_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );
  // Inserting in key order keeps the B-tree writes local: a large roster saves several times faster.
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const all = [...memberships];
  const learners = new Map<string, PulledMembership>();
  for (const m of all) if (!learners.has(m.externalId)) learners.set(m.externalId, m);
  for (const externalId of [...learners.keys()].sort(byKey)) {
    const m = learners.get(externalId)!;
    learner.run(tenantId, externalId, m.email, m.fullName, now);
  }
  all.sort((a, b) => byKey(a.programId, b.programId) || byKey(a.externalId, b.externalId));
  let count = 0;
  for (const m of all) {
    if (!programs.has(m.programId)) continue;
    count += member.run(tenantId, m.programId, m.externalId, m.state, m.joinedAt).changes;
  }
  return count;
}

export function removeMembership(db: Db, tenantId: number, programId: string, externalId: string): void {
  db.prepare("DELETE FROM memberships WHERE tenant_id = ? AND program_id = ? AND external_id = ?").run(
    tenantId,
    programId,
    externalId,
  );
}

export function addMembership(db: Db, tenantId: number, m: PulledMembership, now: string): void {
  saveLearner(db, tenantId, m, now);
  db.prepare(
    "INSERT OR REPLACE INTO memberships (tenant_id, program_id, external_id, state, joined_at) VALUES (?, ?, ?, ?, ?)",
  ).run(tenantId, m.programId, m.externalId, m.state, m.joinedAt);
}

function saveLearner(
  db: Db,
  tenantId: number,
  m: { externalId: string; email: string | null; fullName: string | null },
  now: string,
) {
  db.prepare(
    `INSERT INTO learners (tenant_id, external_id, email, full_name, first_seen_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(tenant_id, external_id) DO UPDATE SET email = coalesce(excluded.email, learners.email),
       full_name = coalesce(excluded.full_name, learners.full_name)`,
  ).run(tenantId, m.externalId, m.email, m.fullName, now);
}

/** Learners whose external id or e-mail (any case) is `key`. */
export function findLearners(db: Db, tenantId: number, key: string): LearnerRow[] {
  const rows = db
    .prepare(
      `SELECT ${learnerColumns} FROM learners l WHERE l.tenant_id = @tenantId
       AND (l.external_id = @key OR l.email = @key COLLATE NOCASE) ORDER BY l.external_id`,
    )
    .all({ tenantId, key }) as Raw<LearnerRow>[];
  return rows.map((r) => ({ ...r, isTest: r.isTest === 1 }));
}

export function setTestFlag(db: Db, tenantId: number, externalId: string, isTest: boolean): boolean {
  return (
    db
      .prepare("UPDATE learners SET is_test = ? WHERE tenant_id = ? AND external_id = ? AND is_test != ?")
      .run(isTest ? 1 : 0, tenantId, externalId, isTest ? 1 : 0).changes === 1
  );
}

export interface LearnerFilter {
  programId?: string;
  testOnly?: boolean;
  /** Only learners who never launched a link from the LMS (no SSO link yet). */
  neverLaunched?: boolean;
}

export function listLearnerSummaries(db: Db, tenantId: number, filter: LearnerFilter = {}): LearnerSummary[] {
  const rows = db
    .prepare(
      `SELECT ${learnerColumns},
         (SELECT group_concat(m.program_id, ',') FROM memberships m WHERE m.tenant_id = l.tenant_id AND m.external_id = l.external_id) AS programIds,
         (SELECT count(*) FROM launches x WHERE x.tenant_id = l.tenant_id AND x.external_id = l.external_id) AS launches,
         (SELECT max(launched_at) FROM launches x WHERE x.tenant_id = l.tenant_id AND x.external_id = l.external_id) AS lastLaunchAt
       FROM learners l
       WHERE l.tenant_id = @tenantId
         AND (@programId IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = l.tenant_id
              AND m.external_id = l.external_id AND m.program_id = @programId))
         AND (@testOnly = 0 OR l.is_test = 1)
         AND (@neverLaunched = 0 OR NOT EXISTS (SELECT 1 FROM launches x WHERE x.tenant_id = l.tenant_id AND x.external_id = l.external_id))
       ORDER BY l.email, l.external_id`,
    )
    .all({
      tenantId,
      programId: filter.programId ?? null,
      testOnly: filter.testOnly ? 1 : 0,
      neverLaunched: filter.neverLaunched ? 1 : 0,
    }) as Array<Raw<LearnerSummary> & { programIds: string | null }>;
  return rows.map((r) => ({
    ...r,
    isTest: r.isTest === 1,
    programIds: r.programIds ? r.programIds.split(",").sort() : [],
  }));
}

export interface MembershipDetail {
  programId: string;
  programName: string;
  active: boolean;
  state: string | null;
  joinedAt: number | null;
}

export function learnerMemberships(db: Db, tenantId: number, externalId: string): MembershipDetail[] {
  const rows = db
    .prepare(
      `SELECT m.program_id AS programId, p.name AS programName, p.active, m.state, m.joined_at AS joinedAt
       FROM memberships m JOIN programs p ON p.tenant_id = m.tenant_id AND p.program_id = m.program_id
       WHERE m.tenant_id = ? AND m.external_id = ? ORDER BY p.name`,
    )
    .all(tenantId, externalId) as Array<Omit<MembershipDetail, "active"> & { active: number }>;
  return rows.map((r) => ({ ...r, active: r.active === 1 }));
}

export interface LaunchRow {
  contextId: string;
  resourceLinkId: string;
  programId: string | null;
  courseId: string | null;
  itemId: string | null;
  launchedAt: string;
}

export function learnerLaunches(db: Db, tenantId: number, externalId: string, limit = 20): LaunchRow[] {
  return db
    .prepare(
      `SELECT context_id AS contextId, resource_link_id AS resourceLinkId, program_id AS programId, course_id AS courseId,
         item_id AS itemId, launched_at AS launchedAt
       FROM launches WHERE tenant_id = ? AND external_id = ? ORDER BY launched_at DESC LIMIT ?`,
    )
    .all(tenantId, externalId, limit) as LaunchRow[];
}

/** Members of a program, optionally only the test learners. */
export function programMembers(db: Db, tenantId: number, programId: string, testOnly: boolean): LearnerRow[] {
  const rows = db
    .prepare(
      `SELECT ${learnerColumns} FROM memberships m JOIN learners l ON l.tenant_id = m.tenant_id AND l.external_id = m.external_id
       WHERE m.tenant_id = ? AND m.program_id = ? AND (? = 0 OR l.is_test = 1) ORDER BY l.email, l.external_id`,
    )
    .all(tenantId, programId, testOnly ? 1 : 0) as Raw<LearnerRow>[];
  return rows.map((r) => ({ ...r, isTest: r.isTest === 1 }));
}
