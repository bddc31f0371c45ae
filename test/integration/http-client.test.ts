/**
 * The one HTTP layer against a real loopback server: bodies, headers, timeouts, aborts and
 * retries as the dispatcher's handler interface delivers them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errors as undiciErrors } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { RemoteError } from "../../src/base/errors.js";
import { HttpClient } from "../../src/clients/http.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const servers: Array<ReturnType<typeof createServer>> = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => {
      body += d;
    });
    req.on("end", () => handler(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const quick = { retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 } };

describe("HttpClient exchanges", () => {
  it("sends method, path, query, headers and body, and reads a body split across chunks", async () => {
    const seen: Array<{ method?: string; url?: string; ua?: string; type?: string; body: string }> = [];
    const base = await serve((req, res, body) => {
      seen.push({
        method: req.method,
        url: req.url,
        ua: req.headers["user-agent"],
        type: req.headers["content-type"],
        body,
      });
      // "é" is two bytes in UTF-8: the first chunk ends inside it.
      const bytes = Buffer.from('{"name":"Zoé","n":1}', "utf8");
      const cut = bytes.indexOf(0xc3) + 1;
      res.writeHead(201, { "content-type": "application/json" });
      res.write(bytes.subarray(0, cut));
      setTimeout(() => res.end(bytes.subarray(cut)), 10);
    });
    const http = new HttpClient({ userAgent: "gg4l-test", ...quick });
    const res = await http.request(`${base}/scores?user=a%20b`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"score":1}',
    });
    expect(res).toMatchObject({ status: 201, body: '{"name":"Zoé","n":1}', attempts: 1 });
    expect(res.headers["content-type"]).toBe("application/json");
    expect(seen).toEqual([
      {
        method: "POST",
        url: "/scores?user=a%20b",
        ua: "gg4l-test",
        type: "application/json",
        body: '{"score":1}',
      },
    ]);
  });

  it("gives an empty body as an empty string and joins repeated headers", async () => {
    const base = await serve((_req, res) => {
      res.setHeader("X-Note", ["one", "two"]);
      res.writeHead(204);
      res.end();
    });
    const res = await new HttpClient(quick).request(`${base}/x`);
    expect(res.status).toBe(204);
    expect(res.body).toBe("");
    expect(res.headers["x-note"]).toBe("one, two");
  });

  it("retries a 503 after its Retry-After and hands back the final answer", async () => {
    let calls = 0;
    const base = await serve((_req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeHead(503, { "retry-after": "0" });
        res.end("busy");
      } else res.end("ok");
    });
    const delays: number[] = [];
    const res = await new HttpClient({ ...quick, sleep: async (ms) => void delays.push(ms) }).request(
      `${base}/x`,
    );
    expect(res).toMatchObject({ status: 200, body: "ok", attempts: 2 });
    expect(delays).toEqual([0]);
  });

  it("retries a connection the server drops, then says which origin it cannot reach", async () => {
    let calls = 0;
    const base = await serve((req) => {
      calls += 1;
      req.socket.destroy();
    });
    const error = await new HttpClient(quick).request(`${base}/x`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toContain(`cannot reach ${base}`);
    expect(calls).toBe(3);
  });

  it("times out a server that never answers", async () => {
    const base = await serve(() => {});
    const error = await new HttpClient({ retry: { retries: 0 } })
      .request(`${base}/x`, { timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as Error).message).toContain("UND_ERR_HEADERS_TIMEOUT");
  });

  it("stops at once, without a retry, when its signal aborts before or during the exchange", async () => {
    let calls = 0;
    const base = await serve(() => {
      calls += 1;
    });
    const http = new HttpClient(quick);
    const before = new AbortController();
    before.abort();
    await expect(http.request(`${base}/x`, { signal: before.signal })).rejects.toBeInstanceOf(
      undiciErrors.RequestAbortedError,
    );
    expect(calls).toBe(0);

    const during = new AbortController();
    const pending = http.request(`${base}/x`, { signal: during.signal }).catch((e: unknown) => e);
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    during.abort();
    expect(await pending).toBeInstanceOf(undiciErrors.RequestAbortedError);
    expect(calls).toBe(1);
  });
});
