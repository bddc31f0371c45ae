/**
 * Client-credentials tokens for the Coursera Business API: minted with HTTP Basic auth,
 * cached until shortly before expiry, and dropped when a resource answers 401.
 */
import { ExitCode, RemoteError } from "../../base/errors.js";
import { type HttpClient, parseJsonBody } from "../http.js";
import { credentialsError, type ErrorContext } from "./errors.js";
import type { WireToken } from "./wire.js";

interface CachedToken {
  value: string;
  /** Epoch ms after which we mint a new one. */
  renewAt: number;
}

export interface TokenSourceOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  http: HttpClient;
  now: () => number;
  context: Pick<ErrorContext, "tenant" | "orgId">;
}

/** Renew a minute early, or a tenth of the lifetime for short-lived tokens. */
export function renewMargin(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 10);
}

export class CourseraTokenSource {
  private cached: CachedToken | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly opts: TokenSourceOptions) {}

  /** A valid token, minting one when none is cached or the cached one is about to expire. */
  async get(): Promise<string> {
    const cached = this.cached;
    if (cached && this.opts.now() < cached.renewAt) return cached.value;
    // Concurrent callers share one mint.
    this.pending ??= this.mint().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forget `token` (a resource refused it); a newer token minted meanwhile is kept. */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private async mint(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, http, now, context } = this.opts;
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString("base64");
    const started = now();
    const res = await http.request(tokenUrl, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: "grant_type=client_credentials",
      // Minting twice is harmless, so transient failures are retried like a GET.
      retry: true,
      kind: "token",
    });
    const ctx = { ...context, what: "minting an API token" };
    if (res.status === 400 || res.status === 401 || res.status === 403) throw credentialsError(res, ctx);
    if (res.status < 200 || res.status >= 300) {
      throw new RemoteError(`Coursera token endpoint answered HTTP ${res.status} for ${context.tenant}`, {
        status: res.status,
        hint: "Coursera's token service is failing: retry later",
      });
    }
    const body = parseJsonBody<Partial<WireToken> | null>(res, "Coursera token endpoint");
    // `null`, an array or a number is valid JSON but no token: the URL is not Coursera's token endpoint.
    if (
      typeof body !== "object" ||
      body === null ||
      typeof body.access_token !== "string" ||
      body.access_token === ""
    ) {
      throw new RemoteError("Coursera token endpoint answered without an access_token", {
        status: res.status,
        hint: "check that the token URL points at Coursera's /oauth2/client_credentials/token",
        exitCode: ExitCode.config,
      });
    }
    if (typeof body.token_type === "string" && body.token_type.toLowerCase() !== "bearer") {
      throw new RemoteError(
        `Coursera token endpoint issued a "${body.token_type}" token, not a bearer token`,
        {
          hint: "check that the token URL points at Coursera's /oauth2/client_credentials/token",
        },
      );
    }
    const lifetimeMs = (typeof body.expires_in === "number" ? body.expires_in : 1800) * 1000;
    this.cached = { value: body.access_token, renewAt: started + lifetimeMs - renewMargin(lifetimeMs) };
    return body.access_token;
  }
}
