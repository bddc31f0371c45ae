/** `npm run bench`: every benchmark, each against a baseline measured in the same run. */
import { cpus, totalmem } from "node:os";
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
