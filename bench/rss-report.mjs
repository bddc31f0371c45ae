// Preloaded into a measured gg4l process (`node --import`): writes its peak RSS (KiB) on exit.
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  if (process.env.GG4L_BENCH_RSS_FILE)
    writeFileSync(process.env.GG4L_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
