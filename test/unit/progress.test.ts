/** The phase lines written without a terminal (a log, CI) and under --json. */
import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { IO } from "../../src/cli/io/io.js";
import { phaseProgress } from "../../src/cli/io/progress.js";
import { plainStyle } from "../../src/cli/io/style.js";
import type { PhaseEvent } from "../../src/core/sync/phases.js";

function pipedIO(): { io: IO; stderr: () => string; stdout: () => string } {
  let err = "";
  let out = "";
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        add(String(chunk));
        done();
      },
    });
  const io: IO = {
    stdin: Readable.from([]),
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
    stdinTTY: false,
    stdoutTTY: false,
    stderrTTY: false,
    columns: 0,
  };
  return { io, stderr: () => err, stdout: () => out };
}

const base = { tenant: "uni-x", startedAt: 0 };
const posts = (state: PhaseEvent["state"], posted: number, failed: number, error?: string): PhaseEvent => ({
  ...base,
  phase: "posts",
  state,
  figures: { total: 10, posted, stale: 0, failed },
  ...(error ? { error } : {}),
});

describe("phase lines without a terminal", () => {
  it("a line per finished phase, a running line only every 5 s, nothing on stdout", async () => {
    const { io, stderr, stdout } = pipedIO();
    let clock = 0;
    const progress = await phaseProgress(io, { json: false, style: plainStyle, env: {}, now: () => clock });
    progress.onPhase({
      ...base,
      phase: "plan",
      state: "start",
      figures: { posts: 0, columns: 0, skipped: 0 },
    });
    progress.onPhase({
      ...base,
      phase: "plan",
      state: "done",
      figures: { posts: 10, columns: 0, skipped: 3 },
    });
    progress.onPhase(posts("start", 0, 0));
    clock = 1000;
    progress.onPhase(posts("progress", 1, 0));
    clock = 6000;
    progress.onPhase(posts("progress", 6, 1));
    clock = 7000;
    progress.onPhase(posts("failed", 6, 1, "the LMS at lms.example has not answered since 07:00"));
    expect(stderr().split("\n")).toEqual([
      "✓ Plan: 10 score posts, 0 columns to create, 3 kept out (0.0 s)",
      "[##############      ] Posts: 7/10 · 6 posted · 0 already in the LMS · 1 failed · 1/s",
      "✗ Posts: 7/10 · 6 posted · 0 already in the LMS · 1 failed — stopped: the LMS at lms.example has not answered since 07:00 (7.0 s)",
      "",
    ]);
    expect(stdout()).toBe("");
  });

  it("a failed plan says there is no plan, and a cause quoting a remote is shown inert", async () => {
    const { io, stderr } = pipedIO();
    const progress = await phaseProgress(io, { json: false, style: plainStyle, env: {}, now: () => 0 });
    progress.onPhase({
      ...base,
      phase: "plan",
      state: "failed",
      figures: { posts: 0, columns: 0, skipped: 0 },
      error: "no learner \u001b[2Jana",
    });
    expect(stderr()).toBe("✗ Plan: no plan — stopped: no learner \\x1b[2Jana (0.0 s)\n");
  });

  it("--json with stderr not a terminal: no progress at all, log lines still written", async () => {
    const { io, stderr } = pipedIO();
    const progress = await phaseProgress(io, { json: true, style: plainStyle, env: {}, now: () => 0 });
    progress.onPhase(posts("start", 0, 0));
    progress.onPhase(posts("done", 10, 0));
    progress.around(() => io.stderr.write("! a warning\n"));
    expect(stderr()).toBe("! a warning\n");
  });
});
