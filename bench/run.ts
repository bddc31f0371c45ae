/** `npm run bench`: every benchmark, each against a baseline measured in the same run. */
import { cpus, totalmem } from "node:os";
import { benchAllTenants, reportAllTenants } from "./all-tenants.js";
import { benchCourseraCli } from "./coursera-cli.js";
import { benchCourseraPull } from "./coursera-paging.js";
import { reportDryRunOutput } from "./dry-run-output.js";
import { updateReadmeSection, writeResult } from "./measure.js";
import { benchStartup } from "./startup.js";
import { benchSync } from "./sync.js";

const machine = { node: process.version, cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30) };
const at = new Date().toISOString();

const startup = benchStartup();
writeResult("startup", { at, machine, ...startup });
updateReadmeSection(
  "startup",
  `Measured ${at} on Node ${machine.node}, ${machine.cpus} cores (median of ${startup.runs} runs each, interleaved).

| command | ms | × bare \`node -e 0\` | target |
|---|---:|---:|---:|
| \`node -e 0\` (baseline) | ${startup.nodeMs} | 1.00 | |
| \`gg4l --version\` | ${startup.versionMs} | ${startup.versionRatio} | ≤ ${startup.targets.versionRatio} |
| \`gg4l settings show --json\` | ${startup.settingsShowMs} | ${startup.settingsShowRatio} | ≤ ${startup.targets.settingsShowRatio} |`,
);
console.log(
  `startup: --version ${startup.versionRatio}×, settings show --json ${startup.settingsShowRatio}× of bare node (${startup.pass ? "within" : "OUTSIDE"} targets)`,
);
if (!startup.pass) process.exitCode = 1;

const coursera = await benchCourseraCli();
const paging = await benchCourseraPull();
writeResult("coursera", { at, machine, cli: coursera, client: paging });
updateReadmeSection(
  "coursera",
  `Measured ${at}. Dataset \`${coursera.dataset}\`: ${coursera.counts.programs} programs, ${coursera.counts.courses} courses, ${coursera.counts.memberships} memberships, ${coursera.counts.gradableItems} gradable items.

| what | ms | × baseline | peak RSS |
|---|---:|---:|---:|
| bare undici loop over the same endpoints (baseline) | ${coursera.bareMs} | 1.00 | |
| \`gg4l programs pull\` | ${coursera.pullMs} | | |
| \`gg4l courses refresh --all\` | ${coursera.refreshMs} | | |
| gg4l, both commands (two process starts, state writes) | ${coursera.gg4lMs} | ${coursera.ratio} | ${coursera.peakRssMb} MB |
| CourseraClient pull of programs + contents + memberships, in-process (median of ${paging.runs}) | ${paging.clientMs} | ${paging.ratio} × its bare loop (${paging.bareMs} ms) | ${paging.peakRssMb} MB (bench process) |`,
);
console.log(
  `coursera: pull + refresh ${coursera.gg4lMs} ms vs bare ${coursera.bareMs} ms (${coursera.ratio}×), peak RSS ${coursera.peakRssMb} MB`,
);

const gradesWanted = process.env.GG4L_BENCH_GRADES ? Number(process.env.GG4L_BENCH_GRADES) : 1_000_000;
const roundsWanted = process.env.GG4L_BENCH_ROUNDS ? Number(process.env.GG4L_BENCH_ROUNDS) : 5;
const sync = await benchSync({ grades: gradesWanted, rounds: roundsWanted });
writeResult("sync", { at, machine, ...sync });
updateReadmeSection(
  "sync",
  `Measured ${at}: ${sync.grades} item grades (${sync.learners} learners × ${sync.items} items), moodle personality, at most ${sync.concurrency} posts at once. The bare loop and gg4l ran in ${sync.rounds.length} rounds, the side measured first alternating; the figures are the median round's.

| what | figure | target |
|---|---:|---:|
| dry-run plan (\`gg4l sync grades --dry-run\`, whole command) | ${sync.dryRunMs} ms | |
| bare undici loop posting the same scores (baseline) | ${sync.bare.perSecond} scores/s (${sync.bare.ms} ms, ${sync.bare.cpuMs} ms CPU) | |
| \`gg4l sync grades\` (whole command: plan, ledger, posts) | ${sync.live.perSecond} scores/s (${sync.live.ms} ms, ${sync.live.cpuMs} ms CPU) | |
| gg4l ÷ bare loop (median round) | ${sync.throughputRatio}× | ≥ ${sync.targets.throughputRatio}× |
| every round: gg4l ÷ bare loop (gg4l ms / bare ms) | ${sync.rounds.map((r) => `${r.ratio}× (${r.liveMs} / ${r.bareMs}, ${r.first} first)`).join(", ")} | |
| posting only, first to last post at the LMS: gg4l ÷ bare loop (gg4l ms / bare ms) | ${sync.postingRatio}× (${sync.live.postingMs} / ${sync.bare.postingMs}) | |
| every round, posting only | ${sync.rounds.map((r) => `${r.postingRatio}×`).join(", ")} | |
| the fake LMS's CPU while serving gg4l / the bare loop | ${sync.live.lmsCpuMs} / ${sync.bare.lmsCpuMs} ms | |
| incremental re-run after ${sync.incremental.changed} grades (1%) changed | ${sync.incremental.posted} posted in ${sync.incremental.ms} ms | exactly ${sync.incremental.changed} |
| gg4l peak RSS (largest of all its runs) | ${sync.peakRssMb} MB | ≤ ${sync.targets.peakRssMb} MB |`,
);
console.log(
  `sync: ${sync.live.perSecond}/s vs bare ${sync.bare.perSecond}/s (${sync.throughputRatio}×), re-run posted ${sync.incremental.posted}/${sync.incremental.changed}, peak RSS ${sync.peakRssMb} MB`,
);
if (!sync.pass) process.exitCode = 1;

const { output } = sync;
reportDryRunOutput(at, output);
if (!output.pass) process.exitCode = 1;

const tenantsWanted = process.env.GG4L_BENCH_TENANTS ? Number(process.env.GG4L_BENCH_TENANTS) : 40;
const tenantGrades = process.env.GG4L_BENCH_TENANT_GRADES
  ? Number(process.env.GG4L_BENCH_TENANT_GRADES)
  : 2000;
const allTenants = await benchAllTenants({ tenants: tenantsWanted, grades: tenantGrades });
if (!reportAllTenants(allTenants, at, machine)) process.exitCode = 1;
