/**
 * One output layer. Commands hand it data; it prints JSON (--json), a table on a
 * terminal, or tab-separated untruncated rows when piped. Data goes to stdout only;
 * notes, warnings and errors go to stderr.
 */
import { terminalSafe } from "../../base/terminal.js";
import type { IO } from "./io.js";
import type { Style } from "./style.js";

export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
  /** On a terminal, wrap a long value onto more lines instead of cutting it (prose: a message, a fix). */
  wrap?: boolean;
}

export interface OutputOptions {
  json: boolean;
  style: Style;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.map(cell).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Every value printed for a person passes here (terminalSafe): a name from a remote cannot
 * drive the terminal, and its tabs and newlines cannot break a tab-separated row.
 */
function safeCell(value: unknown, keep: readonly string[] = []): string {
  return terminalSafe(cell(value), keep);
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Characters a cell takes on screen (colour codes take none). */
function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

/** Cut to `width` characters, the last one an ellipsis; colour is dropped from a cut cell. */
function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  return `${text.replace(ANSI, "").slice(0, Math.max(0, width - 1))}…`;
}

/** Word-wrap to lines of at most `width` characters (a longer word is cut). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.replace(ANSI, "").split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      let rest = word;
      while (rest.length > width) {
        if (line) lines.push(line);
        lines.push(rest.slice(0, width));
        rest = rest.slice(width);
        line = "";
      }
      if (!line) line = rest;
      else if (line.length + 1 + rest.length <= width) line = `${line} ${rest}`;
      else {
        lines.push(line);
        line = rest;
      }
    }
    lines.push(line);
  }
  return lines;
}

const GAP = 2;

/**
 * Column widths that fit a terminal of `columns` characters, columns `GAP` apart: the widest
 * columns give way first, never the first (it identifies the row) and none below 8 characters;
 * undefined when the table fits as it is or the width is unknown.
 */
export function fitWidths(natural: number[], columns: number): number[] | undefined {
  const available = columns - GAP * (natural.length - 1);
  const total = natural.reduce((a, b) => a + b, 0);
  if (columns <= 0 || total <= available) return undefined;
  const widths = [...natural];
  const floor = 8;
  while (widths.reduce((a, b) => a + b, 0) > available) {
    const shrinkable = widths.slice(1);
    const widest = 1 + shrinkable.indexOf(Math.max(...shrinkable));
    if (widths[widest]! <= floor) break;
    widths[widest] = widths[widest]! - 1;
  }
  return widths;
}

export class Output {
  readonly json: boolean;
  readonly style: Style;
  constructor(
    private readonly io: IO,
    options: OutputOptions,
  ) {
    this.json = options.json;
    this.style = options.style;
  }

  /** Tables go to a person (a terminal) rather than to a script (a pipe or a file). */
  get terminal(): boolean {
    return this.io.stdoutTTY;
  }

  /** Print `data` as JSON under --json; otherwise run the human renderer. */
  async emit(data: unknown, human: () => void | Promise<void>): Promise<void> {
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    }
    await human();
  }

  /**
   * A table: on a terminal, a bold header and aligned columns with no rules (as gh and kubectl
   * print them), cut with an ellipsis to fit the terminal (never the first, identifying column;
   * `wrap` columns wrap instead); piped, tab-separated rows, never cut.
   */
  async table<Row>(columns: Column<Row>[], rows: Row[], empty: string): Promise<void> {
    if (rows.length === 0) {
      this.note(empty);
      return;
    }
    if (!this.io.stdoutTTY) {
      for (const row of rows)
        this.io.stdout.write(`${columns.map((c) => safeCell(c.value(row))).join("\t")}\n`);
      return;
    }
    const cells = rows.map((row) => columns.map((c) => safeCell(c.value(row), this.style.codes)));
    const natural = columns.map((c, i) =>
      Math.max(c.header.length, ...cells.map((r) => Math.max(...r[i]!.split("\n").map(visibleLength)))),
    );
    const widths = fitWidths(natural, this.io.columns) ?? natural;
    const render = (values: string[][]) =>
      Array.from({ length: Math.max(...values.map((v) => v.length)) }, (_, line) =>
        values
          .map((v, i) => {
            const text = v[line] ?? "";
            return i === values.length - 1
              ? text
              : text + " ".repeat(Math.max(0, widths[i]! - visibleLength(text)));
          })
          .join(" ".repeat(GAP))
          .trimEnd(),
      );
    const header = render(columns.map((c) => [this.style.bold(c.header)]));
    const body = cells.map((row) =>
      render(
        row.map((text, i) =>
          i > 0 && columns[i]!.wrap
            ? wrap(text, widths[i]!)
            : text.split("\n").map((l) => (i === 0 ? l : truncate(l, widths[i]!))),
        ),
      ),
    );
    // Rows that span several lines are told apart by a blank line, not by a rule.
    const spaced = body.some((lines) => lines.length > 1);
    const out = [...header, ...body.flatMap((lines, i) => (spaced && i > 0 ? ["", ...lines] : lines))];
    this.io.stdout.write(`${out.join("\n")}\n`);
  }

  /** A record: aligned `label  value` lines on a terminal, `label<TAB>value` when piped. */
  record(fields: Array<[string, unknown]>): void {
    if (!this.io.stdoutTTY) {
      for (const [label, value] of fields) this.io.stdout.write(`${label}\t${safeCell(value)}\n`);
      return;
    }
    const width = Math.max(...fields.map(([label]) => label.length));
    for (const [label, value] of fields) {
      this.io.stdout.write(`${this.style.dim(label.padEnd(width))}  ${safeCell(value, this.style.codes)}\n`);
    }
  }

  /** Data that is JSON in every mode (a key set to paste): printed exactly, as under --json. */
  document(data: unknown): void {
    this.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  }

  /** One line for a person (JSON under --json is written as is); control characters are shown escaped. */
  line(text: string): void {
    this.io.stdout.write(`${this.json ? text : this.safe(text)}\n`);
  }

  note(text: string): void {
    this.io.stderr.write(`${this.safe(text)}\n`);
  }

  success(text: string): void {
    this.io.stderr.write(`${this.style.green("✓")} ${this.safe(text)}\n`);
  }

  warn(text: string): void {
    this.io.stderr.write(`${this.style.yellow("!")} ${this.safe(text)}\n`);
  }

  private safe(text: string): string {
    return terminalSafe(text, this.style.codes);
  }
}
