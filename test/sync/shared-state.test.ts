/**
 * Issue 19 §4: the state is shared safely by `gg4l serve`, a sync and the operator. A grade
 * sync of SCORES scores runs while 8 loops launch through serve and 4 loops run write
 * commands: no launch fails and no command exits other than 0 or 6 (conflict).
 * The default run posts 3,000 to stay near a minute on 2 cores; GG4L_SHARED_SCORES=100000
 * is the figure (measured once: see the README, "Sharing the state").
 */
import { spawn } from "node:child_process";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import {
  type Box,
  connectLms,
  prepareState,
  publishOverHttp,
  registerLms,
  type Serve,
  startServe,
} from "../e2e/serve-helpers.js";
import { binPath, type RunResult } from "../helpers/gg4l.js";

const SCORES = Number(process.env.GG4L_SHARED_SCORES ?? 3_000);

const closers: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

function gg4l(box: Box, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const env: Record<string, string> = { NO_COLOR: "1" };
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith("GG4L_")) env[k] = v;
    env.GG4L_DB = box.db;
    const child = spawn(process.execPath, [binPath, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** SCORES learners who launched the course link and completed the course: one final grade each to post. */
function seedScores(box: Box, lms: FakeLms, linkId: string, programId: string, courseId: string): void {
  const db = new Database(box.db);
  const tenant = db.prepare("SELECT id FROM tenants").pluck().get() as number;
  const registration = db.prepare("SELECT id FROM lms_registrations").pluck().get() as number;
  const now = new Date().toISOString();
  const learner = db.prepare(
    "INSERT INTO learners (tenant_id, external_id, email, first_seen_at) VALUES (?, ?, ?, ?)",
  );
  const member = db.prepare(
    "INSERT INTO memberships (tenant_id, program_id, external_id, state) VALUES (?, ?, ?, 'MEMBER')",
  );
  const user = db.prepare(
    "INSERT INTO lms_users (registration_id, sub, external_id, email, source, first_seen_at) VALUES (?, ?, ?, ?, 'launch', ?)",
  );
  const launch = db.prepare(
    "INSERT INTO launches (tenant_id, external_id, lms_sub, context_id, resource_link_id, program_id, course_id, launched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const grade = db.prepare(
    "INSERT INTO coursera_grades (tenant_id, external_id, course_id, item_id, program_id, grade, passed, completed, completed_at) VALUES (?, ?, ?, '', ?, ?, 1, 1, ?)",
  );
  db.transaction(() => {
    for (let i = 0; i < SCORES; i++) {
      const email = `load${i}@uni.example`;
      const sub = `load-sub-${i}`;
      // Moodle takes scores only for users enrolled in the context.
      lms.addUser({ userId: sub, email, contextId: lms.contextId });
      learner.run(tenant, email, email, now);
      member.run(tenant, programId, email);
      user.run(registration, sub, email, email, now);
      launch.run(tenant, email, sub, lms.contextId, linkId, programId, courseId, now);
      grade.run(tenant, email, courseId, programId, 50 + (i % 50), Date.now() - 3_600_000);
    }
  })();
  db.close();
}

describe("a sync shares the state with serve and the operator", () => {
  it(
    `posts ${SCORES} scores while 8 launch loops and 4 write-command loops run: 0 failed launches, only exits 0 or 6`,
    async () => {
      const fake: FakeCoursera = await startFakeCoursera({ dataset: "small" });
      closers.push(() => fake.close());
      const box = await prepareState(fake, ["Data Science"]);
      closers.push(() => box.cleanup());
      const lms = await startFakeLms({ kind: "moodle", throttle: null });
      closers.push(() => lms.close());
      await registerLms(box, lms, "final");
      const serve: Serve = await startServe(box);
      closers.push(() => serve.stop());
      connectLms(lms, serve.urls);
      const published = await publishOverHttp(lms, {
        program: "Data Science",
        course: "Introduction to Data Science",
      });
      const link = published.links[0]!;
      const programId = link.custom!.coursera_program_id!;
      const courseId = link.custom!.coursera_course_id!;
      const members = fake.control.members(programId).map((m) => m.externalId);
      expect(members.length).toBeGreaterThanOrEqual(12);
      const launchers = members.slice(0, 8).map((email, i) => {
        lms.addUser({ userId: `launcher-${i}`, email, name: `Launcher ${i}`, contextId: lms.contextId });
        return `launcher-${i}`;
      });
      // One launch connects the link (its line item becomes known), as in production.
      expect(
        (await lms.launch({ userId: launchers[0]!, contextId: lms.contextId, linkId: link.id })).status,
      ).toBe(302);
      seedScores(box, lms, link.id, programId, courseId);

      let syncing = true;
      const launches: number[] = [];
      const commands: Array<{ args: string; code: number; stderr: string }> = [];
      const sync = gg4l(box, ["sync", "grades", "--json"]).finally(() => {
        syncing = false;
      });
      const launchLoops = launchers.map(async (userId) => {
        while (syncing) {
          const res = await lms.launch({ userId, contextId: lms.contextId, linkId: link.id });
          launches.push(res.status);
        }
      });
      const writers = members.slice(8, 12).map(async (email, i) => {
        const steps = [
          ["learners", "mark-test", email],
          ["learners", "unmark-test", email],
          i % 2 === 0 ? ["programs", "activate", "Data Science"] : ["settings", "set", "incremental", "on"],
        ];
        for (let n = 0; syncing; n++) {
          const args = steps[n % steps.length]!;
          const result = await gg4l(box, args);
          commands.push({ args: args.join(" "), code: result.code, stderr: result.stderr });
        }
      });
      const synced = await sync;
      await Promise.all([...launchLoops, ...writers]);

      expect(synced.code, `${synced.stderr}\n${synced.stdout.slice(0, 3000)}`).toBe(0);
      const result = JSON.parse(synced.stdout) as { counts: { posted: number; failed: number } };
      expect(result.counts.failed).toBe(0);
      expect(result.counts.posted).toBeGreaterThanOrEqual(SCORES);
      expect(launches.length).toBeGreaterThan(8);
      expect(launches.filter((s) => s !== 302)).toEqual([]);
      expect(commands.length).toBeGreaterThanOrEqual(4);
      expect(commands.filter((c) => c.code !== 0 && c.code !== 6)).toEqual([]);
      expect(serve.log()).not.toMatch(/status=500|database is locked/);
      console.log(
        `shared state: ${SCORES} scores posted alongside ${launches.length} launches and ${commands.length} write commands`,
      );
    },
    Math.max(600_000, SCORES * 20),
  );
});
