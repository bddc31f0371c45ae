import type { Db } from "./db.js";
import { stmt } from "./statements.js";

export interface ProgramRow {
  programId: string;
  name: string;
  slug: string | null;
  url: string | null;
  licenseCount: number | null;
  active: boolean;
  activatedAt: string | null;
  goneAt: string | null;
  firstSeenAt: string;
  pulledAt: string;
}

export interface ProgramSummary extends ProgramRow {
  courseCount: number;
  itemCount: number;
  members: number;
  testMembers: number;
}

export interface PulledProgram {
  programId: string;
  name: string;
  slug: string | null;
  url: string | null;
  licenseCount: number | null;
}

const summaryColumns = `p.program_id AS programId, p.name, p.slug, p.url, p.license_count AS licenseCount,
  p.active, p.activated_at AS activatedAt, p.gone_at AS goneAt, p.first_seen_at AS firstSeenAt, p.pulled_at AS pulledAt,
  (SELECT count(*) FROM program_courses pc WHERE pc.tenant_id = p.tenant_id AND pc.program_id = p.program_id) AS courseCount,
  (SELECT count(*) FROM program_courses pc JOIN items i ON i.tenant_id = pc.tenant_id AND i.course_id = pc.course_id
     WHERE pc.tenant_id = p.tenant_id AND pc.program_id = p.program_id) AS itemCount,
  (SELECT count(*) FROM memberships m WHERE m.tenant_id = p.tenant_id AND m.program_id = p.program_id) AS members,
  (SELECT count(*) FROM memberships m JOIN learners l ON l.tenant_id = m.tenant_id AND l.external_id = m.external_id
     WHERE m.tenant_id = p.tenant_id AND m.program_id = p.program_id AND l.is_test = 1) AS testMembers`;

type Raw<T> = Omit<T, "active"> & { active: number };
const fromRaw = <T extends { active: boolean }>(raw: Raw<T>): T =>
  ({ ...raw, active: raw.active === 1 }) as T;

export function listProgramSummaries(
  db: Db,
  tenantId: number,
  filter: { active?: boolean } = {},
): ProgramSummary[] {
  const rows = db
    .prepare(
      `SELECT ${summaryColumns} FROM programs p WHERE p.tenant_id = @tenantId
       AND (@active IS NULL OR p.active = @active) ORDER BY p.name, p.program_id`,
    )
    .all({
      tenantId,
      active: filter.active === undefined ? null : filter.active ? 1 : 0,
    }) as Raw<ProgramSummary>[];
  return rows.map(fromRaw);
}

export function programSummary(db: Db, tenantId: number, programId: string): ProgramSummary | undefined {
  const raw = db
    .prepare(`SELECT ${summaryColumns} FROM programs p WHERE p.tenant_id = ? AND p.program_id = ?`)
    .get(tenantId, programId) as Raw<ProgramSummary> | undefined;
  return raw && fromRaw(raw);
}

/** Every program as name/slug/id, for resolving what a user typed. */
export function programNames(
  db: Db,
  tenantId: number,
): Array<{ id: string; name: string; slug: string | null }> {
  return db
    .prepare("SELECT program_id AS id, name, slug FROM programs WHERE tenant_id = ? ORDER BY name")
    .all(tenantId) as Array<{ id: string; name: string; slug: string | null }>;
}

export interface ProgramPullOutcome {
  added: string[];
  renamed: Array<{ programId: string; from: string; to: string }>;
  gone: string[];
  back: string[];
}

/**
 * Upsert the pulled programs; new ones arrive inactive (R2). Programs Coursera no longer
 * lists are marked gone, not deleted, so their links and history stay explainable.
 */
export function savePulledPrograms(
  db: Db,
  tenantId: number,
  pulled: PulledProgram[],
  now: string,
): ProgramPullOutcome {
  const existing = new Map(
    (
      db
        .prepare("SELECT program_id AS id, name, gone_at AS goneAt FROM programs WHERE tenant_id = ?")
        .all(tenantId) as Array<{
        id: string;
        name: string;
        goneAt: string | null;
      }>
    ).map((p) => [p.id, p]),
  );
  const upsert = db.prepare(
    `INSERT INTO programs (tenant_id, program_id, name, slug, url, license_count, first_seen_at, pulled_at)
     VALUES (@tenantId, @programId, @name, @slug, @url, @licenseCount, @now, @now)
     ON CONFLICT(tenant_id, program_id) DO UPDATE SET name = excluded.name, slug = excluded.slug, url = excluded.url,
       license_count = excluded.license_count, pulled_at = excluded.pulled_at, gone_at = NULL`,
  );
  const outcome: ProgramPullOutcome = { added: [], renamed: [], gone: [], back: [] };
  for (const program of pulled) {
    const before = existing.get(program.programId);
    if (!before) outcome.added.push(program.programId);
    else {
      if (before.name !== program.name)
        outcome.renamed.push({ programId: program.programId, from: before.name, to: program.name });
      if (before.goneAt) outcome.back.push(program.programId);
      existing.delete(program.programId);
    }
    upsert.run({ tenantId, ...program, now });
  }
  const markGone = db.prepare(
    "UPDATE programs SET gone_at = ? WHERE tenant_id = ? AND program_id = ? AND gone_at IS NULL",
  );
  for (const [id, left] of existing) {
    if (!left.goneAt) {
      markGone.run(now, tenantId, id);
      outcome.gone.push(id);
    }
  }
  return outcome;
}

/** Sets the active flag; returns whether it changed. */
export function setProgramActive(
  db: Db,
  tenantId: number,
  programId: string,
  active: boolean,
  now: string,
): boolean {
  return (
    db
      .prepare(
        `UPDATE programs SET active = @active, activated_at = CASE WHEN @active = 1 THEN @now ELSE activated_at END
         WHERE tenant_id = @tenantId AND program_id = @programId AND active != @active`,
      )
      .run({ tenantId, programId, active: active ? 1 : 0, now }).changes === 1
  );
}

/** One program's name, as pulled from Coursera. */
export function programName(db: Db, tenantId: number, programId: string): string | undefined {
  return stmt(db, "SELECT name FROM programs WHERE tenant_id = ? AND program_id = ?")
    .pluck()
    .get(tenantId, programId) as string | undefined;
}
