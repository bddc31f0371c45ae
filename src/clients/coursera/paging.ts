/**
 * `start`/`limit` paging. The loop follows `paging.next` and never trusts `paging.total`:
 * clients that stopped when `total` was missing truncated data (reference §3.1).
 */
import { RemoteError } from "../../base/errors.js";
import type { WirePaging } from "./wire.js";

export interface Page<T> {
  elements: T[];
  paging: WirePaging | undefined;
  /** Elements on the wire, when `elements` was filtered or expanded (defaults to its length). */
  wireCount?: number;
}

/** The decimal offset carried by `paging.next` (a string on the wire, a number in legacy answers). */
export function parseOffset(next: string | number): number {
  const value = typeof next === "string" && /^\d+$/.test(next) ? Number(next) : next;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RemoteError(`Coursera returned an unsupported paging cursor ${JSON.stringify(next)}`, {
      hint: "the API's paging changed; report it with the --debug trace",
    });
  }
  return value;
}

/**
 * Where the next page starts, or null when the listing is done: follow `next` while present;
 * with neither `next` nor `total`, stop on a short or empty page.
 */
export function nextStart(
  start: number,
  count: number,
  limit: number,
  paging: WirePaging | undefined,
): number | null {
  const next = paging?.next;
  if (next !== undefined && next !== null && next !== "") {
    const offset = parseOffset(next);
    if (offset <= start) {
      throw new RemoteError(
        `Coursera returned a paging cursor that does not advance (${offset} after ${start})`,
        {
          hint: "the API's paging changed; report it with the --debug trace",
        },
      );
    }
    return offset;
  }
  if (typeof paging?.total === "number") return null;
  if (count === 0 || count < limit) return null;
  return start + count;
}

/**
 * A lazily fetched listing: iterate it for elements, `pages()` for whole pages (what a bulk
 * insert wants), or `all()` to collect.
 */
export class Paged<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: (start: number, limit: number) => Promise<Page<T>>,
    private readonly limit: number,
  ) {}

  async *pages(): AsyncGenerator<T[], void, undefined> {
    let start: number | null = 0;
    while (start !== null) {
      const page: Page<T> = await this.fetchPage(start, this.limit);
      yield page.elements;
      start = nextStart(start, page.wireCount ?? page.elements.length, this.limit, page.paging);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page;
  }

  async all(): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages()) for (const element of page) out.push(element);
    return out;
  }
}
