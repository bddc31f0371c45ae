/**
 * The one HTTP layer: an undici Agent per process (keep-alive, bounded connections per
 * origin), a total deadline and a body cap per request (by kind of call), retries with
 * exponential backoff + jitter that honour Retry-After, and a redacted --debug trace
 * (method, URL, status, duration).
 */
import { Agent, type Dispatcher, errors as undiciErrors } from "undici";
import { ConfigError, RemoteError } from "../base/errors.js";
import { redact } from "../base/redact.js";
import { onShutdown } from "../base/shutdown.js";
import { bodyFirstLine, describeAnswer } from "./answer.js";

export { bodyFirstLine, describeAnswer };

export interface DebugLogger {
  debug(message: string): void;
  /** false: debug() prints nothing, so tracing skips building its lines. */
  debugEnabled?: boolean;
}

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 5, baseDelayMs: 250, maxDelayMs: 30_000 };

/**
 * What a call is, for its limits: a token request, a read (a page of a list, one resource) or
 * a write (a score, a column, a membership). GET/HEAD default to "read", the rest to "write".
 */
export type CallKind = "token" | "read" | "write";

export interface CallLimits {
  /** Total deadline of one attempt: connect, headers and the whole body. */
  deadlineMs: number;
  /** The most body bytes read from one answer. */
  maxBodyBytes: number;
}

export type HttpLimits = Record<CallKind, CallLimits>;

const MB = 1024 * 1024;
export const defaultHttpLimits: HttpLimits = {
  token: { deadlineMs: 30_000, maxBodyBytes: 64 * 1024 },
  read: { deadlineMs: 60_000, maxBodyBytes: 8 * MB },
  write: { deadlineMs: 30_000, maxBodyBytes: 1 * MB },
};

const KIND_NAMES: Record<CallKind, string> = { token: "a token request", read: "a read", write: "a write" };

/**
 * The limits with the environment's overrides: GG4L_HTTP_DEADLINE_<KIND>_MS and
 * GG4L_HTTP_MAX_BODY_<KIND>_BYTES, KIND one of TOKEN, READ, WRITE (whole positive numbers).
 */
export function httpLimitsFromEnv(env: Record<string, string | undefined>): HttpLimits {
  const out = {} as HttpLimits;
  for (const kind of Object.keys(defaultHttpLimits) as CallKind[]) {
    const name = kind.toUpperCase();
    out[kind] = {
      deadlineMs: positive(env, `GG4L_HTTP_DEADLINE_${name}_MS`) ?? defaultHttpLimits[kind].deadlineMs,
      maxBodyBytes: positive(env, `GG4L_HTTP_MAX_BODY_${name}_BYTES`) ?? defaultHttpLimits[kind].maxBodyBytes,
    };
  }
  return out;
}

function positive(env: Record<string, string | undefined>, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new ConfigError(`${name} must be a whole number above 0, not "${text}"`, {
      hint: `unset ${name} to use the default, or give it a value such as ${name.endsWith("_MS") ? "60000" : "8388608"}`,
    });
  return Number(text);
}

