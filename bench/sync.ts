/**
 * Grade sync on a generated tenant of GRADES item grades (default 1,000,000: 50,000 learners
 * × 20 gradable items, Option A, every learner launched every link), against the moodle
 * personality of the fake LMS: dry-run plan time, live sync throughput beside a bare undici
 * loop posting the same scores in the same run, an incremental re-run after 1% of the grades
 * changed, and gg4l's peak RSS.
 *
 * The live sync and the bare loop run in ROUNDS pairs (default 5), each gg4l run from an empty
 * ledger so every round posts every score, the side measured first alternating from round to
 * round: the ratio is the median of the rounds' ratios, so a busy minute on a shared machine
 * skews one round, not the figure.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { lmsRegisterArgs } from "../fixtures/fake-lms/registration.js";
import { type FakeLms, startFakeLms } from "../fixtures/fake-lms/server.js";
import { loadToolKey } from "../src/base/keys.js";
import { lineItemServiceUrl } from "../src/clients/lti/ags.js";
import { ALL_AGS_SCOPES } from "../src/clients/lti/constants.js";
import { ServiceTokenProvider } from "../src/clients/lti/token.js";
import { benchDryRunOutput, type DryRunOutputBench } from "./dry-run-output.js";
import { repoRoot } from "./measure.js";

export interface SyncBench {
  grades: number;
  learners: number;
  items: number;
  concurrency: number;
  dryRunMs: number;
  /** Printing the plan (--dry-run, --dry-run --json) beside bare loops over the same rows; judged on its own. */
  output: DryRunOutputBench;
  /**
   * cpuMs: the process's CPU time (user + system), steadier than wall time on a busy machine.
   * postingMs: from the first score post to the last one as the fake LMS received them.
   * lmsCpuMs: the fake LMS's CPU time meanwhile (it runs in the bench process).
   */
  live: Side;
  bare: Side;
  throughputRatio: number;
  /** The median round's posting windows, bare ÷ gg4l: the ratio without gg4l's planning and fold. */
  postingRatio: number;
  /** Every round, in order; live and bare above are the median round's. */
  rounds: Round[];
  incremental: { changed: number; posted: number; ms: number };
  peakRssMb: number;
  targets: { throughputRatio: number; peakRssMb: number };
  pass: boolean;
}

export interface Side {
  ms: number;
  posted: number;
  perSecond: number;
  cpuMs: number;
  postingMs: number;
  lmsCpuMs: number;
}

export interface Round {
  /** Which side this round measured first: the order alternates from round to round. */
  first: "bare" | "gg4l";
  liveMs: number;
  liveCpuMs: number;
  livePostingMs: number;
  liveLmsCpuMs: number;
  bareMs: number;
  bareCpuMs: number;
  barePostingMs: number;
  bareLmsCpuMs: number;
  ratio: number;
  postingRatio: number;
}

export interface Child {
  ms: number;
  rssKb: number;
  cpuMs: number;
  stdout: string;
  /** Bytes written to stdout (kept in `stdout` only without `discardStdout`). */
  stdoutBytes: number;
}

