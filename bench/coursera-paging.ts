/**
 * Pulling programs + contents + memberships of the large dataset (50 programs, 2,000 courses,
 * 100,000 learners) through CourseraClient, against a bare undici paging loop over the same
 * endpoints in the same run. The ratio (client / bare) is the figure to watch.
 */
import { Agent, request } from "undici";
import { startFakeCoursera } from "../fixtures/fake-coursera/server.js";
import { CourseraClient } from "../src/clients/coursera/client.js";
import { MAX_PAGE_SIZE, paths, type WireEnvelope } from "../src/clients/coursera/wire.js";
import { HttpClient } from "../src/clients/http.js";

export interface CourseraPullBench {
  dataset: string;
  runs: number;
  /** Median wall time of one full pull through the client. */
  clientMs: number;
  /** Median wall time of the same pull with a bare undici loop. */
  bareMs: number;
  ratio: number;
  peakRssMb: number;
  /** Elements pulled per run: programs, contents, memberships. */
  counts: { programs: number; contents: number; memberships: number };
}

interface Target {
  baseUrl: string;
  tokenUrl: string;
  orgId: string;
  clientId: string;
  clientSecret: string;
}

async function clientPull(t: Target, http: HttpClient) {
  const client = new CourseraClient({ ...t, http });
  const programs = await client.programs().all();
  let contents = 0;
  for await (const page of client.contents(programs.map((p) => p.id)).pages()) contents += page.length;
  let memberships = 0;
  for await (const page of client.memberships().pages()) memberships += page.length;
  return { programs: programs.length, contents, memberships };
}

async function barePull(t: Target, dispatcher: Agent) {
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
  const walk = async <T>(path: string, query: string, each: (element: T) => void) => {
    let start: string | number | undefined = 0;
    while (start !== undefined) {
      const res = await request(`${t.baseUrl}${path}?${query}start=${start}&limit=${MAX_PAGE_SIZE}`, {
        dispatcher,
        headers,
      });
      const env = JSON.parse(await res.body.text()) as WireEnvelope<T>;
      for (const element of env.elements) each(element);
      start = env.paging?.next;
    }
  };
  const programIds: string[] = [];
  await walk<{ id: string }>(paths.programs(t.orgId), "excludeContent=true&", (p) => programIds.push(p.id));
  let contents = 0;
  await walk(paths.contents(t.orgId), `q=byProgramIds&programIds=${programIds.join(",")}&`, () => contents++);
  let memberships = 0;
  await walk<{ membershipProgramIds?: string[] }>(paths.users(t.orgId), "", (u) => {
    memberships += u.membershipProgramIds?.length ?? 0;
  });
  return { programs: programIds.length, contents, memberships };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchCourseraPull(
  opts: { dataset?: string; runs?: number } = {},
): Promise<CourseraPullBench> {
  const dataset = opts.dataset ?? "large";
  const runs = opts.runs ?? 3;
  const fake = await startFakeCoursera({ dataset });
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  const http = new HttpClient({ dispatcher: agent });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  try {
    const target: Target = { ...fake, tokenUrl: fake.tokenUrl };
    // Warm up both paths (JIT, connections) before measuring.
    const expected = await barePull(target, agent);
    const got = await clientPull(target, http);
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`client pulled ${JSON.stringify(got)} but the bare loop ${JSON.stringify(expected)}`);
    }
    const clientTimes: number[] = [];
    const bareTimes: number[] = [];
    for (let run = 0; run < runs; run++) {
      let t0 = performance.now();
      await barePull(target, agent);
      bareTimes.push(performance.now() - t0);
      t0 = performance.now();
      await clientPull(target, http);
      clientTimes.push(performance.now() - t0);
    }
    const clientMs = Math.round(median(clientTimes));
    const bareMs = Math.round(median(bareTimes));
    return {
      dataset,
      runs,
      clientMs,
      bareMs,
      ratio: Math.round((clientMs / bareMs) * 100) / 100,
      peakRssMb: Math.round(peakRss / 1e6),
      counts: expected,
    };
  } finally {
    clearInterval(sampler);
    await agent.close();
    await fake.close();
  }
}
