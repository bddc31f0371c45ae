/**
 * `npm run bench:dry-run`: only the dry-run output bench (see dry-run-output.ts), on the sync
 * bench's state of GG4L_BENCH_GRADES item grades (default 1,000,000), without the live sync
 * rounds that take most of `npm run bench`'s time. Writes bench/results/dry-run-output.json.
 */
import { rmSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { benchDryRunOutput, reportDryRunOutput } from "./dry-run-output.js";
import { writeResult } from "./measure.js";
import { seedSyncState } from "./sync.js";

const grades = process.env.GG4L_BENCH_GRADES ? Number(process.env.GG4L_BENCH_GRADES) : 1_000_000;
const machine = { node: process.version, cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30) };
const at = new Date().toISOString();
const state = await seedSyncState({ grades, items: 20 });
try {
  const output = await benchDryRunOutput(state.env);
  writeResult("dry-run-output", { at, machine, ...output });
  reportDryRunOutput(at, output);
  if (!output.pass) process.exitCode = 1;
} finally {
  await state.lms.close();
  if (process.env.GG4L_BENCH_KEEP) console.error(`dry-run bench state kept in ${state.dir}`);
  else rmSync(state.dir, { recursive: true, force: true });
}