/** Runs gg4l (or, with node false, a node script) and measures it. */
export function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  node = true,
  /**
   * discardStdout: count stdout's bytes, keep none. wc: stdout goes down a pipe to `wc -c`, a
   * reader that keeps up, rather than to this process, whose reads wait on its own work and
   * garbage (the fake LMS's heap) and would hold the command back.
   */
  opts: { discardStdout?: boolean; wc?: boolean } = {},
): Promise<Child> {
  const rssFile = join(env.GG4L_BENCH_DIR!, `rss-${Math.random()}`);
  const cpuFile = `${rssFile}.cpu`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // GG4L_BENCH_PROF_DIR: write a V8 CPU profile of every measured process there.
    const prof = env.GG4L_BENCH_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${env.GG4L_BENCH_PROF_DIR}`] : [];
    const report = ["--import", join(repoRoot, "bench/rss-report.mjs")];
    const argv = node
      ? [...prof, ...report, join(repoRoot, "bin/gg4l.js"), ...args]
      : [...prof, ...report, ...args];
    const childEnv = { ...env, GG4L_BENCH_RSS_FILE: rssFile, GG4L_BENCH_CPU_FILE: cpuFile };
    const child = opts.wc
      ? spawn("/bin/bash", ["-c", 'set -o pipefail; "$@" | wc -c', "bash", process.execPath, ...argv], {
          env: childEnv,
          stdio: ["ignore", "pipe", "pipe"],
        })
      : spawn(process.execPath, argv, { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stdoutBytes = 0;
    let stderr = "";
    if (opts.discardStdout) {
      child.stdout.on("data", (d: Buffer) => {
        stdoutBytes += d.length;
      });
    } else {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        stdoutBytes += Buffer.byteLength(d);
      });
    }
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("close", (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`));
      const read = (file: string) => {
        try {
          return Number(readFileSync(file, "utf8"));
        } catch {
          return 0;
        }
      };
      if (opts.wc) stdoutBytes = Number(stdout.trim());
      resolve({ ms, rssKb: read(rssFile), cpuMs: read(cpuFile), stdout, stdoutBytes });
    });
  });
}

