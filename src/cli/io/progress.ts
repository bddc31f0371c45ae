/**
 * Progress of a long run on stderr: a bar with counts and rate redrawn in place on a
 * terminal, a plain line every few seconds otherwise (logs and CI stay readable).
 */
import type { IO } from "./io.js";

export interface ProgressCounts {
  total: number;
  done: number;
  posted: number;
  stale: number;
  failed: number;
  concurrency: number;
  startedAt: number;
}

export function progressReporter(
  io: IO,
  label: string,
  now: () => number = Date.now,
): { update(p: ProgressCounts): void; end(): void } {
  let last = 0;
  let drawn = false;
  const line = (p: ProgressCounts) => {
    const seconds = Math.max(0.001, (now() - p.startedAt) / 1000);
    const rate = Math.round(p.done / seconds);
    return `${label} ${p.done}/${p.total} · ${p.posted} posted · ${p.stale} already newer · ${p.failed} failed · ${rate}/s · ${p.concurrency} at once`;
  };
  return {
    update(p) {
      const t = now();
      if (io.stderrTTY) {
        if (t - last < 100 && p.done < p.total) return;
        last = t;
        const width = 24;
        const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
        io.stderr.write(`\r\u001b[2K[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${line(p)}`);
        drawn = true;
      } else if (t - last >= 5000) {
        last = t;
        io.stderr.write(`${line(p)}\n`);
      }
    },
    end() {
      if (drawn) io.stderr.write("\n");
    },
  };
}
