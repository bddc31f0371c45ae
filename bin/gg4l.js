#!/usr/bin/env node
// Tiny launcher. `--version` is answered without loading the CLI, for scripts that probe it.
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";

const argv = process.argv.slice(2);
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`${version}\n`);
} else {
  const { run } = await import("../dist/src/cli/main.js");
  const { processIO } = await import("../dist/src/cli/io/io.js");
  let osUser = "unknown";
  try {
    osUser = userInfo().username;
  } catch {}
  const code = await run(argv, { io: processIO(), env: process.env, cwd: process.cwd(), osUser, version });
  // A pipe may still hold output (a large --json answer to a slow reader): exit only once it is written.
  const flushed = (stream) => new Promise((resolve) => stream.write("", resolve));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
