/**
 * Single-use OIDC login states (LTI §1.3): the `state` bound to the browser by a cookie and
 * the `nonce` the id_token must carry. A used state is kept until it expires, so a replay
 * is told apart from a state that never existed.
 */
import type { Db } from "./db.js";

export interface OidcStateRow {
  state: string;
  nonce: string;
  registrationId: number;
  targetLinkUri: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

export type ConsumedState =
  | { ok: true; row: OidcStateRow; issuer: string }
  | { ok: false; problem: "unknown" | "used" | "expired" };

export function insertOidcState(db: Db, row: Omit<OidcStateRow, "usedAt">): void {
  db.prepare(
    `INSERT INTO oidc_states (state, nonce, registration_id, target_link_uri, created_at, expires_at)
     VALUES (@state, @nonce, @registrationId, @targetLinkUri, @createdAt, @expiresAt)`,
  ).run(row);
}

/** Drops states past their expiry, used or not: their id_tokens have expired too. */
export function purgeExpiredOidcStates(db: Db, now: string): number {
  return db.prepare("DELETE FROM oidc_states WHERE expires_at <= ?").run(now).changes;
}

/** Marks the state used and returns it (with its registration's issuer) when it was unused and unexpired. */
export function consumeOidcState(db: Db, state: string, now: string): ConsumedState {
  return db.transaction((): ConsumedState => {
    const found = db
      .prepare(
        `SELECT s.state, s.nonce, s.registration_id AS registrationId, s.target_link_uri AS targetLinkUri,
           s.created_at AS createdAt, s.expires_at AS expiresAt, s.used_at AS usedAt, r.issuer
         FROM oidc_states s JOIN lms_registrations r ON r.id = s.registration_id WHERE s.state = ?`,
      )
      .get(state) as (OidcStateRow & { issuer: string }) | undefined;
    if (!found) return { ok: false, problem: "unknown" };
    if (found.usedAt !== null) return { ok: false, problem: "used" };
    if (found.expiresAt <= now) return { ok: false, problem: "expired" };
    db.prepare("UPDATE oidc_states SET used_at = ? WHERE state = ? AND used_at IS NULL").run(now, state);
    const { issuer, ...row } = found;
    return { ok: true, row: { ...row, usedAt: now }, issuer };
  })();
}
