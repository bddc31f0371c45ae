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

function longestLine(text: string): number {
  return Math.max(...text.split("\n").map((line) => line.length));
}

/**
 * Column widths that fit a terminal of `columns` characters: the widest columns give way
 * first (their cells wrap); undefined when the table fits as it is or the width is unknown.
 */
export function fitWidths(natural: number[], columns: number): number[] | undefined {
  const borders = natural.length + 1;
  const available = columns - borders;
  const total = natural.reduce((a, b) => a + b, 0);
  if (columns <= 0 || total <= available) return undefined;
  const widths = [...natural];
  const floor = 8;
  while (widths.reduce((a, b) => a + b, 0) > available) {
    const widest = widths.indexOf(Math.max(...widths));
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

  /** Print `data` as JSON under --json; otherwise run the human renderer. */
  async emit(data: unknown, human: () => void | Promise<void>): Promise<void> {
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    }
    await human();
  }

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
    const { default: Table } = await import("cli-table3");
    const cells = rows.map((row) => columns.map((c) => safeCell(c.value(row), this.style.codes)));
    const widths = fitWidths(
      columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => longestLine(r[i]!))) + 2),
      this.io.columns,
    );
    const table = new Table({
      head: columns.map((c) => this.style.bold(c.header)),
      style: { head: [], border: [] },
      wordWrap: true,
      wrapOnWordBoundary: true,
      ...(widths ? { colWidths: widths } : {}),
    });
    for (const row of cells) table.push(row);
    this.io.stdout.write(`${table.toString()}\n`);
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
