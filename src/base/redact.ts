/**
 * Redaction for anything that may reach a log, the audit table or --debug output:
 * secrets, bearer tokens, JWTs and learner e-mail addresses.
 */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const SECRET_PARAM =
  /\b(client_secret|client_assertion|access_token|assertion|password|secret|id_token|JWT)=([^&\s]+)/gi;
/** Query parameters and form fields that carry a learner's e-mail or external id, whatever it looks like. */
const LEARNER_PARAM =
  /\b(email|emailAddress|emailOrExternalId|externalId|external_id|lis_person_contact_email_primary)=([^&\s#]+)/gi;
/** A JSON `email` (or external id) field: its value is an e-mail whatever it looks like. */
const LEARNER_FIELD = /("(?:email|emailAddress|externalId|emailOrExternalId)"\s*:\s*")((?:[^"\\]|\\.)+)"/gi;
/** A quoted local part: "quoted name"@uni.edu. */
const QUOTED_EMAIL = /"(?:[^"\\\r\n]|\\.)+"(@|%40)(\[[^\]\s]*\]|[\p{L}\p{N}.-]+)/giu;
/** A run of characters an e-mail address (plain or URL-encoded) can be made of. */
const TOKEN = /[^\s/?&=#,;:'"<>(){}|\\`*]*(?:@|%40|%2540)[^\s/?&=#,;'"<>(){}|\\`*]*/giu;
/** Once decoded: a local part, an @, and a host name or an IP literal, in any script. */
const DECODED_EMAIL =
  /^(.*?)([^\s@]+)@(\[[^\]\s]+\]|[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*)(.*)$/u;

const knownSecrets = new Set<string>();
const NONE: ReadonlySet<string> = new Set();

/** Register a value (a client secret read from env or stdin) that must never be printed. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

/** Percent-decoding that never throws: a broken sequence stays as it is. */
function decodeLoosely(text: string): string {
  let out = text;
  // Twice more for a value encoded again on its way into a URL (ana%2540uni.edu).
  for (let round = 0; round < 3 && out.includes("%"); round++) {
    const next = decodeOnce(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

function decodeOnce(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** `a…@uni.edu`: the first character of the local part and the domain (masking twice changes nothing). */
function masked(local: string, domain: string, at: string): string {
  const first = Array.from(local)[0] ?? "";
  return `${first === "…" ? "" : first}…${at}${domain}`;
}

/** An e-mail address, plain or URL-encoded, in any script or with an IP-literal domain, masked. */
function maskToken(token: string, keep: ReadonlySet<string> = NONE): string {
  const decoded = decodeLoosely(token);
  const m = DECODED_EMAIL.exec(decoded);
  if (!m) return token;
  const [, before, local, domain, after] = m as unknown as [string, string, string, string, string];
  if (keep.has(`${local}@${domain}`) && decoded === token) return token;
  // Encoded stays encoded: it is usually part of a URL.
  if (decoded !== token) return `${before}${masked(local, encodeURIComponent(domain), "%40")}${after}`;
  return `${before}${masked(local, domain, "@")}${after}`;
}

/** A learner identifier (an e-mail or an external id) as it may be shown: `a…@uni.edu`, `a…`. */
export function maskIdentifier(value: string): string {
  const decoded = decodeLoosely(value);
  const quoted = /^"(?:[^"\\]|\\.)+"@(.+)$/u.exec(decoded);
  if (quoted) return `"…@${quoted[1]}`;
  const at = decoded.lastIndexOf("@");
  if (at > 0) return masked(decoded.slice(0, at), decoded.slice(at + 1), "@");
  return `${Array.from(decoded)[0] ?? ""}…`;
}

export function maskEmail(email: string): string {
  return email.replace(TOKEN, (token) => maskToken(token));
}

/**
 * `keep`: values the operator typed on the command line. A message quotes them back as typed
 * (they are the operator's own, not a leak); every other e-mail in it is still masked. Logs,
 * --debug lines and the audit table never pass `keep`.
 */
export function redactKeeping(text: string, keep: ReadonlySet<string>): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join("[secret]");
  const mask = (value: string) => (keep.has(value) ? value : maskIdentifier(value));
  out = out
    .replace(JWT, "[jwt]")
    .replace(BEARER, "$1 [redacted]")
    .replace(SECRET_PARAM, "$1=[redacted]")
    .replace(LEARNER_PARAM, (_all, name: string, value: string) => `${name}=${mask(value)}`)
    .replace(LEARNER_FIELD, (_all, head: string, value: string) => `${head}${mask(value)}"`);
  if (!out.includes("@") && !/%(25)?40/i.test(out)) return out;
  return out
    .replace(QUOTED_EMAIL, (all, at: string, domain: string) => (keep.has(all) ? all : `"…${at}${domain}`))
    .replace(TOKEN, (token) => maskToken(token, keep));
}

export function redact(text: string): string {
  return redactKeeping(text, NONE);
}

/**
 * What the operator typed that a message may quote back: every argument, and the value of a
 * `--flag=value`. Secrets never come through the command line (they are read from stdin).
 */
export function typedValues(argv: readonly string[]): ReadonlySet<string> {
  const values = new Set<string>();
  for (const arg of argv) {
    values.add(arg);
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    if (eq > 0) values.add(arg.slice(eq + 1));
  }
  return values;
}

/** Last four characters only, as Stripe does: enough to tell two secrets apart. */
export function maskSecret(secret: string | undefined): string | null {
  if (!secret) return null;
  return secret.length <= 8 ? "****" : `****${secret.slice(-4)}`;
}
