// Preloaded into a measured process (`node --import`): on exit writes its peak RSS (KiB) and,
// when asked, its CPU time (ms, user + system).
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  const usage = process.resourceUsage();
  if (process.env.GG4L_BENCH_RSS_FILE) writeFileSync(process.env.GG4L_BENCH_RSS_FILE, String(usage.maxRSS));
  if (process.env.GG4L_BENCH_CPU_FILE)
    writeFileSync(
      process.env.GG4L_BENCH_CPU_FILE,
      String(Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)),
    );
});
