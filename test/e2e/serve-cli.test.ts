/**
 * `gg4l serve` as a command: light help, flag and state errors with their exit codes, the
 * URLs printed once listening (one JSON line with --json), the tool JWKS from `gg4l init`,
 * loopback by default, and a clean stop on SIGTERM and SIGINT.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { binPath, parseJson, repoRoot, runGg4l, sandboxState } from "../helpers/gg4l.js";
import { startServe } from "./serve-helpers.js";

let box: ReturnType<typeof sandboxState>;
beforeEach(() => {
  box = sandboxState();
});
afterEach(() => box.cleanup());

const asBox = () => ({ ...box, gg4l: (args: string[]) => box.gg4l(args), cleanup: box.cleanup });

describe("help and usage", () => {
  it("--help shows two examples and loads none of the heavy modules (jose included)", async () => {
    const trace = join(box.dir, "trace.txt");
    writeFileSync(trace, "");
    const result = await runGg4l(["serve", "--help"], {
      env: { GG4L_DB: box.db, GG4L_TRACE_IMPORTS: trace },
      nodeArgs: ["--import", join(repoRoot, "test/helpers/trace-imports.mjs")],
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--public-url <url>/);
    expect(result.stdout.match(/^\s+\$ gg4l serve/gm)).toHaveLength(2);
    const loaded = readFileSync(trace, "utf8");
    for (const heavy of ["/undici/", "/@inquirer/", "/ora/", "/better-sqlite3/", "/chalk/", "/jose/"])
      expect(loaded, heavy).not.toContain(heavy);
  });

  it("refuses a bad --port or --public-url (exit 2), a missing state or key (exit 4), a port in use (exit 4)", async () => {
    const port = await box.gg4l(["serve", "--port", "http"]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port "http" is not a port number');
    const url = await box.gg4l(["serve", "--public-url", "ftp://lti.uni.edu"]);
    expect(url.code).toBe(2);
    expect(url.stderr).toContain("--public-url must be an http(s) URL");

    const noState = await box.gg4l(["serve", "--port", "0"]);
    expect(noState.code).toBe(4);
    expect(noState.stderr).toMatch(/no gg4l state at .*\nhint: run `gg4l init`/);

    expect((await box.gg4l(["init"])).code).toBe(0);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const taken = (busy.address() as { port: number }).port;
    const inUse = await box.gg4l(["serve", "--port", String(taken)]);
    busy.close();
    expect(inUse.code).toBe(4);
    expect(inUse.stderr).toContain(`port ${taken} on 127.0.0.1 is in use`);

    rmSync(join(box.dir, "state.key.json"));
    const noKey = await box.gg4l(["serve", "--port", "0", "--json"]);
    expect(noKey.code).toBe(4);
    expect(noKey.stdout).toBe("");
    expect(JSON.parse(noKey.stderr).error.hint).toContain("gg4l init");
  });
});

describe("running", () => {
  it("prints one JSON line, binds loopback, serves the key from `gg4l init`, and stops with exit 0 on SIGTERM", async () => {
    expect((await box.gg4l(["init"])).code).toBe(0);
    const serve = await startServe(asBox());
    const { urls } = serve;
    expect(Object.keys(urls)).toEqual(["baseUrl", "loginUrl", "launchUrl", "deepLinkUrl", "jwksUrl"]);
    expect(urls.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urls.loginUrl).toBe(`${urls.baseUrl}/lti/login`);
    const res = await request(urls.jwksUrl);
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual(parseJson(await box.gg4l(["lms", "show", "--jwks"])));
    const missing = await request(`${urls.baseUrl}/nothing-here`);
    expect(missing.statusCode).toBe(404);
    await missing.body.text();

    expect(await serve.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    await expect.poll(() => serve.log()).toContain("SIGTERM: stopping");
    await expect(request(urls.jwksUrl)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("without --json prints the URLs for the LMS admin, and stops with exit 0 on SIGINT", async () => {
    expect((await box.gg4l(["init"])).code).toBe(0);
    const child = spawn(process.execPath, [binPath, "serve", "--port", "0"], {
      env: { ...process.env, GG4L_DB: box.db, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
    // stdout and stderr are separate pipes: wait until both have said their part.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (stderr.includes("Ctrl-C stops the server") && stdout.includes("public keyset")) resolve();
      };
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        check();
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        check();
      });
    });
    expect(stdout).toMatch(/^login url\thttp:\/\/127\.0\.0\.1:\d+\/lti\/login$/m);
    expect(stdout).toMatch(/^redirect \/ launch url\thttp:\/\/127\.0\.0\.1:\d+\/lti\/launch$/m);
    expect(stdout).toMatch(/^deep linking url\thttp:\/\/127\.0\.0\.1:\d+\/lti\/deep-link$/m);
    expect(stdout).toMatch(
      /^public keyset \(jwks\) url\thttp:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/m,
    );
    expect(stderr).toContain("no tenant in the state yet");
    child.kill("SIGINT");
    expect(await closed).toBe(0);
    expect(stderr).toContain("SIGINT: stopping");
  });
});
