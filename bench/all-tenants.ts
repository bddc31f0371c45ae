/**
 * `gg4l sync daily --all-tenants --parallel 8` on TENANTS tenants (default 40), each with its
 * own fake LMS answering every request 50 ms late and GRADES changed grades (default 2,000),
 * against the baseline measured in the same run: the same tenants' daily jobs run one after
 * another as single `sync daily --tenant <slug>` runs. Reports the wall time beside the sum of
 * the singles and beside ceil(TENANTS/8) × the longest single (goal: within 1.5×), the peak RSS
 * (≤ 250 MB), whether every score was delivered, and — tenants 0 and 1 share one fake LMS host —
 * the most requests that host had in flight at once (≤ one tenant's limit, 16).
 *
 * Both sides start from the same state: it is copied before either runs, so each posts every
 * grade. Every tenant pulls one fake Coursera org (demo dataset), run in its own process as the
 * remote host it stands for. `node dist/bench/all-tenants.js` runs it alone (GG4L_BENCH_TENANTS,
 * GG4L_BENCH_TENANT_GRADES for a small size); `npm run bench` runs it with the others.
 */

import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { lmsRegisterArgs } from "../fixtures/fake-lms/registration.js";
import { type FakeLms, startFakeLms } from "../fixtures/fake-lms/server.js";
import { repoRoot, updateReadmeSection, writeResult } from "./measure.js";
import { run } from "./sync.js";

export interface AllTenantsBench {
  tenants: number;
  gradesPerTenant: number;
  latencyMs: number;
  parallel: number;
  allMs: number;
  singles: { sumMs: number; longestMs: number; medianMs: number };
  /** allMs ÷ (ceil(tenants / parallel) × the longest single). */
  ratioToGoal: number;
  /** The sum of the single runs ÷ allMs. */
  speedup: number;
  /** gg4l's CPU time (user + system): near allMs, the run waited on this machine rather than on the LMSs. */
  cpu: { allMs: number; singlesSumMs: number };
  /** The machine's 1-minute load average when the run ended (2 cores are shared). */
  loadAverage: number;
  peakRssMb: number;
  singlePeakRssMb: number;
  delivered: { planned: number; posted: number; inGradebooks: number };
  sharedHost: { tenants: number; maxInFlight: number; limit: number };
  targets: { ratioToGoal: number; peakRssMb: number };
  pass: boolean;
}

const PROGRAM = "Data Science Pathway";
const LIMIT = 16;

