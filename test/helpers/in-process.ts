/**
 * Run the CLI in-process with buffers for streams and a prompt double that expects
 * each prompt by its message and fails on any other (after Wrangler's mock dialogs).
 */
import { PassThrough, Writable } from "node:stream";
import { run } from "../../src/cli/main.js";
import type { Choice, Prompter } from "../../src/core/prompter.js";

export interface ExpectedPrompt {
  kind: "confirm" | "input" | "password" | "checkbox";
  /** A substring of the prompt's message. */
  message: string;
  answer: boolean | string | string[];
}

export class PromptDouble implements Prompter {
  private readonly queue: ExpectedPrompt[];
  readonly asked: string[] = [];
  constructor(expected: ExpectedPrompt[]) {
    this.queue = [...expected];
  }
  private take(kind: ExpectedPrompt["kind"], message: string): ExpectedPrompt["answer"] {
    this.asked.push(message);
    const next = this.queue.shift();
    if (!next || next.kind !== kind || !message.includes(next.message)) {
      throw new Error(
        `unexpected ${kind} prompt: "${message}"${next ? ` (expected ${next.kind} "${next.message}")` : ""}`,
      );
    }
    return next.answer;
  }
  async confirm(message: string) {
    return this.take("confirm", message) as boolean;
  }
  async input(message: string) {
    return this.take("input", message) as string;
  }
  async password(message: string) {
    return this.take("password", message) as string;
  }
  async checkbox(message: string, _choices: Choice[]) {
    return this.take("checkbox", message) as string[];
  }
  /** Every expected prompt was asked. */
  get pending(): number {
    return this.queue.length;
  }
}

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.text += chunk.toString("utf8");
    done();
  }
}

export async function runInProcess(
  argv: string[],
  options: { db: string; tty?: boolean; prompter?: Prompter; env?: Record<string, string> } = { db: "" },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Collect();
  const stderr = new Collect();
  const stdin = new PassThrough();
  stdin.end();
  const tty = options.tty ?? false;
  const code = await run(argv, {
    io: { stdin, stdout, stderr, stdinTTY: tty, stdoutTTY: tty, stderrTTY: tty, columns: 100 },
    env: { GG4L_DB: options.db, NO_COLOR: "1", ...options.env },
    cwd: process.cwd(),
    osUser: "tester",
    version: "0.0.0-test",
    prompter: options.prompter,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
