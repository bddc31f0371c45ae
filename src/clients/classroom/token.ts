/**
 * Access tokens for the Classroom API: the OAuth 2 JWT bearer grant with an RS256 assertion
 * signed by the service-account key and `sub` = the impersonated teacher (domain-wide
 * delegation, reference §1.1). Cached per (teacher, scope set) until shortly before expiry.
 */
import { ConfigError, RemoteError } from "../../base/errors.js";
import { registerSecret } from "../../base/redact.js";
import { type HttpClient, parseJsonBody, safeOrigin } from "../http.js";
import { googleErrorOf } from "./errors.js";
import type { ServiceAccountKey } from "./key.js";

export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const SCOPE = "https://www.googleapis.com/auth/";

/** gg4l's minimal scope set (reference §1.3). */
export const CLASSROOM_SCOPES: readonly string[] = [
  `${SCOPE}classroom.courses.readonly`,
  `${SCOPE}classroom.coursework.students`,
  `${SCOPE}classroom.rosters.readonly`,
  `${SCOPE}classroom.profile.emails`,
];

export interface ClassroomTokenOptions {
  http: HttpClient;
  now?: () => number;
  scopes?: readonly string[];
}

interface Cached {
  token: string;
  expiresAt: number;
}

export class ClassroomTokenProvider {
  private signingKey: ReturnType<typeof import("jose").importPKCS8> | undefined;
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly now: () => number;
  readonly scopes: readonly string[];

  constructor(
    private readonly key: ServiceAccountKey,
    readonly tokenUrl: string,
    private readonly options: ClassroomTokenOptions,
  ) {
    registerSecret(key.private_key);
    this.now = options.now ?? Date.now;
    this.scopes = options.scopes ?? CLASSROOM_SCOPES;
  }

  /** A token acting as `user` (a teacher's e-mail), from the cache while it has over a minute left. */
  async token(user: string): Promise<string> {
    const cacheKey = `${user.toLowerCase()} ${this.scopes.join(" ")}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt - this.now() > 60_000) return cached.token;
    let pending = this.inflight.get(cacheKey);
    if (!pending) {
      pending = this.fetch(user)
        .then((fresh) => {
          this.cache.set(cacheKey, fresh);
          return fresh.token;
        })
        .finally(() => this.inflight.delete(cacheKey));
      this.inflight.set(cacheKey, pending);
    }
    return pending;
  }

  /** Forget the token of `user` after Classroom refused it (401), so the next call signs a fresh assertion. */
  invalidate(user: string): void {
    this.cache.delete(`${user.toLowerCase()} ${this.scopes.join(" ")}`);
  }

  private async assertion(user: string): Promise<string> {
    const { SignJWT, importPKCS8 } = await import("jose");
    this.signingKey ??= importPKCS8(this.key.private_key, "RS256");
    const iat = Math.floor(this.now() / 1000);
    return (
      new SignJWT({ scope: this.scopes.join(" ") })
        .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.key.private_key_id })
        .setIssuer(this.key.client_email)
        .setSubject(user)
        .setAudience(this.tokenUrl)
        .setIssuedAt(iat)
        // At most one hour after iat (Google's rule).
        .setExpirationTime(iat + 3600)
        .sign(await this.signingKey)
    );
  }

  private async fetch(user: string): Promise<Cached> {
    let assertion: string;
    try {
      assertion = await this.assertion(user);
    } catch (error) {
      throw new ConfigError(`cannot sign with the private key of service account ${this.key.client_email}`, {
        hint: "the key file's private_key is damaged: download a new JSON key and run `gg4l lms register` again",
        cause: error,
      });
    }
    const requestedAt = this.now();
    const res = await this.options.http.request(this.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
      // A token request changes nothing: safe to send again.
      retry: true,
      kind: "token",
    });
    if (res.status !== 200) throw this.refusal(user, res.status, res.body, res);
    const body = parseJsonBody<{ access_token?: string; expires_in?: number; token_type?: string }>(
      res,
      "Google token endpoint",
    );
    if (!body.access_token || (body.token_type && body.token_type.toLowerCase() !== "bearer")) {
      throw new RemoteError(
        `${safeOrigin(this.tokenUrl)} answered the token request without a bearer access_token`,
        {
          status: res.status,
          hint: "check --token-url of the registration (gg4l lms show)",
        },
      );
    }
    registerSecret(body.access_token);
    const lifetime = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 3600;
    return { token: body.access_token, expiresAt: requestedAt + lifetime * 1000 };
  }

  private refusal(
    user: string,
    status: number,
    text: string,
    res: Parameters<typeof googleErrorOf>[0],
  ): Error {
    let oauth: { error?: unknown; error_description?: unknown } = {};
    try {
      oauth = JSON.parse(text) as typeof oauth;
    } catch {
      // not an OAuth error body
    }
    const error = typeof oauth.error === "string" ? oauth.error : undefined;
    const description =
      typeof oauth.error_description === "string" ? oauth.error_description : googleErrorOf(res).message;
    const said = `Google said: ${error ?? `HTTP ${status}`}${description ? ` — ${description}` : ""}`;
    const sa = this.key.client_email;
    if (status === 429 || status >= 500) {
      return new RemoteError(`the Google token endpoint is unavailable (HTTP ${status}); ${said}`, {
        status,
        hint: "Google is throttling or failing; run the command again later",
      });
    }
    if (error === "unauthorized_client") {
      return new ConfigError(
        `Google refused to let service account ${sa} act as ${user}: domain-wide delegation is missing or does not cover gg4l's scopes (${said})`,
        {
          hint: `a super admin must authorize client ID ${this.key.client_id} for the scopes ${this.scopes.join(",")} (Admin console → Security → API controls → Domain-wide delegation)`,
        },
      );
    }
    if (error === "invalid_client") {
      return new ConfigError(`Google does not know service account ${sa} (${said})`, {
        hint: "the service account or its key was deleted: create a new JSON key and run `gg4l lms register --kind google-classroom --service-account-key <file> …` again",
      });
    }
    if (error === "invalid_grant" && /email|user id/i.test(description)) {
      return new ConfigError(
        `Google refused to issue a token for ${user}: no such user in the Workspace domain (${said})`,
        {
          hint: "the impersonated teacher must be a user of the domain that granted the delegation: check --teacher / --course-teacher (gg4l lms show)",
        },
      );
    }
    if (error === "invalid_grant") {
      return new ConfigError(`Google refused the service-account assertion of ${sa} (${said})`, {
        hint: "check this machine's clock and that the key is still valid (not deleted in the Cloud console); the token URL must be the assertion's audience",
      });
    }
    return new ConfigError(`Google refused the token request for ${user} (${said})`, {
      hint: "check the registration's token URL and service-account key (gg4l lms show)",
    });
  }
}
