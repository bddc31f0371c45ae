/**
 * LTI service access tokens: OAuth 2 client credentials with an RS256 JWT client assertion
 * (§3), cached per registration and scope set until shortly before expiry.
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { RemoteError } from "../../base/errors.js";
import type { ToolKey } from "../../base/keys.js";
import {
  backoffDelay,
  defaultRetryPolicy,
  HttpClient,
  type HttpResponse,
  parseRetryAfter,
  type RetryPolicy,
  safeOrigin,
} from "../http.js";
import { LtiTokenError, lmsMessageOf } from "./errors.js";
import { D2L_TOKEN_AUDIENCE, type LtiRegistration, platformName, tokenAudienceOf } from "./registration.js";

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const DEFAULT_LIFETIME_S = 3600;

export interface ServiceToken {
  accessToken: string;
  /** The scopes the LMS granted: possibly fewer than requested (§3.3). */
  scopes: readonly string[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface ServiceTokenOptions {
  http?: HttpClient;
  now?: () => number;
  newJti?: () => string;
  sleep?: (ms: number) => Promise<void>;
  retry?: Partial<RetryPolicy>;
  /** Lifetime of each client assertion (the spec allows up to 5 minutes). */
  assertionLifetimeSeconds?: number;
}

const scopeKeys = new WeakMap<readonly string[], string>();

/** The cache key of a scope set; callers pass the same array per call, so it is computed once. */
function scopeKey(scopes: readonly string[]): string {
  let key = scopeKeys.get(scopes);
  if (key === undefined) {
    key = [...new Set(scopes)].sort().join(" ");
    scopeKeys.set(scopes, key);
  }
  return key;
}

function refusalHint(reg: LtiRegistration, oauthError: string | undefined, message: string): string {
  if (/\baud/i.test(message)) {
    const expected =
      reg.kind === "d2l" ? `D2L expects ${D2L_TOKEN_AUDIENCE}` : "usually the token URL itself";
    return `the assertion's aud (${tokenAudienceOf(reg)}) is not what the LMS expects: set the registration's token audience (${expected})`;
  }
  if (/jti|replay/i.test(message)) {
    return "the LMS has seen this assertion's jti before: each token request needs a fresh one (report this as a gg4l bug)";
  }
  if (/expired|\bexp\b|\biat\b|\bnbf\b|clock/i.test(message)) {
    return "the LMS refused the assertion's timestamps: check this machine's clock";
  }
  if (/signature|\bkid\b|key/i.test(message)) {
    return "the LMS cannot verify the assertion with the tool's public key: give the LMS the tool's current JWKS (gg4l lms show)";
  }
  if (oauthError === "invalid_scope" || /scope/i.test(message)) {
    return "the LMS grants none of the requested scopes: enable the Assignment and Grade Services (and NRPS) for this tool";
  }
  return "check the registration's client id, token URL and token audience, and that the LMS holds the tool's current public key";
}

export class ServiceTokenProvider {
  private readonly http: HttpClient;
  private readonly now: () => number;
  private readonly newJti: () => string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly policy: RetryPolicy;
  private readonly assertionLifetime: number;
  /** Tokens by scope set, with the margin before expiry at which they are renewed. */
  private readonly cache = new Map<string, { token: ServiceToken; marginMs: number }>();
  private readonly inflight = new Map<string, Promise<ServiceToken>>();

  constructor(
    readonly registration: LtiRegistration,
    private readonly key: ToolKey,
    options: ServiceTokenOptions = {},
  ) {
    this.http = options.http ?? new HttpClient({ retry: options.retry, sleep: options.sleep });
    this.now = options.now ?? Date.now;
    this.newJti = options.newJti ?? randomUUID;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.assertionLifetime = Math.min(300, options.assertionLifetimeSeconds ?? 60);
  }

  /** A token for these scopes, from the cache while it has more than a minute (or a tenth of its life) left. */
  /** The cached token for these scopes while it is fresh, without a round trip through a promise. */
  freshToken(scopes: readonly string[]): ServiceToken | undefined {
    const cached = this.cache.get(scopeKey(scopes));
    return cached && cached.token.expiresAt - this.now() > cached.marginMs ? cached.token : undefined;
  }

  async getToken(scopes: readonly string[]): Promise<ServiceToken> {
    const key = scopeKey(scopes);
    const cached = this.cache.get(key);
    if (cached && cached.token.expiresAt - this.now() > cached.marginMs) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      const requestedAt = this.now();
      pending = this.fetchToken(key.split(" "))
        .then((token) => {
          const lifetime = token.expiresAt - requestedAt;
          this.cache.set(key, { token, marginMs: Math.min(60_000, lifetime / 10) });
          return token;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Forget a token the LMS refused, so the next getToken fetches a new one. */
  invalidate(token: ServiceToken): void {
    for (const [key, cached] of this.cache)
      if (cached.token.accessToken === token.accessToken) this.cache.delete(key);
  }

  async signAssertion(): Promise<string> {
    const { clientId } = this.registration;
    const nowS = Math.floor(this.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.key.kid })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(tokenAudienceOf(this.registration))
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + this.assertionLifetime)
      .setJti(this.newJti())
      .sign(this.key.privateKey);
  }

  private get name(): string {
    return platformName(this.registration.kind);
  }

  private async fetchToken(scopes: string[]): Promise<ServiceToken> {
    const { tokenUrl } = this.registration;
    for (let attempt = 1; ; attempt++) {
      // A fresh assertion per attempt: resending one would be refused as a replayed jti.
      const body = new URLSearchParams({
        grant_type: "client_credentials",
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await this.signAssertion(),
        scope: scopes.join(" "),
      }).toString();
      let res: HttpResponse;
      try {
        res = await this.http.request(tokenUrl, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body,
          kind: "token",
          retry: false,
        });
      } catch (error) {
        const capped = error instanceof RemoteError && error.errorCode === "body_cap";
        if (
          error instanceof RemoteError &&
          error.status === undefined &&
          !capped &&
          attempt <= this.policy.retries
        ) {
          await this.sleep(backoffDelay(attempt, this.policy));
          continue;
        }
        const limit = error instanceof RemoteError && (capped || error.errorCode === "deadline");
        throw new LtiTokenError(
          limit
            ? `the ${this.name} token endpoint failed: ${(error as Error).message}`
            : `cannot reach the ${this.name} token endpoint at ${safeOrigin(tokenUrl)}`,
          {
            hint: limit
              ? ((error as RemoteError).hint ?? "")
              : "check the token URL and the network; retry later if the LMS is down",
            retryable: !capped,
            cause: error,
          },
        );
      }
      if ((res.status >= 500 || res.status === 429) && attempt <= this.policy.retries) {
        await this.sleep(
          Math.min(
            this.policy.maxDelayMs,
            parseRetryAfter(res.headers["retry-after"]) ?? backoffDelay(attempt, this.policy),
          ),
        );
        continue;
      }
      if (res.status === 200) return this.parse(res, scopes);
      throw this.refusal(res);
    }
  }

  private refusal(res: HttpResponse): LtiTokenError {
    let oauthError: string | undefined;
    try {
      const value = JSON.parse(res.body) as { error?: unknown };
      if (typeof value.error === "string") oauthError = value.error;
    } catch {
      // not JSON: the message below says what came back
    }
    const lmsMessage = lmsMessageOf(res);
    const retryable = res.status >= 500 || res.status === 429;
    const said = lmsMessage && lmsMessage !== oauthError ? `: ${lmsMessage}` : "";
    return new LtiTokenError(
      `${this.name} refused the service token request (HTTP ${res.status}${oauthError ? ` ${oauthError}` : ""}${said})`,
      {
        status: res.status,
        errorCode: oauthError,
        lmsMessage,
        retryable,
        hint: retryable
          ? "the LMS token endpoint is failing; retry later"
          : refusalHint(this.registration, oauthError, lmsMessage),
      },
    );
  }

  private parse(res: HttpResponse, requested: string[]): ServiceToken {
    // Moodle labels its JSON token answer text/html (observed), so the body decides, not the header.
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      const what = /^\s*</.test(res.body) ? "an HTML page" : "malformed JSON";
      throw new LtiTokenError(
        `the ${this.name} token endpoint answered HTTP 200 with ${what} instead of a token`,
        {
          status: res.status,
          retryable: false,
          hint: "check the registration's token URL: it may point at a login or proxy page",
        },
      );
    }
    const accessToken = value?.access_token;
    const tokenType = value?.token_type;
    if (
      typeof accessToken !== "string" ||
      accessToken === "" ||
      (tokenType !== undefined && String(tokenType).toLowerCase() !== "bearer")
    ) {
      throw new LtiTokenError(`the ${this.name} token endpoint answered without a bearer access_token`, {
        status: res.status,
        retryable: false,
        hint: "check the registration's token URL",
      });
    }
    const expiresIn = Number(value.expires_in ?? DEFAULT_LIFETIME_S);
    const scopes = typeof value.scope === "string" ? value.scope.split(/\s+/).filter(Boolean) : requested;
    return {
      accessToken,
      scopes,
      expiresAt:
        this.now() + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_LIFETIME_S) * 1000,
    };
  }
}
