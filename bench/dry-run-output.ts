/**
 * What printing a plan costs: `gg4l sync grades --dry-run` and `--dry-run --json` on the sync
 * bench's state, beside a bare better-sqlite3 loop over the same grade rows in this process —
 * iterating them (the baseline for the summary), and iterating them with a JSON.stringify per
 * row (the baseline for --json). Measured at N grades and again at N/2 (a copy of the state
 * with half the learners' grades deleted), so the ratio of the two sizes shows whether each is linear.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type Child, run } from "./sync.js";

export interface OutputSize {
  grades: number;
  dryRunMs: number;
  dryRunJsonMs: number;
  jsonBytes: number;
  bareIterateMs: number;
  bareStringifyMs: number;
  /** gg4l ÷ its baseline. */
  dryRunRatio: number;
  dryRunJsonRatio: number;
  peakRssMb: number;
}

export interface DryRunOutputBench {
  full: OutputSize;
  half: OutputSize;
  /** ms at N ÷ ms at N/2: about 2 when linear. */
  growth: { dryRun: number; dryRunJson: number };
  targets: { ratio: number; peakRssMb: number; growth: [number, number] };
  pass: boolean;
}

function bareLoops(dbPath: string): { grades: number; iterateMs: number; stringifyMs: number } {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db.prepare("SELECT * FROM coursera_grades");
    let grades = 0;
    let started = performance.now();
    for (const _row of rows.iterate()) grades += 1;
    const iterateMs = performance.now() - started;
    let bytes = 0;
    started = performance.now();
    for (const row of rows.iterate()) bytes += JSON.stringify(row).length;
    const stringifyMs = performance.now() - started;
    if (bytes === 0 && grades > 0) throw new Error("nothing stringified");
    return { grades, iterateMs, stringifyMs };
  } finally {
    db.close();
  }
}

const hundredths = (x: number) => Math.round(x * 100) / 100;

async function measure(env: NodeJS.ProcessEnv, dbPath: string): Promise<OutputSize> {
  const at = { ...env, GG4L_DB: dbPath };
  const dry: Child = await run(["sync", "grades", "--dry-run"], at, true, { discardStdout: true });
  const json: Child = await run(["sync", "grades", "--dry-run", "--json"], at, true, { discardStdout: true });
  const bare = bareLoops(dbPath);
  return {
    grades: bare.grades,
    dryRunMs: Math.round(dry.ms),
    dryRunJsonMs: Math.round(json.ms),
    jsonBytes: json.stdoutBytes,
    bareIterateMs: Math.round(bare.iterateMs),
    bareStringifyMs: Math.round(bare.stringifyMs),
    dryRunRatio: hundredths(dry.ms / bare.iterateMs),
    dryRunJsonRatio: hundredths(json.ms / bare.stringifyMs),
    peakRssMb: Math.round(Math.max(dry.rssKb, json.rssKb) / 1024),
  };
}

/** `env.GG4L_DB`: the sync bench's state, seeded and with an empty ledger (every grade planned). */
export async function benchDryRunOutput(env: NodeJS.ProcessEnv): Promise<DryRunOutputBench> {
  const dbPath = env.GG4L_DB!;
  const halfPath = join(env.GG4L_BENCH_DIR!, "half.db");
  const source = new Database(dbPath);
  source.pragma("wal_checkpoint(TRUNCATE)");
  source.close();
  copyFileSync(dbPath, halfPath);
  copyFileSync(join(env.GG4L_BENCH_DIR!, "state.key.json"), join(env.GG4L_BENCH_DIR!, "half.key.json"));
  const half = new Database(halfPath);
  // Half the learners, with every grade of theirs (the table has no rowid to take every other row by).
  half.exec(`DELETE FROM coursera_grades WHERE external_id IN (
    SELECT external_id FROM (SELECT DISTINCT external_id FROM coursera_grades ORDER BY external_id)
    LIMIT (SELECT count(DISTINCT external_id) / 2 FROM coursera_grades));
    VACUUM;`);
  half.close();
  const full = await measure(env, dbPath);
  const halved = await measure(env, halfPath);
  const growth = {
    dryRun: hundredths(full.dryRunMs / halved.dryRunMs),
    dryRunJson: hundredths(full.dryRunJsonMs / halved.dryRunJsonMs),
  };
  const targets = { ratio: 1.5, peakRssMb: 250, growth: [1.5, 2.5] as [number, number] };
  const linear = (g: number) => g >= targets.growth[0] && g <= targets.growth[1];
  return {
    full,
    half: halved,
    growth,
    targets,
    pass:
      full.dryRunRatio <= targets.ratio &&
      full.dryRunJsonRatio <= targets.ratio &&
      Math.max(full.peakRssMb, halved.peakRssMb) <= targets.peakRssMb &&
      linear(growth.dryRun) &&
      linear(growth.dryRunJson),
  };
}
