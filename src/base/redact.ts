/**
 * Redaction for anything that may reach a log, the audit table or --debug output:
 * secrets, bearer tokens, JWTs and learner e-mail addresses.
 */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
// URL-encoded ("ana%40uni.edu"), as e-mail externalIds appear in Coursera request paths and queries.
const ENCODED_EMAIL = /([A-Za-z0-9._+-])[A-Za-z0-9._+-]*%40([A-Za-z0-9.-]+\.[A-Za-z]{2,})/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const SECRET_PARAM =
  /\b(client_secret|client_assertion|access_token|assertion|password|secret|id_token|JWT)=([^&\s]+)/gi;

const knownSecrets = new Set<string>();

/** Register a value (a client secret read from env or stdin) that must never be printed. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

export function maskEmail(email: string): string {
  return email.replace(EMAIL, "$1…@$2");
}

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join("[secret]");
  return out
    .replace(JWT, "[jwt]")
    .replace(BEARER, "$1 [redacted]")
    .replace(SECRET_PARAM, "$1=[redacted]")
    .replace(EMAIL, "$1…@$2")
    .replace(ENCODED_EMAIL, "$1…%40$2");
}

/** Last four characters only, as Stripe does: enough to tell two secrets apart. */
export function maskSecret(secret: string | undefined): string | null {
  if (!secret) return null;
  return secret.length <= 8 ? "****" : `****${secret.slice(-4)}`;
}
