/**
 * A table of rows read a page at a time (a run's million scores), through the chunked writer:
 * on a terminal, a bold header and aligned columns with no rules, sized by the first page and
 * kept for the rest (a longer cell is cut with an ellipsis, never an identifying column nor the
 * last, which runs on as prose); piped,
 * tab-separated rows, never cut. Memory stays near one page whatever the number of rows.
 */
import { terminalSafe } from "../../base/terminal.js";
import { chunkedWriter } from "./chunked.js";
import type { IO } from "./io.js";
import { type Column, fitWidths } from "./output.js";
import type { Style } from "./style.js";

const FIRST_PAGE = 200;
const GAP = "  ";

function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  return String(value);
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** fitWidths, with the first `keep` columns held together as its never-cut first column. */
function fitKeeping(natural: number[], keep: number, columns: number): number[] {
  const held = natural.slice(0, keep);
  const joined = held.reduce((a, b) => a + b, 0) + GAP.length * (keep - 1);
  // The last column (prose: the LMS's words) is never cut; the others leave it some room.
  const last = Math.min(natural[natural.length - 1]!, LAST_ROOM);
  const fitted = fitWidths([joined, ...natural.slice(keep, -1), last], columns);
  return fitted ? [...held, ...fitted.slice(1, -1), natural[natural.length - 1]!] : natural;
}

const LAST_ROOM = 40;

/** Writes the rows; returns how many there were. */
export async function streamTable<Row>(
  io: IO,
  style: Style,
  columns: Column<Row>[],
  rows: Iterable<Row>,
  /** The first columns say which row it is (status, learner): never cut. */
  identifying = 1,
): Promise<number> {
  const out = chunkedWriter(io.stdout);
  const write = async (text: string) => {
    const wait = out.write(text);
    if (wait) await wait;
  };
  let count = 0;
  if (!io.stdoutTTY) {
    for (const row of rows) {
      count += 1;
      await write(`${columns.map((c) => terminalSafe(cell(c.value(row)))).join("\t")}\n`);
    }
    await out.flush();
    return count;
  }
  const iterator = rows[Symbol.iterator]();
  const first: string[][] = [];
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    first.push(columns.map((c) => terminalSafe(cell(c.value(next.value)).replace(/\n/g, " "))));
    if (first.length >= FIRST_PAGE) break;
  }
  if (first.length === 0) return 0;
  const natural = columns.map((c, i) => Math.max(c.header.length, ...first.map((r) => r[i]!.length)));
  const widths = fitKeeping(natural, identifying, io.columns);
  const line = (cells: string[], header = false) =>
    cells
      .map((text, i) => {
        const shown = i < identifying || i === cells.length - 1 ? text : cut(text, widths[i]!);
        const padded = i === cells.length - 1 ? shown : shown.padEnd(widths[i]!);
        return header ? style.bold(padded) : padded;
      })
      .join(GAP)
      .trimEnd();
  await write(
    `${line(
      columns.map((c) => c.header),
      true,
    )}\n`,
  );
  for (const cells of first) {
    count += 1;
    await write(`${line(cells)}\n`);
  }
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    count += 1;
    await write(`${line(columns.map((c) => terminalSafe(cell(c.value(next.value)).replace(/\n/g, " "))))}\n`);
  }
  await out.flush();
  return count;
}
