/**
 * The HTTP client's gate (the per-host budget `sync daily --all-tenants` shares between
 * tenants): waited for before each attempt, given back when the attempt ends however it
 * ends, and not held during a retry's pause. Real loopback HTTP.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HttpClient } from "../../src/clients/http.js";

let url = "";
let answers: number[] = [];
const server = createServer((_req, res) => {
  const status = answers.shift() ?? 200;
  if (status === 0) {
    res.socket?.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end("{}");
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it("takes a slot per attempt, gives it back after each (a failure too), and holds none while pausing to retry", async () => {
  let held = 0;
  const seen: string[] = [];
  const heldDuringPauses: number[] = [];
  const client = new HttpClient({
    retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 },
    sleep: async () => {
      heldDuringPauses.push(held);
    },
    gate: async (u) => {
      seen.push(u);
      held += 1;
      return () => {
        held -= 1;
      };
    },
  });
  answers = [503, 0, 200];
  const res = await client.request(url);
  expect(res.status).toBe(200);
  expect(res.attempts).toBe(3);
  expect(seen).toEqual([url, url, url]);
  expect(heldDuringPauses).toEqual([0, 0]);
  expect(held).toBe(0);

  answers = [0, 0, 0, 0];
  await expect(client.request(url, { method: "POST", retry: false })).rejects.toThrow();
  expect(held).toBe(0);
});
