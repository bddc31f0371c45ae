/**
 * A table too long to hold: rows arrive one at a time (a dry run's million plan entries) and
 * leave as text lines, for the chunked writer. Same look as Output.table: on a terminal a bold
 * header and aligned columns with no rules, cut with an ellipsis to fit the terminal, never an
 * identifying column; piped, tab-separated rows, never cut (and, as every piped table here, no
 * header).
 *
 * Column widths cannot be measured over every row first. They are measured over the first
 * SAMPLE rows (held back until then) and fixed from there on: a later, longer value of a `whole`
 * column is printed whole and pushes the rest of its own row right; a later, longer value of
 * another column is cut. The last column is not padded: on a terminal it is cut to what is
 * left of the line.
 */
import { terminalSafe } from "../../base/terminal.js";
import type { Style } from "./style.js";

export interface StreamColumn<Row> {
  header: string;
  value: (row: Row) => string | number | null | undefined;
  /** Never cut, whatever the terminal's width: it names the row (an item, a learner), or is a figure a cut would falsify. */
  whole?: boolean;
}

export interface StreamTableOptions {
  /** stdout is a terminal: aligned and fitted; otherwise tab-separated. */
  terminal: boolean;
  /** The terminal's width; 0 when unknown (nothing is cut then). */
  width: number;
  style: Style;
}

/** Rows measured before the widths are fixed. */
export const SAMPLE = 200;
const GAP = 2;
/** A cut column keeps at least this many characters. */
const FLOOR = 8;

const cell = (value: string | number | null | undefined) =>
  terminalSafe(value === null || value === undefined || value === "" ? "-" : String(value));

export function* streamTable<Row>(
  columns: StreamColumn<Row>[],
  rows: Iterable<Row>,
  options: StreamTableOptions,
): Generator<string> {
  if (!options.terminal) {
    for (const row of rows) yield `${columns.map((c) => cell(c.value(row))).join("\t")}\n`;
    return;
  }
  const held: string[][] = [];
  const iterator = rows[Symbol.iterator]();
  try {
    while (held.length < SAMPLE) {
      const next = iterator.next();
      if (next.done) break;
      held.push(columns.map((c) => cell(c.value(next.value))));
    }
    if (held.length === 0) return;
    const widths = columns.map((c, i) => Math.max(c.header.length, ...held.map((r) => r[i]!.length)));
    const lastColumn = columns.length - 1;
    const line = (cells: string[], header = false) => {
      let text = "";
      // Where the next column starts: a whole value longer than its width moves it right.
      let at = 0;
      let edge = 0;
      cells.forEach((value, i) => {
        const column = columns[i]!;
        const room =
          i < lastColumn
            ? widths[i]!
            : options.width > 0
              ? Math.max(FLOOR, options.width - at)
              : value.length;
        const shown = column.whole || header ? value : cut(value, room);
        text += " ".repeat(at - edge) + (header ? options.style.bold(shown) : shown);
        edge = at + shown.length;
        at = Math.max(at + widths[i]!, edge) + GAP;
      });
      return `${text}\n`;
    };
    yield line(
      columns.map((c) => c.header),
      true,
    );
    for (const cells of held) yield line(cells);
    for (let next = iterator.next(); !next.done; next = iterator.next())
      yield line(columns.map((c) => cell(c.value(next.value))));
  } finally {
    iterator.return?.();
  }
}

/** Cut to `width` characters, the last one an ellipsis. */
function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
