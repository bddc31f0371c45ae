/**
 * The platforms' public keys (LTI §1.5 step 1): one JWKS per URL, cached; an unknown `kid`
 * fetches the set again once (the platform may have rotated its key), at most once per
 * cooldown so a stream of forged `kid`s cannot turn the tool into a fetch loop.
 */
import { importJWK, type JWK } from "jose";

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

export class JwksError extends Error {}
export class UnknownKidError extends Error {}

export interface PlatformKeySetsOptions {
  /** GETs the URL and returns the parsed JSON body; throws JwksError when it cannot. */
  fetchJwks(url: string): Promise<unknown>;
  now(): number;
  /** How long a fetched set is trusted before it is fetched again (default 10 minutes). */
  maxAgeMs?: number;
  /** The least time between two fetches caused by unknown kids (default 5 seconds). */
  cooldownMs?: number;
}

interface Entry {
  fetchedAt: number;
  jwks: Map<string, JWK>;
  imported: Map<string, Promise<VerifyKey>>;
}

function parseJwks(url: string, body: unknown): Map<string, JWK> {
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new JwksError(`the platform JWKS at ${url} has no "keys" array`);
  const byKid = new Map<string, JWK>();
  for (const key of keys as JWK[]) {
    if (key && typeof key.kid === "string" && key.kty === "RSA" && (key.use ?? "sig") === "sig")
      byKid.set(key.kid, key);
  }
  return byKid;
}

export class PlatformKeySets {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;

  constructor(private readonly options: PlatformKeySetsOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.cooldownMs = options.cooldownMs ?? 5_000;
  }

  /** The RS256 verification key with this kid in the JWKS at `url`. */
  async key(url: string, kid: string): Promise<VerifyKey> {
    let entry = this.entries.get(url);
    if (!entry || this.options.now() - entry.fetchedAt >= this.maxAgeMs) entry = await this.fetch(url);
    if (!entry.jwks.has(kid) && this.options.now() - entry.fetchedAt >= this.cooldownMs) {
      entry = await this.fetch(url);
    }
    const jwk = entry.jwks.get(kid);
    if (!jwk) throw new UnknownKidError(`no key with kid "${kid}" in the platform JWKS`);
    let imported = entry.imported.get(kid);
    if (!imported) {
      imported = importJWK({ ...jwk, alg: "RS256" }, "RS256");
      entry.imported.set(kid, imported);
    }
    try {
      return await imported;
    } catch {
      entry.imported.delete(kid);
      throw new JwksError(`the platform key "${kid}" is not a usable RS256 key`);
    }
  }

  /** Concurrent launches share one fetch. */
  private fetch(url: string): Promise<Entry> {
    let pending = this.inflight.get(url);
    if (!pending) {
      pending = this.options
        .fetchJwks(url)
        .then((body) => {
          const entry: Entry = {
            fetchedAt: this.options.now(),
            jwks: parseJwks(url, body),
            imported: new Map(),
          };
          this.entries.set(url, entry);
          return entry;
        })
        .finally(() => this.inflight.delete(url));
      this.inflight.set(url, pending);
    }
    return pending;
  }
}
