/** The process's streams and what they are, decided once. Tests build their own IO. */
import type { Readable, Writable } from "node:stream";
import type { Env } from "../../core/paths.js";
import { tolerateClosedPipe } from "./closed-pipe.js";

export interface IO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinTTY: boolean;
  stdoutTTY: boolean;
  stderrTTY: boolean;
  /** Terminal width, for tables; 0 when unknown. */
  columns: number;
}

export function processIO(): IO {
  return {
    stdin: process.stdin,
    stdout: tolerateClosedPipe(process.stdout),
    stderr: tolerateClosedPipe(process.stderr),
    stdinTTY: process.stdin.isTTY === true,
    stdoutTTY: process.stdout.isTTY === true,
    stderrTTY: process.stderr.isTTY === true,
    columns: process.stdout.columns ?? 0,
  };
}

/** --no-color > NO_COLOR > FORCE_COLOR (0 or false: off, anything else: on) > TERM=dumb > stdout is a terminal. */
export function colorEnabled(io: IO, env: Env, flag: boolean): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR === "0" || env.FORCE_COLOR === "false") return false;
  if (env.FORCE_COLOR !== undefined) return true;
  if (env.TERM === "dumb") return false;
  return io.stdoutTTY;
}

/** Prompts only where a person can answer: both ends are terminals, not CI, not --no-input. */
export function canPrompt(io: IO, env: Env, inputFlag: boolean): boolean {
  if (!inputFlag || env.GG4L_NO_PROMPT || (env.CI && env.CI !== "false")) return false;
  return io.stdinTTY && io.stdoutTTY;
}

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
