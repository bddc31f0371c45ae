/** Issue 19 §8: a live sync whose stdout reader went away keeps going and records its true outcome. */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { binPath, parseJson } from "../helpers/gg4l.js";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe("sync daily with a closed stdout (EPIPE)", () => {
  it("posts every score, records the run as ok and exits 0, without a stack", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course = w.courses.find((c) => c.items.length >= 2) as Course;
    const item = course.items[0]!;
    const link = w.publish({ courseId: course.id, itemId: item.id });
    for (const [i, member] of w.members.slice(0, 3).entries()) {
      w.setGrade(member, course.id, { items: { [item.id]: 70 + i } });
      w.launch(member, link, { courseId: course.id, itemId: item.id });
    }
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const env: Record<string, string> = { NO_COLOR: "1" };
      for (const [k, v] of Object.entries(process.env))
        if (v !== undefined && !k.startsWith("GG4L_")) env[k] = v;
      env.GG4L_DB = w.box.db;
      const child = spawn(process.execPath, [binPath, "sync", "daily", "--json"], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.destroy();
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).not.toMatch(/EPIPE|node:events/);
    expect(result.code, result.stderr).toBe(0);
    const runs = parseJson<Array<{ status: string }>>(await w.ok(["sync", "runs", "--json"]));
    expect(runs[0]!.status).toBe("ok");
    const line = w.lms.gradebook().lineItems.find((li) => li.resourceLinkId === link.linkId)!;
    expect(line.grades.map((g) => g.scoreGiven).sort()).toEqual([70, 71, 72]);
  }, 180_000);
});
