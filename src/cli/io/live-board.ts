/**
 * A live table on a terminal's stderr, redrawn in place: a header, one row per item at work
 * and a footer line. Lines printed with `log` scroll above it and stay, so the redrawn part is
 * only as tall as the work in progress, however many items there are in all.
 */
import { terminalSafe } from "../../base/terminal.js";
import type { IO } from "./io.js";

export interface LiveBoard {
  /** Replace the table (drawn at the next tick, at most every `intervalMs`). */
  set(header: string[], rows: string[][], footer: string): void;
  /** A line that stays, printed above the table. */
  log(line: string): void;
  /** Draw now, stop redrawing, and leave the table off the screen. */
  end(): void;
}

const GAP = "  ";

export function liveBoard(io: IO, intervalMs = 200): LiveBoard {
  let drawn = 0;
  let header: string[] = [];
  let rows: string[][] = [];
  let footer = "";
  let logs: string[] = [];
  let dirty = false;
  const width = io.columns > 0 ? io.columns : 120;

  const lines = (): string[] => {
    if (rows.length === 0) return footer ? [footer] : [];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
        .join(GAP)
        .trimEnd();
    return [line(header), ...rows.map(line), ...(footer ? [footer] : [])];
  };

  const draw = () => {
    if (!dirty) return;
    dirty = false;
    // Up to the table's first line, clear from there down, then the new lines and the table.
    let text = drawn > 0 ? `\u001b[${drawn}A\r\u001b[J` : "";
    for (const l of logs) text += `${terminalSafe(l)}\n`;
    logs = [];
    const table = lines().map((l) => terminalSafe(l).slice(0, width - 1));
    for (const l of table) text += `${l}\n`;
    drawn = table.length;
    io.stderr.write(text);
  };
  const timer = setInterval(draw, intervalMs);
  timer.unref();

  return {
    set(h, r, f) {
      header = h;
      rows = r;
      footer = f;
      dirty = true;
    },
    log(line) {
      logs.push(line);
      dirty = true;
    },
    end() {
      clearInterval(timer);
      rows = [];
      footer = "";
      dirty = true;
      draw();
    },
  };
}