export async function benchSync(
  opts: { grades?: number; items?: number; concurrency?: number; rounds?: number } = {},
): Promise<SyncBench> {
  const roundCount = opts.rounds ?? 5;
  const items = opts.items ?? 20;
  const grades = opts.grades ?? 1_000_000;
  const concurrency = opts.concurrency ?? 16;
  const { dir, env, keyFile, lms, subs, links, learners } = await seedSyncState({ grades, items });
  try {
    // The gradebook already holds an older score for every learner, as on any day after the
    // first. Without it the first round's bare loop adds a million grades while gg4l replaces
    // them, leaving the fake a million dead objects to collect during gg4l's run only. It is
    // laid down afresh before every measured run, so each side meets the same gradebook, in the
    // same order in memory, rather than the grades the run before it left (allocated in its order).
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const yesterdayMicros = Date.parse(yesterday) * 1000;
    const seedGradebook = () => {
      for (const { lineItem } of links) {
        const grades = lms.state.gradesOf(lineItem!.id);
        grades.clear();
        for (const userId of subs)
          grades.set(userId, {
            userId,
            score: 50,
            scoreGiven: 50,
            scoreMaximum: 100,
            comments: [],
            activityProgress: "Completed",
            gradingProgress: "FullyGraded",
            timestamp: yesterday,
            timestampMicros: yesterdayMicros,
            receivedMicros: yesterdayMicros,
            // The fake's own grades have these two too: the same shape keeps its code monomorphic.
            scoringUserId: undefined,
            comment: undefined,
          });
      }
    };

    const dry = await run(["sync", "grades", "--dry-run"], env);
    const output = await benchDryRunOutput(env);
    // The baseline's job: the same URLs and scores gg4l posts, with one token.
    const key = await loadToolKey(keyFile);
    const tokens = new ServiceTokenProvider(
      {
        kind: "moodle",
        issuer: lms.issuer,
        clientId: lms.clientId,
        deploymentId: lms.deploymentId,
        tokenUrl: lms.tokenUrl,
        jwksUrl: lms.jwksUrl,
      },
      key,
    );
    const token = await tokens.getToken(ALL_AGS_SCOPES);
    const posts: Array<[string, string, number]> = [];
    for (let l = 0; l < learners; l++) {
      for (let i = 0; i < items; i++)
        posts.push([
          lineItemServiceUrl(links[i]!.lineItem!.id, "scores"),
          subs[l]!,
          ((l * 7 + i * 13) % 1000) / 10,
        ]);
    }
    const jobFile = join(dir, "bare-job.json");
    writeFileSync(jobFile, JSON.stringify({ token: token.accessToken, concurrency, posts }));
    posts.length = 0;
    // Scores must be newer than the last one the LMS holds, in whole seconds for Moodle: each
    // run starts more than a second after the one before. The fake keeps every post,
    // notification and request it saw: each measured run starts with those logs empty, and
    // (npm run bench passes --expose-gc) with the previous run's garbage collected, so
    // neither run pays for a heap the other one grew. The fake runs in this process.
    const collect = (globalThis as { gc?: () => void }).gc;
    const nextRun = async () => {
      // Seeding leaves about 100 MB of the state unwritten: flush it now, not during a measured run.
      spawnSync("sync");
      await new Promise((resolve) => setTimeout(resolve, 1100));
      lms.clearLogs();
      seedGradebook();
      collect?.();
    };
    // What the fake LMS saw of the run just measured: its posting window and its own CPU time.
    const measured = async (work: () => Promise<Child>) => {
      const lmsCpu = process.cpuUsage();
      const child = await work();
      const { user, system } = process.cpuUsage(lmsCpu);
      const log = lms.state.posts;
      const postingMs = log.length > 0 ? Date.parse(log.at(-1)!.at) - Date.parse(log[0]!.at) : 0;
      return { child, postingMs, lmsCpuMs: Math.round((user + system) / 1000) };
    };
    const rounds: Array<
      Round & { exactRatio: number; live: Child; bare: { ms: number; posted: number }; posted: number }
    > = [];
    const hundredths = (x: number) => Math.round(x * 100) / 100;
    for (let r = 0; r < roundCount; r++) {
      if (r > 0) {
        // Every round posts every score: gg4l starts from an empty ledger, as in the first.
        const reset = new Database(env.GG4L_DB);
        reset.exec("DELETE FROM score_ledger");
        reset.close();
      }
      const measureBare = async () => {
        await nextRun();
        return measured(() => run([join(repoRoot, "dist/bench/bare-poster.js"), jobFile], env, false));
      };
      const measureLive = async () => {
        await nextRun();
        return measured(() =>
          run(["sync", "grades", "--json", "--max-concurrency", String(concurrency)], env),
        );
      };
      // The order alternates, so a machine that slows down (or speeds up) within a round
      // weighs on both sides alike instead of always on the one measured second.
      const first: Round["first"] = r % 2 === 0 ? "bare" : "gg4l";
      let bareSeen: Awaited<ReturnType<typeof measureBare>>;
      let liveSeen: Awaited<ReturnType<typeof measureLive>>;
      if (first === "bare") {
        bareSeen = await measureBare();
        liveSeen = await measureLive();
      } else {
        liveSeen = await measureLive();
        bareSeen = await measureBare();
      }
      const bare = JSON.parse(bareSeen.child.stdout) as { ms: number; posted: number };
      const live = liveSeen.child;
      const posted = (JSON.parse(live.stdout) as { counts: { posted: number } }).counts.posted;
      const ratio = posted / live.ms / (bare.posted / bare.ms);
      rounds.push({
        first,
        liveMs: Math.round(live.ms),
        liveCpuMs: live.cpuMs,
        livePostingMs: liveSeen.postingMs,
        liveLmsCpuMs: liveSeen.lmsCpuMs,
        bareMs: Math.round(bare.ms),
        bareCpuMs: bareSeen.child.cpuMs,
        barePostingMs: bareSeen.postingMs,
        bareLmsCpuMs: bareSeen.lmsCpuMs,
        ratio: hundredths(ratio),
        exactRatio: ratio,
        postingRatio: hundredths(posted / liveSeen.postingMs / (bare.posted / bareSeen.postingMs)),
        live,
        bare,
        posted,
      });
    }
    const byRatio = [...rounds].sort((a, b) => a.exactRatio - b.exactRatio);
    const mid = byRatio[Math.floor(byRatio.length / 2)]!;

    // 1% of the grades change on Coursera; the incremental re-run posts exactly those.
    const changed = Math.round(grades / 100);
    const edit = new Database(env.GG4L_DB);
    edit
      .prepare(
        "UPDATE coursera_grades SET grade = grade + 0.5 WHERE (external_id, item_id) IN (SELECT external_id, item_id FROM coursera_grades ORDER BY external_id, item_id LIMIT ?)",
      )
      .run(changed);
    edit.close();
    await nextRun();
    const rerun = await run(["sync", "grades", "--json", "--max-concurrency", String(concurrency)], env);
    const rerunResult = JSON.parse(rerun.stdout) as { counts: { posted: number } };

    const liveRate = mid.posted / (mid.live.ms / 1000);
    const bareRate = mid.bare.posted / (mid.bare.ms / 1000);
    const peakRssMb = Math.round(Math.max(dry.rssKb, rerun.rssKb, ...rounds.map((r) => r.live.rssKb)) / 1024);
    // Judged unrounded: 0.796 must not pass as 0.80.
    const throughputRatio = Math.round(mid.exactRatio * 1000) / 1000;
    const targets = { throughputRatio: 0.8, peakRssMb: 250 };
    return {
      grades,
      learners,
      items,
      concurrency,
      dryRunMs: Math.round(dry.ms),
      output,
      live: {
        ms: mid.liveMs,
        posted: mid.posted,
        perSecond: Math.round(liveRate),
        cpuMs: mid.liveCpuMs,
        postingMs: mid.livePostingMs,
        lmsCpuMs: mid.liveLmsCpuMs,
      },
      bare: {
        ms: mid.bareMs,
        posted: mid.bare.posted,
        perSecond: Math.round(bareRate),
        cpuMs: mid.bareCpuMs,
        postingMs: mid.barePostingMs,
        lmsCpuMs: mid.bareLmsCpuMs,
      },
      throughputRatio,
      postingRatio: mid.postingRatio,
      rounds: rounds.map(
        ({ exactRatio: _exact, live: _live, bare: _bare, posted: _posted, ...round }) => round,
      ),
      incremental: { changed, posted: rerunResult.counts.posted, ms: Math.round(rerun.ms) },
      peakRssMb,
      targets,
      pass:
        mid.exactRatio >= targets.throughputRatio &&
        peakRssMb <= targets.peakRssMb &&
        rerunResult.counts.posted === changed,
    };
  } finally {
    await lms.close();
    // GG4L_BENCH_KEEP: leave the generated state behind to study (its path goes to stderr).
    if (process.env.GG4L_BENCH_KEEP) console.error(`sync bench state kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

export interface SyncState {
  dir: string;
  env: NodeJS.ProcessEnv;
  keyFile: string;
  lms: FakeLms;
  /** The LMS user ids, learner by learner. */
  subs: string[];
  links: ReturnType<FakeLms["addLink"]>[];
  learners: number;
}

/**
 * A state of `grades` item grades (learners × `items`), Option A, every learner launched every
 * link, and the fake LMS (moodle) it is registered with, as pulls and launches would have left
 * them; the score ledger is empty. The caller closes `lms` and removes `dir`.
 */
export async function seedSyncState(opts: { grades: number; items: number }): Promise<SyncState> {
  const { grades, items } = opts;
  const learners = Math.ceil(grades / items);
  const dir = mkdtempSync(join(tmpdir(), "gg4l-bench-sync-"));
  const env = { ...process.env, GG4L_DB: join(dir, "state.db"), GG4L_BENCH_DIR: dir, NO_COLOR: "1" };
  await run(["init"], env);
  const keyFile = join(dir, "state.key.json");
  const lms = await startFakeLms({
    kind: "moodle",
    toolPublicJwk: JSON.parse(readFileSync(keyFile, "utf8")).publicJwk,
    throttle: null,
  });
  try {
    await run(["tenant", "add", "bench", "--name", "Bench", "--coursera-org", "org-bench"], env);
    await run(lmsRegisterArgs(lms, "assignment"), env);
    // The LMS side: learners enrolled in one course, a link with its line item per gradable item.
    const subs: string[] = [];
    for (let l = 0; l < learners; l++)
      subs.push(lms.addUser({ email: `learner${l}@bench.edu`, contextId: lms.contextId }).user.id);
    const links = Array.from({ length: items }, (_, i) =>
      lms.addLink({
        contextId: lms.contextId,
        title: `Item ${i}`,
        lineItem: { scoreMaximum: 100, resourceId: `item-${i}`, tag: "coursera" },
      }),
    );
    // The gg4l side, as pulls and launches would have left it.
    const db = new Database(env.GG4L_DB);
    const now = new Date().toISOString();
    db.transaction(() => {
      const tenantId = (db.prepare("SELECT id FROM tenants").get() as { id: number }).id;
      const regId = (db.prepare("SELECT id FROM lms_registrations").get() as { id: number }).id;
      db.prepare(
        "INSERT INTO programs (tenant_id, program_id, name, active, first_seen_at, pulled_at) VALUES (?, 'p1', 'Bench Program', 1, ?, ?)",
      ).run(tenantId, now, now);
      db.prepare(
        "INSERT INTO courses (tenant_id, course_id, name, items_known, refreshed_at) VALUES (?, 'c1', 'Bench Course', 1, ?)",
      ).run(tenantId, now);
      db.prepare(
        "INSERT INTO program_courses (tenant_id, program_id, course_id, added_at) VALUES (?, 'p1', 'c1', ?)",
      ).run(tenantId, now);
      const item = db.prepare(
        "INSERT INTO items (tenant_id, course_id, item_id, name, item_order, weight) VALUES (?, 'c1', ?, ?, ?, 5)",
      );
      const link = db.prepare(
        `INSERT INTO links (registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, lineitem_url, lineitems_url,
           created_at, program_id, course_id, item_id, connected_at) VALUES (?, ?, ?, 'item', ?, 'assignment', ?, ?, ?, 'p1', 'c1', ?, ?)`,
      );
      links.forEach((l, i) => {
        item.run(tenantId, `item-${i}`, `Item ${i}`, i);
        link.run(
          regId,
          lms.contextId,
          l.link.id,
          `item-${i}`,
          l.lineItem!.id,
          lms.lineitemsUrl,
          now,
          `item-${i}`,
          now,
        );
      });
      const learner = db.prepare(
        "INSERT INTO learners (tenant_id, external_id, email, first_seen_at) VALUES (?, ?, ?, ?)",
      );
      const member = db.prepare(
        "INSERT INTO memberships (tenant_id, program_id, external_id, state) VALUES (?, 'p1', ?, 'MEMBER')",
      );
      const user = db.prepare(
        "INSERT INTO lms_users (registration_id, sub, external_id, email, source, first_seen_at) VALUES (?, ?, ?, ?, 'launch', ?)",
      );
      const launch = db.prepare(
        "INSERT INTO launches (tenant_id, external_id, lms_sub, context_id, resource_link_id, program_id, course_id, item_id, launched_at) VALUES (?, ?, ?, ?, ?, 'p1', 'c1', ?, ?)",
      );
      const grade = db.prepare(
        "INSERT INTO coursera_grades (tenant_id, external_id, course_id, item_id, program_id, grade, passed) VALUES (?, ?, 'c1', ?, 'p1', ?, 1)",
      );
      for (let l = 0; l < learners; l++) {
        const externalId = `learner${l}@bench.edu`;
        learner.run(tenantId, externalId, externalId, now);
        member.run(tenantId, externalId);
        user.run(regId, subs[l]!, externalId, externalId, now);
        for (let i = 0; i < items; i++) {
          launch.run(tenantId, externalId, subs[l]!, lms.contextId, links[i]!.link.id, `item-${i}`, now);
          grade.run(tenantId, externalId, `item-${i}`, ((l * 7 + i * 13) % 1000) / 10);
        }
      }
    })();
    db.close();
    return { dir, env, keyFile, lms, subs, links, learners };
  } catch (error) {
    await lms.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
