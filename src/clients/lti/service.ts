/**
 * One authorized call to an LTI Advantage service: the token for the client's scope set, the
 * granted-scope check, one token refresh on 401, back-off on Canvas's 403 rate limit, typed
 * errors for the rest, and Link-header paging.
 */
import {
  backoffDelay,
  defaultRetryPolicy,
  HttpClient,
  type HttpResponse,
  parseJsonBody,
  parseRetryAfter,
  type RetryPolicy,
} from "../http.js";
import { AgsError, agsErrorFor, isRateLimited, lmsMessageOf, type ServiceRoute } from "./errors.js";
import { nextLink } from "./link-header.js";
import { type LtiPlatformKind, type LtiRegistration, platformName } from "./registration.js";
import type { ServiceToken, ServiceTokenProvider } from "./token.js";

export interface ServiceCallerOptions {
  http?: HttpClient;
  sleep?: (ms: number) => Promise<void>;
  retry?: Partial<RetryPolicy>;
}

export interface ServiceCall {
  /** What the call does, for messages ("list line items"). */
  what: string;
  route: ServiceRoute;
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  /** Any one of these granted scopes allows the call. */
  anyOf: readonly string[];
  accept?: string;
  contentType?: string;
  body?: string;
  retry?: boolean;
}

const MAX_PAGES = 10_000;

function scopeHint(kind: LtiPlatformKind): string {
  switch (kind) {
    case "moodle":
      return "in Moodle's external tool settings, set 'IMS LTI Assignment and Grade Services' to 'Use this service for grade sync and column management' (and NRPS to share members)";
    case "canvas":
      return "enable the scope in the Canvas developer key (LTI Advantage Services) and re-enable the key";
    case "d2l":
      return "tick the Assignment and Grade Services / Names and Role Provisioning extensions on the D2L tool and its deployment";
    case "blackboard":
      return "allow grade and membership services in Blackboard's LTI tool provider settings";
    default:
      return "enable the LTI Advantage services (AGS, NRPS) for this tool in the LMS";
  }
}

export class LtiServiceCaller {
  private readonly http: HttpClient;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly policy: RetryPolicy;

  constructor(
    readonly registration: LtiRegistration,
    readonly tokens: ServiceTokenProvider,
    /** The scope set this caller's token is requested for. */
    readonly scopes: readonly string[],
    options: ServiceCallerOptions = {},
  ) {
    this.http = options.http ?? new HttpClient({ retry: options.retry, sleep: options.sleep });
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.policy = { ...defaultRetryPolicy, ...options.retry };
  }

  private get lms(): string {
    return platformName(this.registration.kind);
  }

  private requireScope(token: ServiceToken, call: ServiceCall): void {
    if (call.anyOf.some((s) => token.scopes.includes(s))) return;
    const wanted = call.anyOf.join(" or ");
    if (!call.anyOf.some((s) => this.scopes.includes(s))) {
      throw new AgsError(`${call.what} needs the scope ${wanted}, which this client does not request`, {
        kind: "invalid-request",
        errorCode: "scope_not_requested",
        hint: "construct the client with that scope in its scope set",
      });
    }
    throw new AgsError(
      `${call.what}: ${this.lms} did not grant the scope ${wanted} (granted: ${token.scopes.join(" ") || "none"})`,
      { kind: "config", errorCode: "missing_scope", hint: scopeHint(this.registration.kind) },
    );
  }

  async call(call: ServiceCall): Promise<HttpResponse> {
    let token = this.tokens.freshToken(this.scopes) ?? (await this.tokens.getToken(this.scopes));
    this.requireScope(token, call);
    let refreshed = false;
    let throttled = 0;
    for (;;) {
      const headers: Record<string, string> = { authorization: `Bearer ${token.accessToken}` };
      if (call.accept) headers.accept = call.accept;
      if (call.contentType) headers["content-type"] = call.contentType;
      const res = await this.http.request(call.url, {
        method: call.method,
        headers,
        body: call.body,
        retry: call.retry,
      });
      if (res.status >= 200 && res.status < 300) return res;
      const message = lmsMessageOf(res);
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        this.tokens.invalidate(token);
        token = await this.tokens.getToken(this.scopes);
        this.requireScope(token, call);
        continue;
      }
      // Canvas's historic throttling answer: the request was not processed, so any method may be resent.
      if (res.status === 403 && isRateLimited(403, message) && throttled < this.policy.retries) {
        throttled += 1;
        const delay = parseRetryAfter(res.headers["retry-after"]) ?? backoffDelay(throttled, this.policy);
        await this.sleep(Math.min(this.policy.maxDelayMs, delay));
        continue;
      }
      const error = agsErrorFor(this.registration.kind, call.route, call.what, res);
      if (error.kind === "refresh-token") {
        throw new AgsError(
          `${call.what}: ${this.lms} refused a freshly issued token too (HTTP 401${message ? `: ${message}` : ""})`,
          {
            kind: "config",
            status: 401,
            lmsMessage: message,
            hint: `the token is valid but not accepted here: the scope may be disabled, or the tool not available in this course. ${scopeHint(this.registration.kind)}`,
          },
        );
      }
      throw error;
    }
  }

  /** Every item of a paged list endpoint, following `Link: rel="next"` verbatim (§4.5). */
  async collect<T>(call: ServiceCall, extract: (body: unknown, res: HttpResponse) => T[]): Promise<T[]> {
    const seen = new Set<string>();
    const out: T[] = [];
    let url = call.url;
    for (;;) {
      if (seen.has(url) || seen.size >= MAX_PAGES) {
        throw new AgsError(`${call.what}: ${this.lms}'s Link header leads back to a page already read`, {
          kind: "invalid-request",
          errorCode: "paging_loop",
          hint: "the LMS's paging links are broken; report it with the --debug trace",
        });
      }
      seen.add(url);
      const res = await this.call({ ...call, url });
      out.push(...extract(parseJsonBody<unknown>(res, call.what), res));
      const next = nextLink(res.headers.link, url);
      if (!next) return out;
      url = next;
    }
  }
}

export function expectArray(value: unknown, what: string, lms: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new AgsError(
    `${what}: ${lms} answered with ${value === null ? "null" : typeof value} instead of a JSON array`,
    {
      kind: "invalid-request",
      errorCode: "unexpected_body",
    },
  );
}
