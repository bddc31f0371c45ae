/**
 * What came back, in words for an error message: pure helpers, apart from the HTTP client so
 * that a module naming a remote failure does not load undici (a dry run never calls out).
 */
import { redact } from "../base/redact.js";

/** The first non-blank line of a body, redacted and cut short, for messages about what came back. */
export function bodyFirstLine(body: string, max = 120): string {
  const line = body.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  const trimmed = line.trim();
  return redact(trimmed.length > max ? `${trimmed.slice(0, max)}…` : trimmed);
}

/** What an answer was, for an error: `HTTP 200, text/html, "<!DOCTYPE html>…"`. */
export function describeAnswer(res: {
  status: number;
  headers: Record<string, string>;
  body: string;
}): string {
  const type = res.headers["content-type"] || "no content type";
  const first = bodyFirstLine(res.body);
  return `HTTP ${res.status}, ${type}, ${first ? JSON.stringify(first) : "empty body"}`;
}
