import type { Db } from "./db.js";

export const lmsKinds = [
  "moodle",
  "blackboard",
  "canvas",
  "d2l",
  "google-classroom",
  "schoology",
  "buzz",
] as const;
export type LmsKind = (typeof lmsKinds)[number];
export const gradeSyncOptions = ["assignment", "course", "final"] as const;
export type GradeSyncOption = (typeof gradeSyncOptions)[number];

export interface LmsRegistrationRow {
  id: number;
  tenantId: number;
  kind: LmsKind;
  issuer: string;
  clientId: string;
  deploymentId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  tokenAudience: string | null;
  gradeSync: GradeSyncOption;
  incremental: boolean;
  noSso: boolean;
  /** Google Classroom: return graded submissions to students (releases the grade). */
  classroomReturn: boolean;
  /** A launch by a learner marked as test may take a license (R5); off by default. */
  testLaunches: boolean;
  createdAt: string;
  updatedAt: string;
}

export type NewLmsRegistration = Omit<
  LmsRegistrationRow,
  "id" | "createdAt" | "updatedAt" | "incremental" | "noSso" | "classroomReturn" | "testLaunches"
>;

const columns = `r.id, r.tenant_id AS tenantId, r.kind, r.issuer, r.client_id AS clientId,
  r.deployment_id AS deploymentId, r.auth_url AS authUrl, r.token_url AS tokenUrl, r.jwks_url AS jwksUrl,
  r.token_audience AS tokenAudience, r.grade_sync AS gradeSync, r.incremental, r.no_sso AS noSso,
  r.classroom_return AS classroomReturn, r.test_launches AS testLaunches, r.created_at AS createdAt, r.updated_at AS updatedAt`;

type RawRow = Omit<LmsRegistrationRow, "incremental" | "noSso" | "classroomReturn" | "testLaunches"> & {
  incremental: number;
  noSso: number;
  classroomReturn: number;
  testLaunches: number;
};

function fromRaw(raw: RawRow | undefined): LmsRegistrationRow | undefined {
  return (
    raw && {
      ...raw,
      incremental: raw.incremental === 1,
      noSso: raw.noSso === 1,
      classroomReturn: raw.classroomReturn === 1,
      testLaunches: raw.testLaunches === 1,
    }
  );
}

export function findRegistrationByTenant(db: Db, tenantId: number): LmsRegistrationRow | undefined {
  return fromRaw(
    db.prepare(`SELECT ${columns} FROM lms_registrations r WHERE r.tenant_id = ?`).get(tenantId) as RawRow,
  );
}

/** Registrations of one LMS instance (issuer), with the slug of the tenant each belongs to. */
export function findRegistrationsByIssuer(
  db: Db,
  issuer: string,
): Array<LmsRegistrationRow & { tenantSlug: string }> {
  const rows = db
    .prepare(
      `SELECT ${columns}, t.slug AS tenantSlug FROM lms_registrations r JOIN tenants t ON t.id = r.tenant_id
       WHERE r.issuer = ? ORDER BY t.slug`,
    )
    .all(issuer) as Array<RawRow & { tenantSlug: string }>;
  return rows.map((raw) => ({ ...fromRaw(raw)!, tenantSlug: raw.tenantSlug }));
}

/** Insert, or replace the connection details of the tenant's registration (sync settings kept). */
export function upsertRegistration(db: Db, reg: NewLmsRegistration, now: string): LmsRegistrationRow {
  db.prepare(
    `INSERT INTO lms_registrations (tenant_id, kind, issuer, client_id, deployment_id, auth_url, token_url,
       jwks_url, token_audience, grade_sync, created_at, updated_at)
     VALUES (@tenantId, @kind, @issuer, @clientId, @deploymentId, @authUrl, @tokenUrl, @jwksUrl, @tokenAudience,
       @gradeSync, @now, @now)
     ON CONFLICT(tenant_id) DO UPDATE SET kind = excluded.kind, issuer = excluded.issuer,
       client_id = excluded.client_id, deployment_id = excluded.deployment_id, auth_url = excluded.auth_url,
       token_url = excluded.token_url, jwks_url = excluded.jwks_url, token_audience = excluded.token_audience,
       grade_sync = excluded.grade_sync, updated_at = excluded.updated_at`,
  ).run({ ...reg, now });
  return findRegistrationByTenant(db, reg.tenantId)!;
}

export function setGradeSync(db: Db, issuer: string, option: GradeSyncOption, now: string): number {
  return db
    .prepare("UPDATE lms_registrations SET grade_sync = ?, updated_at = ? WHERE issuer = ?")
    .run(option, now, issuer).changes;
}

export function setFlag(
  db: Db,
  registrationId: number,
  flag: "incremental" | "no_sso" | "classroom_return" | "test_launches",
  on: boolean,
  now: string,
): void {
  db.prepare(`UPDATE lms_registrations SET ${flag} = ?, updated_at = ? WHERE id = ?`).run(
    on ? 1 : 0,
    now,
    registrationId,
  );
}
