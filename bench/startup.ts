/**
 * Startup: `gg4l --version` and `gg4l settings show --json` against bare `node -e 0`,
 * measured in the same run. Cron and scripts call gg4l many times; it must start fast.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, timeCommand } from "./measure.js";

export interface StartupResult {
  runs: number;
  nodeMs: number;
  versionMs: number;
  settingsShowMs: number;
  versionRatio: number;
  settingsShowRatio: number;
  targets: { versionRatio: number; settingsShowRatio: number };
  pass: boolean;
}

export function benchStartup(runs = 25): StartupResult {
  const dir = mkdtempSync(join(tmpdir(), "gg4l-bench-"));
  const bin = join(repoRoot, "bin", "gg4l.js");
  const env = { ...process.env, GG4L_DB: join(dir, "state.db"), NO_COLOR: "1" };
  const setup = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`setup ${args.join(" ")} failed: ${r.stderr}`);
  };
  try {
    setup(["init"]);
    setup(["tenant", "add", "bench", "--name", "Bench University", "--coursera-org", "org-bench"]);
    setup([
      "lms",
      "register",
      "--kind",
      "moodle",
      "--issuer",
      "https://moodle.bench.edu",
      "--client-id",
      "c",
      "--deployment-id",
      "1",
      "--auth-url",
      "https://moodle.bench.edu/mod/lti/auth.php",
      "--token-url",
      "https://moodle.bench.edu/mod/lti/token.php",
      "--jwks-url",
      "https://moodle.bench.edu/mod/lti/certs.php",
      "--grade-sync",
      "course",
    ]);
    // Interleave the three so machine noise hits each alike.
    const nodeTimes: number[] = [];
    const versionTimes: number[] = [];
    const settingsTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      const per = Math.ceil(runs / 5);
      nodeTimes.push(timeCommand([process.execPath, "-e", "0"], env, per));
      versionTimes.push(timeCommand([process.execPath, bin, "--version"], env, per));
      settingsTimes.push(timeCommand([process.execPath, bin, "settings", "show", "--json"], env, per));
    }
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const nodeMs = avg(nodeTimes);
    const versionMs = avg(versionTimes);
    const settingsShowMs = avg(settingsTimes);
    const targets = { versionRatio: 1.5, settingsShowRatio: 2.5 };
    const versionRatio = versionMs / nodeMs;
    const settingsShowRatio = settingsShowMs / nodeMs;
    return {
      runs,
      nodeMs: round1(nodeMs),
      versionMs: round1(versionMs),
      settingsShowMs: round1(settingsShowMs),
      versionRatio: round2(versionRatio),
      settingsShowRatio: round2(settingsShowRatio),
      targets,
      pass: versionRatio <= targets.versionRatio && settingsShowRatio <= targets.settingsShowRatio,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
