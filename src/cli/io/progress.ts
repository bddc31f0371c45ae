/**
 * A sync run's progress on stderr, phase by phase (pull, plan, columns, posts, fold). On a
 * terminal each phase spins in place with its own figures and ends as one line marked ✓ or ✗;
 * otherwise (a log, CI) a line per phase when it ends, and a line every few seconds while a
 * long phase runs. Under --json nothing unless stderr is a terminal: a script's stderr stays
 * for warnings and errors. Nothing goes to stdout.
 */
import type { Ora } from "ora";
import { terminalSafe } from "../../base/terminal.js";
import type { Env } from "../../core/paths.js";
import type { PhaseEvent, PhaseName } from "../../core/sync/index.js";
import type { IO } from "./io.js";
import type { Style } from "./style.js";

export interface PhaseProgress {
  onPhase(event: PhaseEvent): void;
  /** Runs `write` (a log line, a note on stderr) with the spinner lifted, so the line does not tear it. */
  around(write: () => void): void;
  /** Ends whatever still spins (a run that left by an error): call it on the way out. */
  stop(): void;
}

const labels: Record<PhaseName, string> = {
  pull: "Pull",
  plan: "Plan",
  columns: "Columns",
  posts: "Posts",
  fold: "Fold",
};

/** Redraws in place at most this often: a million posts are not a million redraws. */
const REDRAW_MS = 100;
/** Without a terminal, a running phase says where it is this often. */
const LINE_EVERY_MS = 5000;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What a phase has done so far, in words: the same figures its event carries, nothing added. */
export function phaseFigures(event: PhaseEvent): string {
  switch (event.phase) {
    case "pull": {
      const f = event.figures;
      const read = [
        f.programs !== undefined ? plural(f.programs, "program") : "",
        f.courses !== undefined ? plural(f.courses, "course") : "",
        f.grades !== undefined ? plural(f.grades, "grade") : "",
        f.rosters !== undefined ? plural(f.rosters, "LMS roster") : "",
      ].filter(Boolean);
      if (read.length === 0) return "nothing read yet";
      const matched = f.matched !== undefined ? `, ${plural(f.matched, "learner")} matched by e-mail` : "";
      return `${read.join(", ")} read${matched}`;
    }
    case "plan":
      if (event.state === "start") return "planning…";
      if (event.state === "failed") return "no plan";
      return `${plural(event.figures.posts, "score post")}, ${plural(event.figures.columns, "column")} to create, ${event.figures.skipped} kept out`;
    case "columns": {
      const f = event.figures;
      if (f.total === 0) return "none to create";
      return `${f.created + f.found + f.failed}/${f.total} · ${f.created} created · ${f.found} found · ${f.failed} failed`;
    }
    case "posts": {
      const f = event.figures;
      if (f.total === 0) return "none to post";
      return `${f.posted + f.stale + f.failed}/${f.total} · ${f.posted} posted · ${f.stale} already in the LMS · ${f.failed} failed`;
    }
    case "fold":
      if (event.state === "start") return "folding…";
      if (event.state === "failed") return "not folded (the next plan folds the journal)";
      return `${plural(event.figures.folded, "acknowledged score")} folded into the ledger`;
  }
}

/** "Posts: 3/4 · 3 posted · …", with the step a phase is at and, when it failed, why. */
export function describePhase(event: PhaseEvent): string {
  const parts = [`${labels[event.phase]}: ${phaseFigures(event)}`];
  if (event.state === "failed" && event.error) parts.push(`stopped: ${event.error}`);
  return parts.join(" — ");
}

/** ✗ when the phase stopped early or any of its items failed; ✓ when all went through. */
export function phaseFailed(event: PhaseEvent): boolean {
  if (event.state === "failed") return true;
  return (event.phase === "columns" || event.phase === "posts") && event.figures.failed > 0;
}

/** "(0.4 s)": how long something that started at `startedAt` took, up to `now`. */
export function elapsedText(startedAt: number, now: number): string {
  return `(${((now - startedAt) / 1000).toFixed(1)} s)`;
}

