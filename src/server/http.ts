/** Small node:http helpers for the tool endpoints: form bodies, cookies, answers with safe headers. */
import type { IncomingMessage, ServerResponse } from "node:http";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The rest of the request was not read: answer, then close the connection rather than keep it. */
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

/** The client went away before its request was read (a closed tab, a reset): nothing to answer. */
export class ClientAborted extends Error {}

/** An id_token is a few KB; a picker form far less. */
const MAX_BODY = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new HttpError(413, "the request body is too large", true);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (req.destroyed || (error as NodeJS.ErrnoException).code === "ECONNRESET")
      throw new ClientAborted("the client closed the connection before sending the whole request");
    throw error;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** An `application/x-www-form-urlencoded` body (the only kind LTI browsers post). */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded")
    throw new HttpError(415, "expected a form post (application/x-www-form-urlencoded)");
  return new URLSearchParams(await readBody(req));
}

/** Single-valued fields (the first of each name). */
export function fields(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) if (!(k in out)) out[k] = v;
  return out;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return jar;
}

export interface CookiePolicy {
  /** Behind an https public URL: Secure, and SameSite=None so the LMS can frame and post to the tool. */
  secure: boolean;
  path: string;
}

export function cookie(name: string, value: string, maxAgeSeconds: number, policy: CookiePolicy): string {
  // Browsers drop SameSite=None without Secure; over plain http (a local setup) Lax is what works.
  const sameSite = policy.secure ? "None" : "Lax";
  return [
    `${name}=${value}`,
    `Path=${policy.path}`,
    `Max-Age=${maxAgeSeconds}`,
    "HttpOnly",
    ...(policy.secure ? ["Secure", "Partitioned"] : []),
    `SameSite=${sameSite}`,
  ].join("; ");
}

function baseHeaders(res: ServerResponse): void {
  res.setHeader("cache-control", "no-store");
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "no-referrer");
}

export function sendHtml(res: ServerResponse, status: number, html: string, scriptNonce?: string): void {
  baseHeaders(res);
  const script = scriptNonce ? `'nonce-${scriptNonce}'` : "'none'";
  res.setHeader(
    "content-security-policy",
    `default-src 'none'; style-src 'unsafe-inline'; script-src ${script}; base-uri 'none'; form-action *`,
  );
  res.statusCode = status;
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.end(html);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, cacheSeconds = 0): void {
  baseHeaders(res);
  if (cacheSeconds > 0) res.setHeader("cache-control", `public, max-age=${cacheSeconds}`);
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

export function redirect(res: ServerResponse, location: string): void {
  baseHeaders(res);
  res.statusCode = 302;
  res.setHeader("location", location);
  res.end();
}