export async function benchAllTenants(
  opts: { tenants?: number; grades?: number; latencyMs?: number; parallel?: number } = {},
): Promise<AllTenantsBench> {
  const tenantCount = opts.tenants ?? 40;
  const gradesWanted = opts.grades ?? 2000;
  const latencyMs = opts.latencyMs ?? 50;
  const parallel = opts.parallel ?? 8;
  const dir = mkdtempSync(join(tmpdir(), "gg4l-bench-tenants-"));
  // Its own process: the Coursera API is one more remote host, and in the bench process it would
  // compete for one thread with the fake LMSs (as the tenants pull it all at once).
  const coursera = await startCourseraProcess();
  const db0 = join(dir, "state.db");
  const env = {
    ...process.env,
    GG4L_DB: db0,
    GG4L_BENCH_DIR: dir,
    NO_COLOR: "1",
    GG4L_COURSERA_CLIENT_SECRET: coursera.clientSecret,
  };
  const lmss: FakeLms[] = [];
  try {
    await run(["init"], env);
    const key = JSON.parse(readFileSync(join(dir, "state.key.json"), "utf8")).publicJwk;
    const slugs = Array.from({ length: tenantCount }, (_, i) => `t${String(i).padStart(2, "0")}`);
    // Tenants 0 and 1 share one LMS host; every other tenant has its own.
    const lmsOf: FakeLms[] = [];
    for (let i = 0; i < tenantCount; i++) {
      if (i === 1) lmsOf.push(lmsOf[0]!);
      else {
        const lms = await startFakeLms({ kind: "moodle", toolPublicJwk: key, throttle: null, latencyMs });
        lmss.push(lms);
        lmsOf.push(lms);
      }
    }
    // Set up four tenants at a time: each is a few process starts.
    const setUp = async (i: number) => {
      const slug = slugs[i]!;
      const t = ["--tenant", slug];
      await run(
        [
          "tenant",
          "add",
          slug,
          "--name",
          `Tenant ${i}`,
          "--coursera-org",
          coursera.orgId,
          "--coursera-url",
          coursera.baseUrl,
          "--coursera-client-id",
          coursera.clientId,
        ],
        env,
      );
      await run([...t, ...lmsRegisterArgs(lmsOf[i]!, "assignment")], env);
      await run([...t, "programs", "pull"], env);
      await run([...t, "programs", "activate", PROGRAM], env);
    };
    for (let i = 0; i < tenantCount; i += 4)
      await Promise.all(slugs.slice(i, i + 4).map((_, j) => setUp(i + j)));
    await run(["--tenant", slugs[0]!, "courses", "refresh", "--all"], env);

    // Coursera: GRADES item grades of the program's first members, the same for every tenant (one org).
    const db = new Database(db0);
    const programId = (
      db.prepare("SELECT program_id AS id FROM programs WHERE name = ? LIMIT 1").get(PROGRAM) as {
        id: string;
      }
    ).id;
    const items = db
      .prepare(
        `SELECT i.course_id AS courseId, i.item_id AS itemId FROM items i
         JOIN program_courses pc ON pc.course_id = i.course_id AND pc.tenant_id = i.tenant_id
         WHERE pc.program_id = ? AND i.tenant_id = (SELECT id FROM tenants WHERE slug = ?) ORDER BY 1, 2`,
      )
      .all(programId, slugs[0]) as Array<{ courseId: string; itemId: string }>;
    const members = db
      .prepare(
        `SELECT m.external_id AS externalId FROM memberships m JOIN learners l ON l.tenant_id = m.tenant_id AND l.external_id = m.external_id
         WHERE m.program_id = ? AND m.tenant_id = (SELECT id FROM tenants WHERE slug = ?) AND l.is_test = 0 ORDER BY m.external_id`,
      )
      .all(programId, slugs[0]) as Array<{ externalId: string }>;
    const learners = members.slice(0, Math.ceil(gradesWanted / items.length)).map((m) => m.externalId);
    if (learners.length * items.length < gradesWanted)
      throw new Error(
        `the demo dataset has ${members.length} members × ${items.length} items: too few grades`,
      );
    const grades: Array<{ learner: string; courseId: string; itemId: string }> = [];
    for (const learner of learners)
      for (const item of items) if (grades.length < gradesWanted) grades.push({ learner, ...item });
    const graded = new Set(grades.map((g) => `${g.learner}\u001f${g.itemId}`));
    const byCourse = new Map<
      string,
      Map<string, Array<{ itemId: string; grade: number; passed: boolean }>>
    >();
    grades.forEach((g, n) => {
      const courses = byCourse.get(g.learner) ?? new Map();
      byCourse.set(g.learner, courses);
      const list = courses.get(g.courseId) ?? [];
      courses.set(g.courseId, list);
      list.push({ itemId: g.itemId, grade: 40 + (n % 60), passed: true });
    });
    await coursera.setGrades(
      [...byCourse].flatMap(([externalId, courses]) =>
        [...courses].map(([courseId, list]) => ({ externalId, courseId, programId, items: list })),
      ),
    );

    // Each tenant: a link per item in its LMS, every learner launched every link.
    const lineItemsOf: Array<Set<string>> = [];
    const now = new Date().toISOString();
    db.transaction(() => {
      slugs.forEach((slug, i) => {
        const lms = lmsOf[i]!;
        const { tenantId, regId } = db
          .prepare(
            "SELECT t.id AS tenantId, r.id AS regId FROM tenants t JOIN lms_registrations r ON r.tenant_id = t.id WHERE t.slug = ?",
          )
          .get(slug) as { tenantId: number; regId: number };
        const subs = new Map(
          learners.map((l) => [
            l,
            lms.addUser({ email: l, contextId: lms.contextId, roles: ["Learner"] }).user.id,
          ]),
        );
        const mine = new Set<string>();
        lineItemsOf.push(mine);
        for (const item of items) {
          const link = lms.addLink({
            contextId: lms.contextId,
            title: `${slug} ${item.itemId}`,
            lineItem: { scoreMaximum: 100, resourceId: item.itemId, tag: "coursera" },
          });
          mine.add(link.lineItem!.id);
          db.prepare(
            `INSERT INTO links (registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, lineitem_url,
               lineitems_url, created_at, program_id, course_id, item_id, connected_at)
             VALUES (?, ?, ?, 'item', ?, 'assignment', ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            regId,
            lms.contextId,
            link.link.id,
            item.itemId,
            link.lineItem!.id,
            lms.lineitemsUrl,
            now,
            programId,
            item.courseId,
            item.itemId,
            now,
          );
          // Launched exactly where a grade was set, so each tenant plans exactly GRADES posts.
          for (const learner of learners) {
            if (!graded.has(`${learner}\u001f${item.itemId}`)) continue;
            db.prepare(
              `INSERT INTO launches (tenant_id, external_id, lms_sub, context_id, resource_link_id, program_id, course_id, item_id, launched_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            ).run(
              tenantId,
              learner,
              subs.get(learner),
              lms.contextId,
              link.link.id,
              programId,
              item.courseId,
              item.itemId,
              now,
            );
          }
        }
        for (const learner of learners)
          db.prepare(
            `INSERT INTO lms_users (registration_id, sub, external_id, email, source, first_seen_at)
             VALUES (?, ?, ?, ?, 'launch', ?) ON CONFLICT DO NOTHING`,
          ).run(regId, subs.get(learner), learner, learner, now);
      });
    })();
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    // The copy sits in its own folder beside its tool key, which gg4l finds by the state's name.
    const singlesDir = join(dir, "singles");
    mkdirSync(singlesDir);
    const dbSingles = join(singlesDir, "state.db");
    copyFileSync(db0, dbSingles);
    copyFileSync(join(dir, "state.key.json"), join(singlesDir, "state.key.json"));

    // gg4l, all tenants at once.
    const shared = lmsOf[0]!;
    shared.resetMaxInFlight();
    const all = await run(["sync", "daily", "--all-tenants", "--parallel", String(parallel), "--json"], env);
    const result = JSON.parse(all.stdout) as {
      exitCode: number;
      tenants: Array<{
        tenant: string;
        status: string;
        run: { run: { counts: { planned: number; posted: number } } };
      }>;
    };
    const sharedMax = shared.maxInFlight();
    let planned = 0;
    let posted = 0;
    let inGradebooks = 0;
    result.tenants.forEach((t, i) => {
      planned += t.run.run.counts.planned;
      posted += t.run.run.counts.posted;
      inGradebooks += lmsOf[i]!.gradebook()
        .lineItems.filter((li) => lineItemsOf[i]!.has(li.id))
        .reduce((n, li) => n + li.grades.length, 0);
    });

    // The baseline: the same daily jobs one after another, from the same starting state.
    const singleEnv = { ...env, GG4L_DB: dbSingles };
    const singles: number[] = [];
    let singlePeakKb = 0;
    let singlesCpuMs = 0;
    for (const slug of slugs) {
      const one = await run(["--tenant", slug, "sync", "daily", "--json"], singleEnv);
      singles.push(one.ms);
      singlePeakKb = Math.max(singlePeakKb, one.rssKb);
      singlesCpuMs += one.cpuMs;
    }
    const sumMs = singles.reduce((a, b) => a + b, 0);
    const longestMs = Math.max(...singles);
    const sorted = [...singles].sort((a, b) => a - b);
    const ratioToGoal = all.ms / (Math.ceil(tenantCount / parallel) * longestMs);
    const peakRssMb = Math.round(all.rssKb / 1024);
    const targets = { ratioToGoal: 1.5, peakRssMb: 250 };
    const round = (n: number) => Math.round(n);
    return {
      tenants: tenantCount,
      gradesPerTenant: gradesWanted,
      latencyMs,
      parallel,
      allMs: round(all.ms),
      singles: {
        sumMs: round(sumMs),
        longestMs: round(longestMs),
        medianMs: round(sorted[Math.floor(sorted.length / 2)]!),
      },
      ratioToGoal: Math.round(ratioToGoal * 100) / 100,
      speedup: Math.round((sumMs / all.ms) * 100) / 100,
      cpu: { allMs: all.cpuMs, singlesSumMs: singlesCpuMs },
      loadAverage: Math.round(loadavg()[0]! * 10) / 10,
      peakRssMb,
      singlePeakRssMb: Math.round(singlePeakKb / 1024),
      delivered: { planned, posted, inGradebooks },
      sharedHost: { tenants: 2, maxInFlight: sharedMax, limit: LIMIT },
      targets,
      pass:
        result.exitCode === 0 &&
        ratioToGoal <= targets.ratioToGoal &&
        peakRssMb <= targets.peakRssMb &&
        planned === tenantCount * gradesWanted &&
        posted === planned &&
        inGradebooks === planned &&
        sharedMax <= LIMIT,
    };
  } finally {
    for (const lms of lmss) await lms.close();
    await coursera.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The standalone fake Coursera (demo dataset) in a child process, with the admin calls the bench makes. */
async function startCourseraProcess() {
  const child = spawn(
    process.execPath,
    [join(repoRoot, "dist/fixtures/fake-coursera/main.js"), "--port", "0", "--dataset", "demo", "--json"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const info = await new Promise<{ baseUrl: string; orgId: string; clientId: string; clientSecret: string }>(
    (resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const line = out.split("\n")[0];
        if (out.includes("\n")) resolve(JSON.parse(line!));
      });
      child.on("close", (code) => reject(new Error(`the fake Coursera exited ${code}`)));
    },
  );
  const origin = new URL(info.baseUrl).origin;
  return {
    ...info,
    async setGrades(grades: unknown[]): Promise<void> {
      const res = await fetch(`${origin}/_fake/grades`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ grades }),
      });
      if (!res.ok) throw new Error(`the fake Coursera refused the grades: ${res.status} ${await res.text()}`);
    },
    async close(): Promise<void> {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Writes bench/results/all-tenants.json and the README section; returns whether it met its targets. */
export function reportAllTenants(r: AllTenantsBench, at: string, machine: Record<string, unknown>): boolean {
  writeResult("all-tenants", { at, machine, ...r });
  const rounds = Math.ceil(r.tenants / r.parallel);
  updateReadmeSection(
    "all-tenants",
    `Measured ${at}: ${r.tenants} tenants, each its own fake LMS (moodle) answering every request ${r.latencyMs} ms late (tenants 0 and 1 share one), ${r.gradesPerTenant} changed grades each; \`sync daily --all-tenants --parallel ${r.parallel}\` beside the same ${r.tenants} daily jobs run one after another (\`sync daily --tenant <slug>\`, the baseline), both from the same starting state. Load average at the end: ${r.loadAverage} on ${machine.cpus} cores.

| what | figure | target |
|---|---:|---:|
| ${r.tenants} single runs one after another (baseline): sum | ${r.singles.sumMs} ms | |
| longest single run (median ${r.singles.medianMs} ms) | ${r.singles.longestMs} ms | |
| \`--all-tenants --parallel ${r.parallel}\` | ${r.allMs} ms (${r.speedup}× faster than the sum) | |
| ÷ (ceil(${r.tenants}/${r.parallel}) = ${rounds}) × the longest single | ${r.ratioToGoal}× | ≤ ${r.targets.ratioToGoal}× |
| gg4l CPU time: all at once / the singles summed | ${r.cpu.allMs} / ${r.cpu.singlesSumMs} ms | |
| peak RSS, all tenants at once (one single run's) | ${r.peakRssMb} MB (${r.singlePeakRssMb} MB) | ≤ ${r.targets.peakRssMb} MB |
| scores delivered: posted / planned / in the fake gradebooks | ${r.delivered.posted} / ${r.delivered.planned} / ${r.delivered.inGradebooks} | all ${r.tenants * r.gradesPerTenant} |
| most requests in flight at the host ${r.sharedHost.tenants} tenants share | ${r.sharedHost.maxInFlight} | ≤ ${r.sharedHost.limit} (one tenant's limit) |`,
  );
  console.log(
    `all-tenants: ${r.tenants} × ${r.gradesPerTenant} in ${r.allMs} ms vs sum ${r.singles.sumMs} ms (${r.speedup}×), ${r.ratioToGoal}× of ${rounds} × longest, peak RSS ${r.peakRssMb} MB, shared host ${r.sharedHost.maxInFlight} in flight (${r.pass ? "within" : "OUTSIDE"} targets)`,
  );
  return r.pass;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const machine = { node: process.version, cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30) };
  const result = await benchAllTenants({
    ...(process.env.GG4L_BENCH_TENANTS ? { tenants: Number(process.env.GG4L_BENCH_TENANTS) } : {}),
    ...(process.env.GG4L_BENCH_TENANT_GRADES ? { grades: Number(process.env.GG4L_BENCH_TENANT_GRADES) } : {}),
  });
  if (!reportAllTenants(result, new Date().toISOString(), machine)) process.exitCode = 1;
}