function sizeText(bytes: number): string {
  if (bytes >= MB && bytes % MB === 0) return `${bytes / MB} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

/** The limit an attempt hit; `code` lets the retry logic treat a deadline like a dropped connection. */
class LimitHit extends Error {
  constructor(
    readonly code: "GG4L_DEADLINE" | "GG4L_BODY_CAP",
    message: string,
  ) {
    super(message);
  }
}

export interface HttpRequest {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The kind of call, for its default deadline and body cap. */
  kind?: CallKind;
  /** The total deadline of one attempt, overriding the kind's. */
  timeoutMs?: number;
  /** The body cap, overriding the kind's. */
  maxBodyBytes?: number;
  /**
   * Whether a failed attempt may be sent again. Defaults to true for GET/HEAD/PUT/DELETE and
   * false for POST/PATCH; callers opt a POST in when a repeat cannot double-apply (an LTI
   * score POST with the same timestamp, a token request).
   */
  retry?: boolean;
  /** Statuses to hand back to the caller instead of retrying (e.g. 401 handled by a token refresh). */
  noRetryStatuses?: number[];
  signal?: AbortSignal;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Attempts made, 1 when the first succeeded. */
  attempts: number;
}

export interface HttpClientOptions {
  dispatcher?: Dispatcher;
  /** Deadlines and body caps per kind of call (default: defaultHttpLimits with the GG4L_HTTP_* overrides). */
  limits?: Partial<HttpLimits>;
  logger?: DebugLogger;
  userAgent?: string;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** Called with the delay before each retry (tests and adaptive concurrency use it). */
  onRetry?: (info: {
    url: string;
    status?: number;
    error?: string;
    delayMs: number;
    attempt: number;
  }) => void;
  /** Called with every answer (adaptive concurrency reads throttling headers such as X-Rate-Limit-Remaining). */
  onResponse?: (info: { url: string; status: number; headers: Record<string, string> }) => void;
  /**
   * Waited for before each attempt is sent; the function it resolves to is called once the
   * attempt ended (a budget of requests in flight shared with other clients, by host). Retry
   * pauses hold no slot, and an attempt's deadline starts only once it has one.
   */
  gate?: (url: string) => Promise<() => void>;
}

let sharedAgent: Agent | undefined;

/** The process-wide undici Agent. */
export function sharedDispatcher(): Agent {
  if (!sharedAgent) onShutdown(closeSharedDispatcher);
  sharedAgent ??= new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connections: 64,
    pipelining: 1,
    connect: { timeout: 10_000 },
  });
  return sharedAgent;
}

export async function closeSharedDispatcher(): Promise<void> {
  const agent = sharedAgent;
  sharedAgent = undefined;
  if (agent) await agent.close();
}

const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
  "GG4L_DEADLINE",
]);

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export function backoffDelay(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function networkCode(error: unknown): string | undefined {
  if (error && typeof error === "object") {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const cause = (error as { cause?: unknown }).cause;
    if (cause) return networkCode(cause);
  }
  return undefined;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  // for…in, not Object.entries: this runs once per answer, a million times in a large sync.
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Names the limits in messages: "the deadline for a read (60 s)". */
  kind: CallKind;
  signal: AbortSignal | undefined;
}

/**
 * One exchange through the dispatcher's handler interface, the body gathered as bytes. undici's
 * request() wraps each answer in a Readable stream; a sync sends a million small posts, and
 * skipping that stream costs about a third less CPU per post (bench/README.md).
 */
function send(dispatcher: Dispatcher, url: string, opts: SendOptions): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const { signal } = opts;
    if (signal?.aborted) {
      reject(new undiciErrors.RequestAbortedError());
      return;
    }
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    let received = 0;
    let abortController: Dispatcher.DispatchController | undefined;
    let stopped: Error | undefined;
    // Stops the exchange now (Ctrl-C, deadline, cap): rejects at once, and aborts the request
    // as soon as undici hands over its controller, if it has not yet.
    const stop = (reason: Error) => {
      if (stopped) return;
      stopped = reason;
      abortController?.abort(reason);
      settle();
      reject(reason);
    };
    const onAbort = () => stop(new undiciErrors.RequestAbortedError());
    signal?.addEventListener("abort", onAbort, { once: true });
    const host = safeOrigin(url);
    const what = KIND_NAMES[opts.kind];
    const deadline = setTimeout(
      () =>
        stop(
          new LimitHit(
            "GG4L_DEADLINE",
            `${host} sent no complete answer within ${opts.timeoutMs / 1000} s (the deadline for ${what})`,
          ),
        ),
      opts.timeoutMs,
    );
    const overCap = () =>
      stop(
        new LimitHit(
          "GG4L_BODY_CAP",
          `${host} sent an answer larger than ${sizeText(opts.maxBodyBytes)} (the cap for ${what})`,
        ),
      );
    function settle() {
      clearTimeout(deadline);
      signal?.removeEventListener("abort", onAbort);
    }
    try {
      const { origin, pathname, search } = new URL(url);
      dispatcher.dispatch(
        {
          origin,
          path: pathname + search,
          method: opts.method as Dispatcher.HttpMethod,
          headers: opts.headers,
          body: opts.body,
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
        },
        {
          onRequestStart(controller) {
            abortController = controller;
            if (stopped) controller.abort(stopped);
          },
          onResponseStart(_controller, statusCode, responseHeaders) {
            status = statusCode;
            headers = responseHeaders;
            const length = Number(responseHeaders["content-length"]);
            if (length > opts.maxBodyBytes) overCap();
          },
          onResponseData(_controller, chunk) {
            if (stopped) return;
            received += chunk.length;
            if (received > opts.maxBodyBytes) {
              overCap();
              return;
            }
            chunks.push(chunk);
          },
          onResponseEnd() {
            if (stopped) return;
            settle();
            const body =
              chunks.length === 0
                ? ""
                : (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString("utf8");
            resolve({ status, headers, body });
          },
          onResponseError(_controller, error) {
            if (stopped) return;
            settle();
            reject(error);
          },
        },
      );
    } catch (error) {
      settle();
      reject(error);
    }
  });
}

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly logger: DebugLogger | undefined;
  private readonly userAgent: string;
  private readonly policy: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onRetry: HttpClientOptions["onRetry"];
  private readonly onResponse: HttpClientOptions["onResponse"];
  private readonly limits: HttpLimits;
  private readonly gate: HttpClientOptions["gate"];

  constructor(options: HttpClientOptions = {}) {
    this.limits = { ...httpLimitsFromEnv(process.env), ...options.limits };
    this.dispatcher = options.dispatcher ?? sharedDispatcher();
    this.logger = options.logger;
    this.userAgent = options.userAgent ?? "gg4l";
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.onRetry = options.onRetry;
    this.onResponse = options.onResponse;
    this.gate = options.gate;
  }

  private send(url: string, opts: SendOptions): Promise<RawAnswer> {
    return this.gate ? this.sendGated(this.gate, url, opts) : send(this.dispatcher, url, opts);
  }

  private async sendGated(gate: NonNullable<HttpClientOptions["gate"]>, url: string, opts: SendOptions) {
    const leave = await gate(url);
    try {
      return await send(this.dispatcher, url, opts);
    } finally {
      leave();
    }
  }

  async request(url: string, req: HttpRequest = {}): Promise<HttpResponse> {
    const method = req.method ?? "GET";
    const mayRetry = req.retry ?? (method !== "POST" && method !== "PATCH");
    const maxAttempts = mayRetry ? this.policy.retries + 1 : 1;
    const kind = req.kind ?? (method === "GET" || method === "HEAD" ? "read" : "write");
    const limits = this.limits[kind];
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const res = await this.send(url, {
          method,
          headers: { "user-agent": this.userAgent, ...req.headers },
          body: req.body,
          timeoutMs: req.timeoutMs ?? limits.deadlineMs,
          maxBodyBytes: req.maxBodyBytes ?? limits.maxBodyBytes,
          kind,
          signal: req.signal,
        });
        const headers = flattenHeaders(res.headers);
        this.trace(method, url, res.status, started, attempt);
        this.onResponse?.({ url, status: res.status, headers });
        const retryable = isRetryableStatus(res.status) && !req.noRetryStatuses?.includes(res.status);
        if (retryable && attempt < maxAttempts) {
          const delay = Math.min(
            this.policy.maxDelayMs,
            parseRetryAfter(headers["retry-after"]) ?? backoffDelay(attempt, this.policy),
          );
          this.onRetry?.({ url, status: res.status, delayMs: delay, attempt });
          await this.sleep(delay);
          continue;
        }
        return { url, status: res.status, headers, body: res.body, attempts: attempt };
      } catch (error) {
        const code = networkCode(error);
        this.trace(method, url, code ?? "error", started, attempt);
        if (error instanceof undiciErrors.RequestAbortedError || req.signal?.aborted) throw error;
        if (code && RETRYABLE_NETWORK_CODES.has(code) && attempt < maxAttempts) {
          const delay = backoffDelay(attempt, this.policy);
          this.onRetry?.({ url, error: code, delayMs: delay, attempt });
          await this.sleep(delay);
          continue;
        }
        const origin = safeOrigin(url);
        if (error instanceof LimitHit) throw limitError(error, kind, attempt);
        throw new RemoteError(`cannot reach ${origin}: ${code ?? (error as Error).message}`, {
          hint: "check the URL, the network and that the server is running; retry later if it is overloaded",
          cause: error,
        });
      }
    }
  }

  private trace(
    method: string,
    url: string,
    status: number | string,
    started: number,
    attempt: number,
  ): void {
    if (!this.logger || this.logger.debugEnabled === false) return;
    const ms = Math.round(performance.now() - started);
    const retry = attempt > 1 ? ` (attempt ${attempt})` : "";
    this.logger.debug(`http ${method} ${redact(url)} → ${status} ${ms}ms${retry}`);
  }
}

function limitError(hit: LimitHit, kind: CallKind, attempts: number): RemoteError {
  const name = kind.toUpperCase();
  const tries = attempts > 1 ? ` (${attempts} attempts)` : "";
  return hit.code === "GG4L_DEADLINE"
    ? new RemoteError(`${hit.message}${tries}`, {
        errorCode: "deadline",
        hint: `the server is overloaded or trickling its answer; retry later, or raise the deadline with GG4L_HTTP_DEADLINE_${name}_MS`,
        cause: hit,
      })
    : new RemoteError(hit.message, {
        errorCode: "body_cap",
        hint: `check the configured URL (a wrong endpoint can stream anything); raise the cap with GG4L_HTTP_MAX_BODY_${name}_BYTES only if the answer is legitimately that large`,
        cause: hit,
      });
}

export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/**
 * Parse a JSON body, turning HTML error pages and malformed JSON into a RemoteError that
 * says what came back instead of a SyntaxError.
 */
export function parseJsonBody<T>(res: HttpResponse, what: string): T {
  const contentType = res.headers["content-type"] ?? "";
  const text = res.body;
  if (/text\/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(text)) {
    throw new RemoteError(
      `${what}: ${safeOrigin(res.url)} answered HTTP ${res.status} with an HTML page instead of JSON`,
      {
        status: res.status,
        hint: "the URL may point at a login page, a proxy or a maintenance page: check the configured base URL",
      },
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new RemoteError(`${what}: ${safeOrigin(res.url)} answered HTTP ${res.status} with malformed JSON`, {
      status: res.status,
      hint: "the server sent a truncated or invalid body; retry, and report it if it persists",
      cause: error,
    });
  }
}

/** The media type of a Content-Type header, lower-cased and without parameters ("" when absent). */
export function mediaTypeOf(res: Pick<HttpResponse, "headers">): string {
  return (res.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/** application/json and the `+json` vendor types (AGS, NRPS). */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === "application/json" || mediaType.endsWith("+json");
}

/**
 * What a write's 2xx answer carries: nothing (an empty body), JSON under a JSON media type, or
 * something else — an HTML login or maintenance page from a proxy, text, a wrong media type —
 * which is not the server's acknowledgement: the caller raises its own typed error for it.
 */
export function writeAnswer(
  res: Pick<HttpResponse, "headers" | "body">,
): { kind: "empty" } | { kind: "json"; value: unknown } | { kind: "other" } {
  if (res.body.trim() === "") return { kind: "empty" };
  if (!isJsonMediaType(mediaTypeOf(res))) return { kind: "other" };
  try {
    return { kind: "json", value: JSON.parse(res.body) as unknown };
  } catch {
    return { kind: "other" };
  }
}
