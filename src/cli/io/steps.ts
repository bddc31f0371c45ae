/**
 * The steps of a command that talks to Coursera ("Pulling programs of Coursera org X…"), shown
 * the way a sync's phases are. The services say a step has begun by logging it as info; while
 * `withSteps` runs, each such line becomes a step. On a terminal a step spins in place and ends
 * as one line marked ✓ with its time when the next one begins or the work is done, ✗ when the
 * work failed (the error itself is shown after, as always). Otherwise a line per step as it
 * begins; under --json nothing unless stderr is a terminal. Nothing goes to stdout.
 */
import type { Ora } from "ora";
import { terminalSafe } from "../../base/terminal.js";
import type { Context } from "../../core/context.js";
import type { Env } from "../../core/paths.js";
import type { IO } from "./io.js";
import type { Output } from "./output.js";
import { drawsInPlace, elapsedText, spinners } from "./progress.js";
import type { Style } from "./style.js";

export interface StepProgress {
  /** A step begins: the one still open ends as done. */
  begin(text: string): void;
  /** Runs `write` (a warning, a debug line) with the spinner lifted, so the line does not tear it. */
  around(write: () => void): void;
  /** The work ended: the open step, if any, ends as done or failed. */
  end(failed: boolean): void;
}

/** What a finished step's line says: its own words, without the ellipsis of one under way. */
export function finishedStep(text: string): string {
  return text.replace(/\s*(…|\.\.\.)\s*$/, "");
}

export async function stepProgress(
  io: IO,
  options: { json: boolean; style: Style; env: Env; now?: () => number },
): Promise<StepProgress> {
  const now = options.now ?? Date.now;
  const { style } = options;
  if (!drawsInPlace(io, options.env)) {
    const quiet = options.json && !io.stderrTTY;
    return {
      begin: (text) => {
        if (!quiet) io.stderr.write(`${terminalSafe(text)}\n`);
      },
      around: (write) => write(),
      end() {},
    };
  }

  const spin = await spinners(io, style);
  let open: { spinner: Ora; text: string; startedAt: number } | undefined;
  const finish = (failed: boolean) => {
    if (!open) return;
    open.spinner.stopAndPersist({
      symbol: failed ? style.red("✗") : style.green("✓"),
      text: `${terminalSafe(finishedStep(open.text))} ${style.dim(elapsedText(open.startedAt, now()))}`,
    });
    open = undefined;
  };
  return {
    begin(text) {
      finish(false);
      open = { spinner: spin(terminalSafe(text)), text, startedAt: now() };
    },
    around(write) {
      open?.spinner.clear();
      write();
      open?.spinner.render();
    },
    end: finish,
  };
}

/**
 * Runs `work` (a call into core) with what it logs as info shown as steps; warnings and debug
 * lines are written above the spinner. The logger is the command's own again afterwards, and a
 * client made during `work` that logs later writes plain lines.
 */
export async function withSteps<T>(
  cli: { io: IO; env: Env },
  ctx: Context,
  out: Output,
  work: () => Promise<T>,
): Promise<T> {
  const steps = await stepProgress(cli.io, { json: out.json, style: out.style, env: cli.env });
  const logger = ctx.logger;
  let running = true;
  ctx.logger = {
    ...logger,
    debug: (message) => (running ? steps.around(() => logger.debug(message)) : logger.debug(message)),
    info: (message) => (running ? steps.begin(message) : logger.info(message)),
    warn: (message) => (running ? steps.around(() => logger.warn(message)) : logger.warn(message)),
  };
  try {
    const result = await work();
    steps.end(false);
    return result;
  } catch (error) {
    steps.end(true);
    throw error;
  } finally {
    running = false;
    ctx.logger = logger;
  }
}
