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
import { updateReadmeSection } from "./measure.js";
import { type Child, run } from "./sync.js";

export interface OutputSize {
  grades: number;
  /** Samples of each figure; the figures are their medians. */
  rounds: number;
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * ROUNDS rounds of the three (bare loops, --dry-run, --dry-run --json), the one measured first
 * rotating from round to round; every figure is its median. On this kind of machine the page
 * cache is reclaimed behind the process's back, and one run of the same command took 5 s, the
 * next 8 s: a single sample judged the noise, not the code.
 */
async function measure(env: NodeJS.ProcessEnv, dbPath: string, rounds: number): Promise<OutputSize> {
  const at = { ...env, GG4L_DB: dbPath };
  const samples = {
    dry: [] as Child[],
    json: [] as Child[],
    iterate: [] as number[],
    stringify: [] as number[],
  };
  let grades = 0;
  const steps = [
    async () => {
      samples.dry.push(await run(["sync", "grades", "--dry-run"], at, true, { wc: true }));
    },
    async () => {
      samples.json.push(await run(["sync", "grades", "--dry-run", "--json"], at, true, { wc: true }));
    },
    async () => {
      const bare = bareLoops(dbPath);
      grades = bare.grades;
      samples.iterate.push(bare.iterateMs);
      samples.stringify.push(bare.stringifyMs);
    },
  ];
  for (let r = 0; r < rounds; r++)
    for (let s = 0; s < steps.length; s++) await steps[(r + s) % steps.length]!();
  const dryMs = median(samples.dry.map((c) => c.ms));
  const jsonMs = median(samples.json.map((c) => c.ms));
  const iterateMs = median(samples.iterate);
  const stringifyMs = median(samples.stringify);
  return {
    grades,
    rounds,
    dryRunMs: Math.round(dryMs),
    dryRunJsonMs: Math.round(jsonMs),
    jsonBytes: samples.json[0]!.stdoutBytes,
    bareIterateMs: Math.round(iterateMs),
    bareStringifyMs: Math.round(stringifyMs),
    dryRunRatio: hundredths(dryMs / iterateMs),
    dryRunJsonRatio: hundredths(jsonMs / stringifyMs),
    peakRssMb: Math.round(
      Math.max(...samples.dry.map((c) => c.rssKb), ...samples.json.map((c) => c.rssKb)) / 1024,
    ),
  };
}

/** `env.GG4L_DB`: the sync bench's state, seeded and with an empty ledger (every grade planned). */
export async function benchDryRunOutput(env: NodeJS.ProcessEnv, rounds = 5): Promise<DryRunOutputBench> {
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
  const full = await measure(env, dbPath, rounds);
  const halved = await measure(env, halfPath, rounds);
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

/** The figures in bench/README.md's dry-run output table, and one line on stdout. */
export function reportDryRunOutput(at: string, output: DryRunOutputBench): void {
  const sizeRow = (s: OutputSize) =>
    `| ${s.grades} | ${s.bareIterateMs} | ${s.dryRunMs} | ${s.dryRunRatio}× | ${s.bareStringifyMs} | ${s.dryRunJsonMs} (${Math.round(s.jsonBytes / 2 ** 20)} MB) | ${s.dryRunJsonRatio}× | ${s.peakRssMb} MB |`;
  updateReadmeSection(
    "dry-run-output",
    `Measured ${at}, on the sync bench's state with an empty ledger (every grade planned), and on a copy holding half the learners and their grades. Baselines: a bare better-sqlite3 loop over the same grade rows in the bench process, iterating them (for \`--dry-run\`), and iterating with a \`JSON.stringify\` per row (for \`--dry-run --json\`). gg4l's times are whole commands, process start included; stdout goes down a pipe to \`wc -c\`. Each figure is the median of ${output.full.rounds} rounds, the side measured first rotating.

| grades | bare iterate ms | \`--dry-run\` ms | ÷ bare | bare iterate + stringify ms | \`--dry-run --json\` ms | ÷ bare | gg4l peak RSS |
|---:|---:|---:|---:|---:|---:|---:|---:|
${sizeRow(output.full)}
${sizeRow(output.half)}

Growth from N/2 to N (linear ≈ 2): \`--dry-run\` ${output.growth.dryRun}×, \`--dry-run --json\` ${output.growth.dryRunJson}×. Targets: each ≤ ${output.targets.ratio}× its baseline, growth within ${output.targets.growth.join("–")}×, peak RSS ≤ ${output.targets.peakRssMb} MB.`,
  );
  console.log(
    `dry-run output: --dry-run ${output.full.dryRunRatio}× bare iterate, --dry-run --json ${output.full.dryRunJsonRatio}× bare iterate+stringify, growth ${output.growth.dryRun}×/${output.growth.dryRunJson}×, peak RSS ${output.full.peakRssMb} MB (${output.pass ? "within" : "OUTSIDE"} targets)`,
  );
}
