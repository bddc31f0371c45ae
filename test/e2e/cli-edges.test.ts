/** Issue 19 §8: the CLI contract at the edges — closed pipes, JSON usage errors, bad inputs, a full disk, serve's exit. */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import Database from "better-sqlite3";
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { binPath, repoRoot, sandboxState } from "../helpers/gg4l.js";
import { startServe } from "./serve-helpers.js";

let box: ReturnType<typeof sandboxState>;
beforeEach(async () => {
  box = sandboxState();
  expect((await box.gg4l(["init"])).code).toBe(0);
  expect((await box.gg4l(["tenant", "add", "uni-x", "--name", "U", "--coursera-org", "org-1"])).code).toBe(0);
});
afterEach(() => box.cleanup());

function env(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: "1", GG4L_DB: box.db, ...extra }))
    if (v !== undefined && (!k.startsWith("GG4L_") || k === "GG4L_DB")) out[k] = v;
  return out;
}

/** Runs gg4l with a stdout whose reader has already gone away: every write meets EPIPE. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

function addLearners(count: number): void {
  const db = new Database(box.db);
  const tenant = db.prepare("SELECT id FROM tenants").pluck().get() as number;
  const insert = db.prepare(
    "INSERT INTO learners (tenant_id, external_id, email, full_name, first_seen_at) VALUES (?, ?, ?, ?, '2026-01-01')",
  );
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(tenant, `l${i}@uni.edu`, `l${i}@uni.edu`, `Learner ${i}`);
  })();
  db.close();
}

describe("a reader that goes away (EPIPE)", () => {
  it("ends every read quietly with exit 0", async () => {
    addLearners(3000);
    for (const args of [
      ["learners", "list"],
      ["learners", "list", "--json"],
      ["tenant", "list"],
      ["programs", "list"],
      ["audit"],
      ["help", "exit-codes"],
      ["learners", "list", "--debug"],
    ]) {
      const result = await withClosedStdout(args);
      expect(result.stderr, args.join(" ")).not.toMatch(/EPIPE|node:events|Error:/);
      expect(result.code, `${args.join(" ")}\n${result.stderr}`).toBe(0);
    }
    // doctor's exit is its own verdict (checks fail without credentials), never a stack.
    const doctor = await withClosedStdout(["doctor"]);
    expect(doctor.stderr).not.toMatch(/EPIPE|node:events/);
    expect(doctor.code).toBe(1);
  });

  it("`gg4l learners list | head -1` in a shell: one row, exit 0 (pipefail)", () => {
    addLearners(20000);
    const result = spawnSync(
      "bash",
      ["-c", `set -o pipefail; "${process.execPath}" "${binPath}" learners list | head -1`],
      {
        env: env(),
        encoding: "utf8",
      },
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(result.status).toBe(0);
  });
});

describe("usage errors under --json are JSON on stderr", () => {
  it.each([
    ["unknown flag", ["programs", "list", "--jsn", "--json"], /unknown option '--jsn'/],
    ["bad choice", ["completion", "tcsh", "--json"], /tcsh/],
    ["missing value", ["audit", "--json", "--limit"], /argument missing/],
  ])("%s", async (_name, args, message) => {
    const result = await box.gg4l(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const body = JSON.parse(result.stderr) as { error: { message: string; hint: string; exitCode: number } };
    expect(body.error.message).toMatch(message);
    expect(body.error.exitCode).toBe(2);
    expect(body.error.hint).toBeTruthy();
  });

  it("and text without --json, with the suggestion", async () => {
    const result = await box.gg4l(["programs", "list", "--jsn"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error: unknown option '--jsn'\n\(Did you mean --json\?\)/);
  });
});

describe("inputs that used to be unexpected failures", () => {
  it.each([
    [["audit", "--limit", "99999999999999999999"], 2, /--limit must be a whole number from 1 to 1000000/],
    [["sync", "runs", "--limit", "99999999999999999999"], 2, /--limit must be a whole number/],
    [["audit", "--db", "/tmp"], 4, /\/tmp is not a gg4l state file \(it is a folder\)/],
    [["audit", "--db", "/dev/null"], 4, /\/dev\/null is not a gg4l state file \(it is not a regular file\)/],
    [["init", "--db", "/dev/null"], 4, /not a regular file/],
    [["audit", "--db", ""], 2, /--db needs a path/],
    [["programs", "list", "--tenant", ""], 2, /--tenant needs a tenant slug/],
    [
      ["sync", "grades", "--max-concurrency", "abc", "--dry-run"],
      2,
      /--max-concurrency takes a whole number/,
    ],
  ])("gg4l %j exits %i", async (args, code, message) => {
    const result = await box.gg4l(args);
    expect(result.code, result.stderr).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/unexpected failure/);
  });

  it("FORCE_COLOR=0 turns colour off on a terminal", () => {
    const run = (extra: Record<string, string | undefined>) =>
      spawnSync("script", ["-qec", `"${process.execPath}" "${binPath}" tenant list`, "/dev/null"], {
        env: env({ NO_COLOR: undefined, TERM: "xterm", ...extra }),
        encoding: "utf8",
      }).stdout;
    expect(run({})).toMatch(/\u001b\[1m/);
    expect(run({ FORCE_COLOR: "0" })).not.toMatch(/\u001b\[/);
  });
});

describe("a full disk", () => {
  it("exits 4 'no space left on <dir>' and loses nothing (a 1 MB tmpfs in a user namespace)", () => {
    const dir = `${box.dir}/small`;
    const script = `
      set -e; mkdir -p ${dir}; mount -t tmpfs -o size=1m tmpfs ${dir}
      export GG4L_DB=${dir}/s.db NO_COLOR=1; g() { "${process.execPath}" "${binPath}" "$@"; }
      g init >/dev/null; g tenant add uni-y --name Y --coursera-org org-2 >/dev/null 2>&1
      dd if=/dev/zero of=${dir}/filler bs=4k 2>/dev/null || true
      set +e
      g tenant add uni-z --name Z --coursera-org org-3; echo "exit=$?"
      g settings set incremental off --json; echo "exit=$?"
      rm ${dir}/filler
      g tenant list; echo "exit=$?"
      g doctor --json | grep -o '"integrity ok[^"]*"'`;
    const result = spawnSync("unshare", ["-rm", "bash", "-c", script], { encoding: "utf8", cwd: repoRoot });
    expect(result.stdout.match(/exit=\d+/g)).toEqual(["exit=4", "exit=4", "exit=0"]);
    expect(result.stderr).toContain(`error: no space left on ${dir}`);
    expect(result.stderr).toContain(`{"error":{"message":"no space left on ${dir}"`);
    expect(result.stdout).toMatch(/uni-y/);
    expect(result.stdout).not.toMatch(/uni-z/);
    expect(result.stdout).toMatch(/integrity ok/);
  });
});

describe("a read-only state folder", () => {
  it("reads work read-only; a change is exit 4 naming the cause, its audit row on stderr, the file untouched", () => {
    const folder = box.dir;
    const script = `
      set -e; mount --bind ${folder} ${folder}; mount -o remount,ro,bind ${folder}
      export GG4L_DB=${box.db} NO_COLOR=1; g() { "${process.execPath}" "${binPath}" "$@"; }
      set +e
      g tenant list; echo "exit=$?"
      g audit --json >/dev/null; echo "exit=$?"
      g tenant add uni-z --name Z --coursera-org org-3 >/dev/null; echo "exit=$?"
      ls ${folder}`;
    const before = readFileSync(box.db);
    const result = spawnSync("unshare", ["-rm", "bash", "-c", script], { encoding: "utf8", cwd: repoRoot });
    expect(result.stdout.match(/exit=\d+/g), result.stderr).toEqual(["exit=0", "exit=0", "exit=4"]);
    expect(result.stdout).toMatch(/uni-x/);
    expect(result.stderr).toMatch(/error: the state .* is read-only here: its folder cannot be written/);
    expect(result.stderr).toMatch(
      /audit \(could not be written: attempt to write a readonly database\): .*"command":"tenant add".*"exitCode":4/,
    );
    expect(result.stdout).not.toMatch(/-wal|-shm/);
    expect(readFileSync(box.db).equals(before)).toBe(true);
  });
});

describe("gg4l serve", () => {
  it("exits 0 on SIGINT after refusing an oversized request, and logs an aborted request as aborted", async () => {
    const serve = await startServe({
      dir: box.dir,
      db: box.db,
      gg4l: async () => ({ code: 0, stdout: "", stderr: "" }),
      cleanup: () => {},
    });
    const big = await request(serve.urls.launchUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a".repeat(300_000),
    }).catch(() => undefined);
    if (big) await big.body.text();
    const url = new URL(serve.urls.launchUrl);
    await new Promise<void>((resolve) => {
      const socket = createConnection(Number(url.port), url.hostname, () => {
        socket.write(
          `POST ${url.pathname} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nabc`,
        );
        setTimeout(() => {
          socket.resetAndDestroy();
          resolve();
        }, 200);
      });
      socket.on("error", () => {});
    });
    for (let i = 0; i < 50 && !/launch-aborted/.test(serve.log()); i++)
      await new Promise((r) => setTimeout(r, 100));
    const exit = await serve.stop("SIGINT");
    expect(exit.code).toBe(0);
    expect(serve.log()).toMatch(/launch-refused status=413/);
    expect(serve.log()).toMatch(/launch-aborted message="the client closed the connection/);
    expect(serve.log()).not.toMatch(/status=500/);
  });
});
