import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { binPath, parseJson, runGg4l, sandboxState } from "../helpers/gg4l.js";

interface Demo {
  lms: string;
  launches: number;
  licenses: { taken: number; freed: number };
  sync: { planned: number; posted: number; failed: number; skipped: Record<string, number> };
  gradebook: Array<{ column: string; learner: string; score: number | null }>;
  rerun: { posted: number; posts: number; notifications: number };
  removedTestLearners: number;
}

describe("gg4l sandbox demo", () => {
  for (const lms of ["canvas", "moodle", "blackboard", "d2l", "schoology", "buzz", "google-classroom"]) {
    it(`tells the whole story on a fake ${lms}`, async () => {
      const result = await runGg4l(["sandbox", "demo", "--lms", lms, "--json"]);
      expect(result.code, result.stderr).toBe(0);
      const demo = parseJson<Demo>(result);
      expect(demo.lms).toBe(lms);
      expect(demo.licenses.taken).toBe(5);
      expect(demo.licenses.freed).toBe(1);
      expect(demo.sync.posted).toBe(demo.sync.planned);
      // Four learners' two items; the test learner, flagged before the sync, is kept out (R5).
      expect(demo.sync.posted).toBe(8);
      expect(demo.sync.skipped["test-learner"]).toBe(2);
      expect(demo.sync.failed).toBe(0);
      expect(demo.gradebook).toHaveLength(8);
      expect(demo.gradebook.map((g) => g.learner).join(" ")).not.toMatch(/test\.student/);
      expect(demo.gradebook.every((g) => typeof g.score === "number")).toBe(true);
      expect(demo.rerun).toEqual({ posted: 0, posts: 0, notifications: 0 });
    }, 60_000);
  }

  it("Option B and final grades too, on an LTI LMS and on Classroom, keeping the state with --db", async () => {
    const box = sandboxState();
    const cases = [
      ["moodle", "course"],
      ["moodle", "final"],
      ["google-classroom", "course"],
      ["google-classroom", "final"],
    ] as const;
    try {
      for (const [lms, gradeSync] of cases) {
        const db = `${box.dir}/${lms}-${gradeSync}.db`;
        const result = await runGg4l([
          "sandbox",
          "demo",
          "--lms",
          lms,
          "--grade-sync",
          gradeSync,
          "--db",
          db,
          "--json",
        ]);
        expect(result.code, result.stderr).toBe(0);
        const demo = parseJson<Demo>(result);
        expect(demo.sync.failed).toBe(0);
        expect(demo.sync.posted).toBeGreaterThan(0);
        expect(demo.rerun.posted).toBe(0);
        const runs = parseJson<unknown[]>(
          await runGg4l(["sync", "runs", "--json"], { env: { GG4L_DB: db, GG4L_TENANT: "sandbox" } }),
        );
        expect(runs).toHaveLength(2);
      }
    } finally {
      box.cleanup();
    }
  }, 60_000);

  it("a human run prints the story's headings and a summary", async () => {
    const result = await runGg4l(["sandbox", "demo"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/1\. Register the tenant and the LMS/);
    expect(result.stdout).toMatch(/The test learner is removed and the license freed/);
    expect(result.stdout).toMatch(/2 not sent: test learner: kept out of grade sync/);
    expect(result.stdout).toMatch(/^Summary$/m);
    expect(result.stderr).toMatch(/Continue by hand/);
  }, 60_000);
});

describe("gg4l sandbox start", () => {
  it("keeps the sandbox running, prints how to reach it, and stops cleanly on Ctrl-C", async () => {
    const child = spawn(process.execPath, [binPath, "sandbox", "start", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    for (let i = 0; i < 600 && !stdout.includes("}\n"); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const info = JSON.parse(stdout) as {
      env: { GG4L_DB: string; GG4L_TENANT: string };
      try: string[];
      lms: { url: string; baseUrl: string; issuer: string; adminUrl: string };
      tool: { loginUrl: string };
      stateDir: string;
      keptOnStop: boolean;
    };
    expect(info.try).toHaveLength(3);
    // The fake LMS's own address (not its issuer, which is a real LMS's name) and its admin API answer.
    expect(info.lms.issuer).toBe("https://canvas.instructure.com");
    expect(info.lms.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${info.lms.adminUrl}info`)).status).toBe(200);
    expect(info.stateDir).toBe(dirname(info.env.GG4L_DB));
    expect(info.keptOnStop).toBe(false);
    expect(existsSync(info.stateDir)).toBe(true);
    // gg4l serve's log lines show, as with a standalone serve.
    await fetch(info.tool.loginUrl, {
      method: "POST",
      body: new URLSearchParams({ iss: "https://nobody.example" }),
    });
    for (let i = 0; i < 100 && !/login-refused/.test(stderr); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/^\S+Z login-refused /m);
    const env = { GG4L_DB: info.env.GG4L_DB, GG4L_TENANT: info.env.GG4L_TENANT };
    const learners = parseJson<unknown[]>(await runGg4l(["learners", "list", "--json"], { env }));
    expect(learners.length).toBeGreaterThan(0);
    const daily = parseJson<{ run: { counts: { posted: number; failed: number } } }>(
      await runGg4l(["sync", "daily", "--json"], { env }),
    );
    expect(daily.run.counts.failed).toBe(0);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(existsSync(info.stateDir)).toBe(false);
  }, 60_000);
});
