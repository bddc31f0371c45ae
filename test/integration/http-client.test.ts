/**
 * The one HTTP layer against a real loopback server: bodies, headers, timeouts, aborts and
 * retries as the dispatcher's handler interface delivers them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errors as undiciErrors } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, RemoteError } from "../../src/base/errors.js";
import { HttpClient, httpLimitsFromEnv } from "../../src/clients/http.js";

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
    expect((error as Error).message).toBe(
      `${base} sent no complete answer within 0.05 s (the deadline for a read)`,
    );
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

/** Limits small enough for a test; the kinds' defaults are seconds and megabytes. */
const tight = {
  token: { deadlineMs: 1_500, maxBodyBytes: 64 * 1024 },
  read: { deadlineMs: 1_500, maxBodyBytes: 256 * 1024 },
  write: { deadlineMs: 1_500, maxBodyBytes: 1024 },
};

describe("deadlines and body caps (hostile servers)", () => {
  it("a server sending one byte per second hits the total deadline, which names the host and is retried for a read", async () => {
    let calls = 0;
    const base = await serve((_req, res) => {
      calls += 1;
      res.writeHead(200, { "content-type": "application/json" });
      let sent = 0;
      // Bounded: ends by itself after 10 bytes, or when the client goes away.
      const timer = setInterval(() => {
        if (sent++ >= 10 || res.destroyed) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(" ");
      }, 1000);
      res.on("close", () => clearInterval(timer));
    });
    const http = new HttpClient({ retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5 }, limits: tight });
    const error = await http.request(`${base}/slow`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ errorCode: "deadline" });
    expect((error as Error).message).toBe(
      `${base} sent no complete answer within 1.5 s (the deadline for a read) (2 attempts)`,
    );
    expect((error as RemoteError).hint).toMatch(/GG4L_HTTP_DEADLINE_READ_MS/);
    expect(calls).toBe(2);
  });

  it("a server that never answers a write hits the deadline once: a POST is not resent unless it may be", async () => {
    let calls = 0;
    const base = await serve(() => {
      calls += 1;
    });
    const http = new HttpClient({ retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 }, limits: tight });
    const error = await http
      .request(`${base}/scores`, { method: "POST", body: "{}" })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `${base} sent no complete answer within 1.5 s (the deadline for a write)`,
    );
    expect(calls).toBe(1);
  });

  it("a huge body stops at the cap, streamed or announced, without reading the rest and without a retry", async () => {
    let calls = 0;
    let streamed = 0;
    const base = await serve((req, res) => {
      calls += 1;
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      if (req.url === "/announced") {
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": String(300 * 1024 * 1024),
        });
        res.write(chunk);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      // Bounded: at most 300 MB, and it stops as soon as the client hangs up.
      const pump = () => {
        while (!res.destroyed && streamed < 300 * 1024 * 1024) {
          streamed += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    const http = new HttpClient({ retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 }, limits: tight });
    const token = await http
      .request(`${base}/token`, { method: "POST", kind: "token", retry: true })
      .catch((e: unknown) => e);
    expect(token).toBeInstanceOf(RemoteError);
    expect(token).toMatchObject({ errorCode: "body_cap" });
    expect((token as Error).message).toBe(
      `${base} sent an answer larger than 64 KB (the cap for a token request)`,
    );
    expect((token as RemoteError).hint).toMatch(/GG4L_HTTP_MAX_BODY_TOKEN_BYTES/);
    expect(calls).toBe(1);
    expect(streamed).toBeLessThan(64 * 1024 * 1024);

    const page = await http.request(`${base}/announced`).catch((e: unknown) => e);
    expect((page as Error).message).toBe(`${base} sent an answer larger than 256 KB (the cap for a read)`);
    expect(calls).toBe(2);
    // Under the cap, the same client reads the whole answer.
    const small = await serve((_req, res) => res.end("x".repeat(200 * 1024)));
    expect((await http.request(`${small}/ok`)).body).toHaveLength(200 * 1024);
  });

  it("reads its overrides from GG4L_HTTP_DEADLINE_<KIND>_MS and GG4L_HTTP_MAX_BODY_<KIND>_BYTES", () => {
    const limits = httpLimitsFromEnv({
      GG4L_HTTP_DEADLINE_READ_MS: "120000",
      GG4L_HTTP_MAX_BODY_TOKEN_BYTES: "4096",
    });
    expect(limits.read).toEqual({ deadlineMs: 120_000, maxBodyBytes: 8 * 1024 * 1024 });
    expect(limits.token).toEqual({ deadlineMs: 30_000, maxBodyBytes: 4096 });
    expect(limits.write).toEqual({ deadlineMs: 30_000, maxBodyBytes: 1024 * 1024 });
    expect(() => httpLimitsFromEnv({ GG4L_HTTP_DEADLINE_WRITE_MS: "soon" })).toThrow(ConfigError);
    expect(() => httpLimitsFromEnv({ GG4L_HTTP_DEADLINE_WRITE_MS: "soon" })).toThrow(
      'GG4L_HTTP_DEADLINE_WRITE_MS must be a whole number above 0, not "soon"',
    );
  });
});
