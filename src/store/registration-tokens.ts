/** Single-use LTI Dynamic Registration URLs: only the token's SHA-256 is stored. */
import type { Db } from "./db.js";
import type { GradeSyncOption, LmsKind } from "./lms.js";

export interface RegistrationTokenRow {
  id: number;
  tenantId: number;
  tenantSlug: string;
  kind: LmsKind;
  gradeSync: GradeSyncOption;
  publicUrl: string;
  createdAt: string;
  expiresAt: string;
  claimedAt: string | null;
  usedAt: string | null;
  issuer: string | null;
}

export interface NewRegistrationToken {
  tenantId: number;
  tokenHash: string;
  kind: LmsKind;
  gradeSync: GradeSyncOption;
  publicUrl: string;
  createdAt: string;
  expiresAt: string;
}

export function insertRegistrationToken(db: Db, row: NewRegistrationToken): void {
  db.prepare(
    `INSERT INTO lms_registration_tokens (tenant_id, token_hash, kind, grade_sync, public_url, created_at, expires_at)
     VALUES (@tenantId, @tokenHash, @kind, @gradeSync, @publicUrl, @createdAt, @expiresAt)`,
  ).run(row);
}

export function findRegistrationToken(db: Db, tokenHash: string): RegistrationTokenRow | undefined {
  return db
    .prepare(
      `SELECT k.id, k.tenant_id AS tenantId, t.slug AS tenantSlug, k.kind, k.grade_sync AS gradeSync,
         k.public_url AS publicUrl, k.created_at AS createdAt, k.expires_at AS expiresAt,
         k.claimed_at AS claimedAt, k.used_at AS usedAt, k.issuer
       FROM lms_registration_tokens k JOIN tenants t ON t.id = k.tenant_id WHERE k.token_hash = ?`,
    )
    .get(tokenHash) as RegistrationTokenRow | undefined;
}

/**
 * Takes the URL for one registration attempt: false when another attempt holds it (claimed since
 * `staleBefore`) or it was used meanwhile. A refused attempt releases it so the admin can retry.
 */
export function claimRegistrationToken(db: Db, id: number, now: string, staleBefore: string): boolean {
  const changed = db
    .prepare(
      `UPDATE lms_registration_tokens SET claimed_at = @now
       WHERE id = @id AND used_at IS NULL AND (claimed_at IS NULL OR claimed_at < @staleBefore)`,
    )
    .run({ id, now, staleBefore }).changes;
  return changed === 1;
}

export function releaseRegistrationToken(db: Db, id: number): void {
  db.prepare("UPDATE lms_registration_tokens SET claimed_at = NULL WHERE id = ? AND used_at IS NULL").run(id);
}

export function markRegistrationTokenUsed(db: Db, id: number, issuer: string, now: string): void {
  db.prepare("UPDATE lms_registration_tokens SET used_at = ?, issuer = ? WHERE id = ?").run(now, issuer, id);
}
