/**
 * A hostile Coursera end to end: `programs pull` against a server that stops answering is
 * bounded by the deadline, and Ctrl-C ends it at once.
 */
import { spawn } from "node:child_process";
import { createServer, request as forward } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { tenantAddArgs } from "../../fixtures/fake-coursera/tenant.js";
import { binPath, sandboxState } from "../helpers/gg4l.js";

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A proxy to the fake Coursera that can be switched to never answer; it counts what it holds. */
async function switchableProxy(fake: FakeCoursera) {
  const state = { hang: false, held: 0 };
  const target = new URL(fake.baseUrl);
  const server = createServer((req, res) => {
    if (state.hang) {
      state.held += 1;
      return;
    }
    const out = forward(
      { host: "127.0.0.1", port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname.replace(/\/$/, "")}`;
  return { state, base };
}

describe("programs pull against a server that stops answering", () => {
  it("Ctrl-C ends it at once with exit 130; without it the deadline ends it with a message naming the host", async () => {
    const fake = await startFakeCoursera({ dataset: "small" });
    closers.push(() => fake.close());
    const proxy = await switchableProxy(fake);
    const box = sandboxState();
    closers.push(() => box.cleanup());
    expect((await box.gg4l(["init"])).code).toBe(0);
    const add = await box.gg4l(tenantAddArgs({ ...fake, baseUrl: proxy.base }, "uni", "Uni"), {
      input: fake.clientSecret,
    });
    expect(add.code, add.stderr).toBe(0);
    proxy.state.hang = true;

    const child = spawn(process.execPath, [binPath, "programs", "pull"], {
      env: { ...process.env, GG4L_DB: box.db, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal })),
    );
    // Bounded wait for the request the server holds.
    for (let i = 0; i < 400 && proxy.state.held === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(proxy.state.held).toBe(1);
    child.kill("SIGINT");
    // A generous guard: the read deadline (60 s) is far beyond it, so only Ctrl-C can end it in time.
    const guard = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 10_000).unref());
    const outcome = await Promise.race([exited, guard]);
    if (outcome === "hung") child.kill("SIGKILL");
    expect(outcome).not.toBe("hung");
    const ended = outcome as { code: number | null; signal: string | null };
    expect(ended.code === 130 || ended.signal === "SIGINT").toBe(true);

    const bounded = await box.gg4l(["programs", "pull"], {
      env: { GG4L_HTTP_DEADLINE_READ_MS: "300", GG4L_HTTP_DEADLINE_TOKEN_MS: "300" },
    });
    expect(bounded.code).toBe(1);
    expect(bounded.stderr).toContain(
      `http://127.0.0.1:${new URL(proxy.base).port} sent no complete answer within 0.3 s`,
    );
  });
});
