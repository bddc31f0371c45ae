import { UsageError } from "../base/errors.js";

/** An absolute http(s) URL, or a usage error naming the flag. */
export function validateUrl(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} "${value}" is not a URL`, {
      hint: `pass an absolute URL such as https://lms.example.edu/…`,
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`${flag} must be an http(s) URL, not ${url.protocol}`, { hint: "use https://…" });
  }
  return value;
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} "${value}" is not one of ${allowed.join(", ")}`, {
    hint: `pass ${flag} ${allowed[0]}`,
  });
}

export function onOff(value: string, what: string): boolean {
  if (value === "on" || value === "true") return true;
  if (value === "off" || value === "false") return false;
  throw new UsageError(`${what} takes on or off, not "${value}"`, {
    hint: `e.g. gg4l settings set ${what} on`,
  });
}

/** The most rows a list prints at once; more is a usage error rather than a number SQLite cannot bind. */
export const MAX_LIMIT = 1_000_000;

/** --limit: a whole number from 1 to MAX_LIMIT, or a usage error. */
export function parseLimit(text: string): number {
  const limit = /^\d{1,7}$/.test(text) ? Number(text) : 0;
  if (limit < 1 || limit > MAX_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, not "${text}"`, {
      hint: "e.g. --limit 50",
    });
  }
  return limit;
}
