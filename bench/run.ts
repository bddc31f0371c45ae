/** `npm run bench`: every benchmark, each against a baseline measured in the same run. */
import { cpus, totalmem } from "node:os";
import { benchCourseraCli } from "./coursera-cli.js";
import { benchCourseraPull } from "./coursera-paging.js";
import { updateReadmeSection, writeResult } from "./measure.js";
import { benchStartup } from "./startup.js";

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