/** Items a counting phase went through, of its total. */
function doneOf(event: PhaseEvent): { done: number; total: number } | undefined {
  if (event.phase === "columns") {
    const f = event.figures;
    return { done: f.created + f.found + f.failed, total: f.total };
  }
  if (event.phase === "posts") {
    const f = event.figures;
    return { done: f.posted + f.stale + f.failed, total: f.total };
  }
  return undefined;
}

function bar(event: PhaseEvent): string {
  const count = doneOf(event);
  if (!count || count.total === 0) return "";
  const width = 20;
  const filled = Math.round((count.done / count.total) * width);
  return `[${"#".repeat(filled)}${" ".repeat(width - filled)}] `;
}

/** While a phase runs: its figures, what it is at, and for posts the rate and concurrency. */
function runningText(event: PhaseEvent, now: number): string {
  let text = `${bar(event)}${labels[event.phase]}: ${phaseFigures(event)}`;
  if (event.phase === "posts" && event.figures.total > 0) {
    const seconds = Math.max(0.001, (now - event.startedAt) / 1000);
    text += ` · ${Math.round(doneOf(event)!.done / seconds)}/s`;
    if (event.concurrency !== undefined) text += ` · ${event.concurrency} at once`;
  }
  if (event.step) text += ` · ${event.step}`;
  return text;
}

/** A stream ora can draw on (a real terminal; tests hand a buffer flagged as one). */
function drawable(stream: unknown): boolean {
  return typeof (stream as { cursorTo?: unknown }).cursorTo === "function";
}

/** Progress is drawn in place only on a terminal that can take it: not in CI, not TERM=dumb. */
export function drawsInPlace(io: IO, env: Env): boolean {
  const ci = env.CI !== undefined && env.CI !== "false";
  return io.stderrTTY && drawable(io.stderr) && !ci && env.TERM !== "dumb";
}

/** Starts spinners on stderr, coloured only when the style is (NO_COLOR, --no-color, --json). */
export async function spinners(io: IO, style: Style): Promise<(text: string) => Ora> {
  const { default: ora } = await import("ora");
  return (text) =>
    ora({
      stream: io.stderr,
      isEnabled: true,
      // Ctrl-C stays the terminal's: the command decides what it means (sync.ts stops after the posts in flight).
      discardStdin: false,
      hideCursor: false,
      color: style.codes.length > 0 ? "cyan" : false,
      text,
    }).start();
}

export async function phaseProgress(
  io: IO,
  options: { json: boolean; style: Style; env: Env; now?: () => number },
): Promise<PhaseProgress> {
  const now = options.now ?? Date.now;
  const { style } = options;
  const mark = (event: PhaseEvent) => (phaseFailed(event) ? style.red("✗") : style.green("✓"));
  // A cause or a step may quote a remote (an LMS's words, a program's name): shown inert.
  const finished = (event: PhaseEvent) =>
    `${terminalSafe(describePhase(event))} ${style.dim(elapsedText(event.startedAt, now()))}`;
  const running = (event: PhaseEvent) => terminalSafe(runningText(event, now()));
  if (!drawsInPlace(io, options.env)) {
    if (options.json && !io.stderrTTY) return { onPhase() {}, around: (write) => write(), stop() {} };
    let lastLine = 0;
    return {
      onPhase(event) {
        if (event.state === "start") lastLine = now();
        else if (event.state === "progress") {
          if (now() - lastLine < LINE_EVERY_MS) return;
          lastLine = now();
          io.stderr.write(`${running(event)}\n`);
        } else io.stderr.write(`${mark(event)} ${finished(event)}\n`);
      },
      around: (write) => write(),
      stop() {},
    };
  }

  const spin = await spinners(io, style);
  let spinner: Ora | undefined;
  let drawnAt = 0;
  const end = () => {
    spinner?.stop();
    spinner = undefined;
  };
  return {
    onPhase(event) {
      if (event.state === "start" || !spinner) {
        end();
        spinner = spin(running(event));
        drawnAt = now();
      }
      if (event.state === "progress") {
        if (now() - drawnAt < REDRAW_MS) return;
        drawnAt = now();
        spinner.text = running(event);
      } else if (event.state === "done" || event.state === "failed") {
        spinner.stopAndPersist({ symbol: mark(event), text: finished(event) });
        spinner = undefined;
      }
    },
    around(write) {
      spinner?.clear();
      write();
      spinner?.render();
    },
    stop: end,
  };
}
