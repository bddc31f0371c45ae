/**
 * Tolerant RFC 8288 Link header parsing (§4.5): accepts `"`, typographic quotes (Moodle writes
 * rel=“next”, which undici hands over as latin1 mojibake) or no quotes, any spacing, relative
 * URLs, and Moodle's HTML-escaped ampersands inside the URL.
 */
export interface LinkValue {
  url: string;
  rels: string[];
}

function splitOutsideBrackets(header: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of header) {
    if (ch === "<") depth += 1;
    else if (ch === ">") depth = Math.max(0, depth - 1);
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function relValues(raw: string): string[] {
  // Keep printable ASCII only: drops curly quotes in any decoding; then drop ASCII quotes.
  return raw
    .replace(/[^\x20-\x7e]/g, "")
    .replace(/["']/g, "")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((r) => r.toLowerCase());
}

export function parseLinkHeader(header: string | undefined, baseUrl: string): LinkValue[] {
  if (!header) return [];
  const out: LinkValue[] = [];
  for (const part of splitOutsideBrackets(header)) {
    const open = part.indexOf("<");
    const close = part.indexOf(">", open + 1);
    if (open < 0 || close < 0) continue;
    let url: string;
    try {
      url = new URL(
        part
          .slice(open + 1, close)
          .trim()
          .replace(/&amp;/g, "&"),
        baseUrl,
      ).href;
    } catch {
      continue;
    }
    const rels: string[] = [];
    for (const param of part.slice(close + 1).split(";")) {
      const eq = param.indexOf("=");
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "rel") continue;
      rels.push(...relValues(param.slice(eq + 1)));
    }
    out.push({ url, rels });
  }
  return out;
}

export function nextLink(header: string | undefined, baseUrl: string): string | undefined {
  return parseLinkHeader(header, baseUrl).find((l) => l.rels.includes("next"))?.url;
}
