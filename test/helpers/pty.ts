/**
 * Run the built gg4l on a pseudo-terminal, the way a person meets it: util-linux `script`
 * gives the child a real pty for stdin, stdout and stderr; what it wrote comes back as one
 * screen transcript. `answers` types text once the screen shows a pattern (a prompt).
 */
import { spawn } from "node:child_process";
import { binPath, repoRoot } from "./gg4l.js";

export interface TerminalRun {
  code: number;
  /** Everything written to the terminal (stdout and stderr together), with \r\n line ends. */
  screen: string;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export function runOnTerminal(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    answers?: Array<{ when: RegExp; type: string }>;
    columns?: number;
  } = {},
): Promise<TerminalRun> {
  const env: Record<string, string> = { TERM: "xterm-256color" };
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("GG4L_") && key !== "NO_COLOR" && key !== "CI")
      env[key] = value;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  const columns = options.columns ?? 120;
  const command = `stty cols ${columns} rows 40; exec ${[process.execPath, binPath, ...args].map(quote).join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env,
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const pending = [...(options.answers ?? [])];
    let screen = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      screen += chunk;
      const next = pending[0];
      if (next?.when.test(screen)) {
        pending.shift();
        child.stdin.write(next.type);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, screen }));
  });
}

/**
 * The transcript without colour and cursor sequences, lines split; of a line redrawn in place
 * (carriage return, or cursor back to column 1 as a spinner does), what was drawn last.
 */
export function plainLines(screen: string): string[] {
  return screen
    .replace(/\x1b\[1?G/g, "\r")
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/\x1b\][^\x07]*\x07/g, "")
    .split(/\r?\n/)
    .map((line) => line.replace(/[\s\S]*\r(?=[^\r])/, ""));
}

/**
 * Every state a line was drawn in: a spinner redraws its line in place (carriage return or
 * cursor to column 1), so each redraw is a frame of its own here; colour and cursor sequences
 * removed, blank frames dropped.
 */
export function screenFrames(screen: string): string[] {
  return screen
    .replace(/\x1b\][^\x07]*\x07/g, "")
    .split(/\r\n|\r|\n|\x1b\[\d*G/)
    .map((frame) => frame.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ""))
    .filter((frame) => frame.trim() !== "");
}
