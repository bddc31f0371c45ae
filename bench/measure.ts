/** Shared measuring helpers for the benchmarks: wall time of commands, medians, result files. */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const resultsDir = join(repoRoot, "bench", "results");

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median wall time in ms of running `argv` `runs` times, after `warmup` unmeasured runs. */
export function timeCommand(argv: string[], env: NodeJS.ProcessEnv, runs: number, warmup = 2): number {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const started = performance.now();
    const result = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    const elapsed = performance.now() - started;
    if (result.status !== 0) throw new Error(`${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
    if (i >= warmup) times.push(elapsed);
  }
  return median(times);
}

export function writeResult(name: string, data: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

/** Replace the section between `<!-- bench:NAME -->` markers in bench/README.md. */
export function updateReadmeSection(name: string, markdown: string): void {
  const path = join(repoRoot, "bench", "README.md");
  const text = readFileSync(path, "utf8");
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const block = `${start}\n${markdown.trim()}\n${end}`;
  writeFileSync(
    path,
    from >= 0 && to > from
      ? text.slice(0, from) + block + text.slice(to + end.length)
      : `${text.trim()}\n\n${block}\n`,
  );
}
