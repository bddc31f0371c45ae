/**
 * The baseline of the sync benchmark, run as its own process like gg4l: a bare undici loop
 * posting the same scores to the same fake LMS at the same concurrency, with one token and
 * nothing else (no state, no plan, no ledger).
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "undici";

interface Job {
  token: string;
  concurrency: number;
  /** [scores URL, userId, score] */
  posts: Array<[string, string, number]>;
}

const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Job;
const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
const started = performance.now();
let next = 0;
let failed = 0;
const stamp = Date.now();
async function worker(): Promise<void> {
  for (let i = next++; i < job.posts.length; i = next++) {
    const [url, userId, score] = job.posts[i]!;
    const res = await request(url, {
      method: "POST",
      dispatcher,
      headers: {
        authorization: `Bearer ${job.token}`,
        "content-type": "application/vnd.ims.lis.v1.score+json",
      },
      body: JSON.stringify({
        userId,
        scoreGiven: score,
        scoreMaximum: 100,
        timestamp: new Date(stamp).toISOString(),
        activityProgress: "Completed",
        gradingProgress: "FullyGraded",
      }),
    });
    await res.body.dump();
    if (res.statusCode >= 300) failed += 1;
  }
}
await Promise.all(Array.from({ length: job.concurrency }, worker));
await dispatcher.close();
process.stdout.write(
  `${JSON.stringify({ ms: performance.now() - started, posted: job.posts.length - failed, failed })}\n`,
);
