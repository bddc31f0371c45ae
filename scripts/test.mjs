#!/usr/bin/env node
// Runs every vitest test and ends with the one plain line CI reads:
// `tests: N passed, N failed`. Exits non-zero when a test failed or none ran.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The browser tests drive Debian's chromium; install it the first time, as CI does.
if (!existsSync("/usr/bin/chromium")) {
  const install = spawnSync("bash", ["scripts/install-browser.sh"], { stdio: "inherit" });
  if (install.status !== 0) {
    console.error("tests: could not install chromium for the browser tests (scripts/install-browser.sh)");
  }
}

const dir = mkdtempSync(join(tmpdir(), "gg4l-vitest-"));
const report = join(dir, "report.json");
const vitest = spawnSync(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 0;
try {
  const result = JSON.parse(readFileSync(report, "utf8"));
  passed = result.numPassedTests;
  failed = result.numFailedTests;
  // A file that fails to load counts as a failure even when none of its tests ran.
  failed += result.testResults.filter(
    (file) => file.status === "failed" && file.assertionResults.length === 0,
  ).length;
} catch {
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(vitest.status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
