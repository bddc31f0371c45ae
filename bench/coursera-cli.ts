/**
 * `gg4l programs pull` then `gg4l courses refresh --all` on the large dataset (50 programs,
 * 2,000 courses, 100,000 learners), each as the real binary, against a bare undici loop
 * fetching the same endpoints (programs, the roster, contents, one gradebook row per course
 * for its items) in the same run.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { startFakeCoursera } from "../fixtures/fake-coursera/server.js";
import { tenantAddArgs } from "../fixtures/fake-coursera/tenant.js";
import { MAX_PAGE_SIZE, paths, type WireEnvelope } from "../src/clients/coursera/wire.js";
import { repoRoot } from "./measure.js";

export interface CourseraCliBench {
  dataset: string;
  pullMs: number;
  refreshMs: number;
  gg4lMs: number;
  bareMs: number;
  ratio: number;
  peakRssMb: number;
  counts: { programs: number; memberships: number; courses: number; gradableItems: number };
}

interface Run {
  ms: number;
  rssKb: number;
  stdout: string;
}

function gg4l(args: string[], env: NodeJS.ProcessEnv, input = ""): Promise<Run> {
  const rssFile = join(env.GG4L_BENCH_DIR!, `rss-${Date.now()}-${Math.random()}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      ["--import", join(repoRoot, "bench/rss-report.mjs"), join(repoRoot, "bin/gg4l.js"), ...args],
      {
        env: { ...env, GG4L_BENCH_RSS_FILE: rssFile },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`gg4l ${args.join(" ")} exited ${code}: ${stderr}`));
      else resolve({ ms, rssKb: Number(readFileSync(rssFile, "utf8")), stdout });
    });
    child.stdin.end(input);
  });
}

async function bareLoop(t: {
  baseUrl: string;
  tokenUrl: string;
  orgId: string;
  clientId: string;
  clientSecret: string;
}) {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  try {
    const tokenRes = await request(t.tokenUrl, {
      method: "POST",
      dispatcher,
      headers: {
        authorization: `Basic ${Buffer.from(`${t.clientId}:${t.clientSecret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    const { access_token } = (await tokenRes.body.json()) as { access_token: string };
    const headers = { authorization: `Bearer ${access_token}`, accept: "application/json" };
    const get = async <T>(url: string) =>
      JSON.parse(await (await request(url, { dispatcher, headers })).body.text()) as WireEnvelope<T>;
    const walk = async <T>(path: string, query: string, each: (element: T) => void) => {
      let start: string | number | undefined = 0;
      while (start !== undefined) {
        const env: WireEnvelope<T> = await get<T>(
          `${t.baseUrl}${path}?${query}start=${start}&limit=${MAX_PAGE_SIZE}`,
        );
        for (const element of env.elements) each(element);
        start = env.paging?.next;
      }
    };
    const programIds: string[] = [];
    await walk<{ id: string }>(paths.programs(t.orgId), "excludeContent=true&", (p) => programIds.push(p.id));
    let memberships = 0;
    await walk<{ membershipProgramIds?: string[] }>(paths.users(t.orgId), "", (u) => {
      memberships += u.membershipProgramIds?.length ?? 0;
    });
    const courses: Array<{ id: string; programId: string }> = [];
    await walk<{ id?: string; contentId?: string; contentType: string; programIds?: string[] }>(
      paths.contents(t.orgId),
      `q=byProgramIds&programIds=${programIds.join(",")}&`,
      (c) => {
        if (c.contentType === "Course")
          courses.push({ id: (c.id ?? c.contentId)!, programId: c.programIds?.[0] ?? programIds[0]! });
      },
    );
    let items = 0;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < courses.length; i = next++) {
        const c = courses[i]!;
        const env: WireEnvelope<{ itemGradebooks?: unknown[] }> = await get(
          `${t.baseUrl}${paths.courseGradebookReports(t.orgId)}?q=search&programId=${c.programId}&courseId=${c.id}&start=0&limit=1`,
        );
        items += env.elements[0]?.itemGradebooks?.length ?? 0;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return { programs: programIds.length, memberships, courses: courses.length, gradableItems: items };
  } finally {
    await dispatcher.close();
  }
}

export async function benchCourseraCli(dataset = "large"): Promise<CourseraCliBench> {
  const fake = await startFakeCoursera({ dataset, omitTotal: 0.3 });
  const dir = mkdtempSync(join(tmpdir(), "gg4l-bench-coursera-"));
  const env = { ...process.env, GG4L_DB: join(dir, "state.db"), GG4L_BENCH_DIR: dir, NO_COLOR: "1" };
  try {
    await gg4l(["init"], env);
    await gg4l(tenantAddArgs(fake, "bench", "Bench"), env, fake.clientSecret);
    const bareStarted = performance.now();
    const counts = await bareLoop({ ...fake });
    const bareMs = performance.now() - bareStarted;

    const pull = await gg4l(["programs", "pull", "--json"], env);
    const pulled = JSON.parse(pull.stdout) as {
      programs: number;
      memberships: number;
      added: Array<{ id: string }>;
    };
    await gg4l(["programs", "activate", "--", ...pulled.added.map((p) => p.id)], env);
    const refresh = await gg4l(["courses", "refresh", "--all", "--json"], env);
    const refreshed = JSON.parse(refresh.stdout) as { courses: number; itemsAdded: unknown[] };
    if (
      pulled.programs !== counts.programs ||
      pulled.memberships !== counts.memberships ||
      refreshed.courses !== counts.courses
    ) {
      throw new Error(
        `gg4l pulled ${JSON.stringify({ pulled, courses: refreshed.courses })}, the bare loop ${JSON.stringify(counts)}`,
      );
    }
    const gg4lMs = pull.ms + refresh.ms;
    return {
      dataset,
      pullMs: Math.round(pull.ms),
      refreshMs: Math.round(refresh.ms),
      gg4lMs: Math.round(gg4lMs),
      bareMs: Math.round(bareMs),
      ratio: Math.round((gg4lMs / bareMs) * 100) / 100,
      peakRssMb: Math.round(Math.max(pull.rssKb, refresh.rssKb) / 1024),
      counts: { ...counts, gradableItems: refreshed.itemsAdded.length },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await fake.close();
  }
}
