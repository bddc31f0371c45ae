import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { parseJson, repoRoot, runGg4l, sandboxState } from "../helpers/gg4l.js";

let box: ReturnType<typeof sandboxState>;
beforeEach(() => {
  box = sandboxState();
});
afterEach(() => box.cleanup());

function allCommands(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return cmd.commands.flatMap((sub) => [
    { path: [...path, sub.name()], cmd: sub },
    ...allCommands(sub, [...path, sub.name()]),
  ]);
}

const program = buildProgram({
  io: {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stdinTTY: false,
    stdoutTTY: false,
    stderrTTY: false,
    columns: 80,
  },
  env: {},
  cwd: repoRoot,
  osUser: "t",
  version: "0",
});

describe("help", () => {
  it("every command's --help shows at least two examples", async () => {
    const commands = allCommands(program);
    expect(commands.length).toBeGreaterThan(15);
    for (const { path } of commands) {
      const result = await runGg4l([...path, "--help"], { env: { GG4L_DB: box.db } });
      expect(result.code, path.join(" ")).toBe(0);
      const examples = result.stdout.match(/^\s+\$ .*gg4l /gm) ?? [];
      expect(examples.length, `gg4l ${path.join(" ")} --help`).toBeGreaterThanOrEqual(2);
    }
    // One process per command (about 40, and more as commands are added): on a busy 2-core
    // machine that is more than the default 30 s, without anything being wrong.
  }, 180_000);
});

describe("startup stays light", () => {
  it("--help and --version load neither undici, inquirer, ora nor better-sqlite3, and open no database", async () => {
    for (const args of [["--help"], ["--version"], ["tenant", "--help"], ["settings", "show", "--help"]]) {
      const trace = join(box.dir, `trace-${args.join("-")}.txt`);
      writeFileSync(trace, "");
      const result = await runGg4l(args, {
        env: { GG4L_DB: box.db, GG4L_TRACE_IMPORTS: trace },
        nodeArgs: ["--import", join(repoRoot, "test/helpers/trace-imports.mjs")],
      });
      expect(result.code).toBe(0);
      const loaded = readFileSync(trace, "utf8");
      if (args[0] !== "--version") expect(loaded).toContain("/commander/");
      for (const heavy of ["/undici/", "/@inquirer/", "/ora/", "/better-sqlite3/", "/chalk/"]) {
        expect(loaded, `${args.join(" ")} loaded ${heavy}`).not.toContain(heavy);
      }
    }
  });
});

describe("completion", () => {
  it("bash completes commands, subcommands and flags from the command tree", async () => {
    const result = await runGg4l(["completion", "bash"]);
    expect(result.code).toBe(0);
    const script = join(box.dir, "gg4l.bash");
    writeFileSync(script, result.stdout);
    const complete = (...words: string[]) =>
      execFileSync(
        "bash",
        [
          "-c",
          `source ${script}; COMP_WORDS=(gg4l ${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length}; _gg4l; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: "utf8" },
      ).trim();
    expect(complete("te").split(" ")).toEqual(["tenant"]);
    expect(complete("tenant", "").split(" ").sort()).toEqual(["add", "list", "remove", "set", "show", "use"]);
    expect(complete("--db", "x.db", "settings", "set", "")).toBe(
      "grade-sync incremental no-sso test-launches classroom-return",
    );
    expect(complete("settings", "set", "test-launches", "")).toBe("allow deny");
    expect(complete("links", "").split(" ").sort()).toEqual(["list", "show"]);
    expect(complete("links", "list", "--st")).toBe("--stale");
    expect(complete("learners", "l").split(" ").sort()).toEqual(["link", "list"]);
    expect(complete("learners", "unlink", "--fr")).toBe("--free-license");
    expect(complete("tenant", "add", "--coursera-s")).toBe("--coursera-secret-stdin");
    expect(complete("lms", "").split(" ").sort()).toEqual(["check", "guide", "register", "show"]);
    expect(complete("lms", "guide", "m")).toBe("moodle");
    expect(complete("lms", "register", "--dy")).toBe("--dynamic");
    expect(complete("lms", "check", "--mem")).toBe("--memberships-url");
  });

  it("zsh and fish scripts are generated, and --json wraps the script", async () => {
    const zsh = await runGg4l(["completion", "zsh"]);
    expect(zsh.stdout).toMatch(/^#compdef gg4l/);
    const fish = await runGg4l(["completion", "fish"]);
    expect(fish.stdout).toContain(
      "complete -c gg4l -f -n \"__gg4l_at 'tenant'\" -a 'add set list show use remove'",
    );
    const json = parseJson<{ shell: string; script: string }>(
      await runGg4l(["completion", "bash", "--json"]),
    );
    expect(json.shell).toBe("bash");
    expect(json.script).toContain("complete -F _gg4l gg4l");
    expect((await runGg4l(["completion", "powershell"])).code).toBe(2);
  });
});

describe("large output to a slow reader", () => {
  it("is written whole before the process exits (no truncated JSON in a pipe)", async () => {
    const { default: Database } = await import("better-sqlite3");
    const { spawn } = await import("node:child_process");
    expect((await runGg4l(["init"], { env: { GG4L_DB: box.db } })).code).toBe(0);
    const db = new Database(box.db);
    const insert = db.prepare(
      "INSERT INTO audit_log (at, os_user, tenant, command, args, outcome, exit_code, message) VALUES (?, 'u', 't', 'tenant add', ?, 'ok', 0, NULL)",
    );
    db.transaction(() => {
      for (let i = 0; i < 3000; i++)
        insert.run(new Date(0).toISOString(), JSON.stringify([`tenant-${i}`, "--name", "x".repeat(200)]));
    })();
    db.close();
    const child = spawn(
      process.execPath,
      [join(repoRoot, "bin/gg4l.js"), "audit", "--limit", "5000", "--json"],
      {
        env: { ...process.env, GG4L_DB: box.db },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // Let the pipe fill up before reading, as a busy consumer would.
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stdout.resume();
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(out.length).toBeGreaterThan(500_000);
    expect(JSON.parse(out)).toHaveLength(3001);
  });
});
