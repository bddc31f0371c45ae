/** Spawn the built gg4l binary, as a user or a script would. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const binPath = join(repoRoot, "bin", "gg4l.js");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  nodeArgs?: string[];
}

export function runGg4l(args: string[], options: RunOptions = {}): Promise<RunResult> {
  // The inherited environment minus any GG4L_* of the developer's shell, then the test's own.
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("GG4L_")) env[key] = value;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), binPath, ...args], {
      env,
      cwd: options.cwd ?? repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** A throw-away folder with a state path inside; `gg4l(args)` runs against it. */
export function sandboxState(): {
  dir: string;
  db: string;
  gg4l: (args: string[], options?: RunOptions) => Promise<RunResult>;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "gg4l-test-"));
  const db = join(dir, "state.db");
  return {
    dir,
    db,
    gg4l: (args, options = {}) => runGg4l(args, { ...options, env: { GG4L_DB: db, ...options.env } }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function parseJson<T = unknown>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}
