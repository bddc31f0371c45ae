import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { latestSchemaVersion } from "../../src/store/migrations.js";
import { parseJson, type RunResult, sandboxState } from "../helpers/gg4l.js";

const SECRET = "cs_live_7f3a9c1e5b2d4e6f8a0b";

let box: ReturnType<typeof sandboxState>;
beforeEach(() => {
  box = sandboxState();
});
afterEach(() => box.cleanup());

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const mode = (path: string) => statSync(path).mode & 0o777;

const lmsFlags = (issuer: string, gradeSync: string) => [
  "--kind",
  "moodle",
  "--issuer",
  issuer,
  "--client-id",
  "tool-1",
  "--deployment-id",
  "dep-1",
  "--auth-url",
  `${issuer}/mod/lti/auth.php`,
  "--token-url",
  `${issuer}/mod/lti/token.php`,
  "--jwks-url",
  `${issuer}/mod/lti/certs.php`,
  "--grade-sync",
  gradeSync,
];

async function setup(): Promise<void> {
  expect((await box.gg4l(["init"])).code).toBe(0);
  const added = await box.gg4l([
    "tenant",
    "add",
    "uni-x",
    "--name",
    "University X",
    "--coursera-org",
    "org-1",
  ]);
  expect(added.code).toBe(0);
}

function expectExit(result: RunResult, code: number, stderrMatch?: RegExp): void {
  if (result.code !== code)
    throw new Error(`expected exit ${code}, got ${result.code}\n${result.stderr}${result.stdout}`);
  if (stderrMatch) expect(result.stderr).toMatch(stderrMatch);
}

describe("gg4l init", () => {
  it("creates the state and a key file, both 0600, and is safe to run again", async () => {
    const first = await box.gg4l(["init", "--json"]);
    expectExit(first, 0);
    const result = parseJson<{
      dbPath: string;
      created: boolean;
      keyPath: string;
      keyCreated: boolean;
      kid: string;
      schemaVersion: number;
    }>(first);
    expect(result).toMatchObject({
      dbPath: box.db,
      created: true,
      keyCreated: true,
      schemaVersion: latestSchemaVersion,
    });
    expect(mode(box.db)).toBe(0o600);
    expect(mode(result.keyPath)).toBe(0o600);
    const again = parseJson<typeof result>(await box.gg4l(["init", "--json"]));
    expect(again).toMatchObject({ created: false, keyCreated: false, kid: result.kid });
  });

  it("commands other than init do not create the state; they say to run init (exit 4)", async () => {
    const result = await box.gg4l(["tenant", "list"]);
    expectExit(result, 4, /no gg4l state at .*state\.db/);
    expect(result.stderr).toMatch(/gg4l init/);
    expect(() => statSync(box.db)).toThrow();
  });

  it("uses $XDG_DATA_HOME/gg4l/gg4l.db when neither --db nor GG4L_DB is given", async () => {
    const result = await box.gg4l(["init", "--json"], {
      env: { GG4L_DB: undefined, XDG_DATA_HOME: box.dir },
    });
    expectExit(result, 0);
    expect(parseJson<{ dbPath: string }>(result).dbPath).toBe(`${box.dir}/gg4l/gg4l.db`);
  });

  it("--db wins over GG4L_DB", async () => {
    const other = `${box.dir}/other.db`;
    expectExit(await box.gg4l(["init", "--db", other]), 0);
    expect(mode(other)).toBe(0o600);
    expect(() => statSync(box.db)).toThrow();
  });
});

describe("refusing state files that are not ours, unchanged", () => {
  const commands = [["init"], ["tenant", "list"], ["settings", "show", "--json"], ["audit"]];

  it("a corrupt file", async () => {
    await setup();
    const bytes = readFileSync(box.db);
    // Overwrite the schema page after the 100-byte header: the file still looks like SQLite.
    bytes.fill(0xa5, 100, 4096);
    writeFileSync(box.db, bytes);
    const before = sha(box.db);
    for (const args of commands) {
      const result = await box.gg4l(args);
      expectExit(result, 4, /corrupt/);
      expect(result.stderr).toMatch(/restore it from a backup/);
      expect(sha(box.db)).toBe(before);
    }
  });

  it("a file that is not SQLite at all", async () => {
    writeFileSync(box.db, "name,email\nana,ana@uni.edu\n".repeat(10));
    const before = sha(box.db);
    for (const args of commands) {
      const result = await box.gg4l(args);
      expectExit(result, 4, /not a gg4l state file \(it is not an SQLite database\)/);
      expect(sha(box.db)).toBe(before);
    }
  });

  it("an SQLite database of another application", async () => {
    const other = new Database(box.db);
    other.exec(
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')",
    );
    other.close();
    const before = sha(box.db);
    for (const args of commands) {
      const result = await box.gg4l(args);
      expectExit(result, 4, /an SQLite database, but not a gg4l state file/);
      expect(sha(box.db)).toBe(before);
    }
  });

  it("a state written by a newer gg4l", async () => {
    await setup();
    const db = new Database(box.db);
    db.pragma("user_version = 99");
    db.pragma("journal_mode = DELETE");
    db.close();
    const before = sha(box.db);
    for (const args of commands) {
      const result = await box.gg4l(args);
      expectExit(
        result,
        4,
        new RegExp(
          `written by a newer gg4l \\(schema version 99; this gg4l knows up to ${latestSchemaVersion}\\)`,
        ),
      );
      expect(result.stderr).toMatch(/upgrade gg4l/);
      expect(sha(box.db)).toBe(before);
    }
  });
});

describe("tenants", () => {
  it("add, list, show, use and remove, with --json everywhere", async () => {
    expectExit(await box.gg4l(["init"]), 0);
    const added = parseJson<{ slug: string; default: boolean; madeDefault: boolean }>(
      await box.gg4l([
        "tenant",
        "add",
        "uni-x",
        "--name",
        "University X",
        "--coursera-org",
        "org-1",
        "--json",
      ]),
    );
    expect(added).toMatchObject({ slug: "uni-x", default: true, madeDefault: true });
    expectExit(
      await box.gg4l(["tenant", "add", "uni-y", "--name", "University Y", "--coursera-org", "org-2"]),
      0,
    );

    const list = parseJson<Array<{ slug: string; default: boolean }>>(
      await box.gg4l(["tenant", "list", "--json"]),
    );
    expect(list.map((t) => [t.slug, t.default])).toEqual([
      ["uni-x", true],
      ["uni-y", false],
    ]);
    const piped = await box.gg4l(["tenant", "list"]);
    expect(piped.stdout.trim().split("\n")).toEqual([
      "*\tuni-x\tUniversity X\torg-1\t-\t-",
      "\tuni-y\tUniversity Y\torg-2\t-\t-",
    ]);

    expectExit(await box.gg4l(["tenant", "use", "uni-y"]), 0);
    expect(parseJson<{ slug: string }>(await box.gg4l(["tenant", "show", "--json"])).slug).toBe("uni-y");
    expect(
      parseJson<{ slug: string }>(await box.gg4l(["tenant", "show", "--json", "--tenant", "uni-x"])).slug,
    ).toBe("uni-x");
    expect(
      parseJson<{ slug: string }>(
        await box.gg4l(["tenant", "show", "--json"], { env: { GG4L_TENANT: "uni-x" } }),
      ).slug,
    ).toBe("uni-x");

    const removed = await box.gg4l(["tenant", "remove", "uni-y", "--yes", "--json"]);
    expect(parseJson(removed)).toEqual({ slug: "uni-y", removed: true });
    expect(parseJson<unknown[]>(await box.gg4l(["tenant", "list", "--json"]))).toHaveLength(1);
  });

  it("remove without a terminal and without --yes exits 2, names --yes and keeps the tenant", async () => {
    await setup();
    const before = await box.gg4l(["tenant", "list", "--json"]);
    const result = await box.gg4l(["tenant", "remove", "uni-x"]);
    expectExit(result, 2, /confirmation needed/);
    expect(result.stderr).toMatch(/pass --yes/);
    expect((await box.gg4l(["tenant", "list", "--json"])).stdout).toBe(before.stdout);
  });

  it("unknown tenant exits 3, a duplicate slug exits 6, a bad slug exits 2", async () => {
    await setup();
    expectExit(await box.gg4l(["tenant", "show", "nope"]), 3, /no tenant "nope"/);
    expectExit(
      await box.gg4l(["tenant", "add", "uni-x", "--name", "X", "--coursera-org", "o"]),
      6,
      /already exists/,
    );
    expectExit(
      await box.gg4l(["tenant", "add", "Uni X", "--name", "X", "--coursera-org", "o"]),
      2,
      /invalid tenant slug/,
    );
    expectExit(
      await box.gg4l([
        "tenant",
        "add",
        "uni-z",
        "--name",
        "X",
        "--coursera-org",
        "o",
        "--coursera-url",
        "ftp://x",
      ]),
      2,
      /--coursera-url/,
    );
  });

  it("several tenants and no default: a usage error that lists them", async () => {
    await setup();
    expectExit(await box.gg4l(["tenant", "add", "uni-y", "--name", "Y", "--coursera-org", "o2"]), 0);
    const db = new Database(box.db);
    db.prepare("DELETE FROM meta WHERE key = 'default_tenant'").run();
    db.close();
    expectExit(await box.gg4l(["tenant", "show"]), 2, /pass --tenant <slug> \(one of: uni-x, uni-y\)/);
  });
});

describe("the Coursera client secret", () => {
  function everything(results: RunResult[]): string {
    return results.map((r) => r.stdout + r.stderr).join("\n");
  }

  it("from stdin: stored 0600 outside the database, masked, never printed or audited", async () => {
    expectExit(await box.gg4l(["init"]), 0);
    const results: RunResult[] = [];
    const add = await box.gg4l(
      [
        "tenant",
        "add",
        "uni-x",
        "--name",
        "X",
        "--coursera-org",
        "o",
        "--coursera-client-id",
        "cid",
        "--coursera-secret-stdin",
        "--json",
        "--debug",
      ],
      { input: `${SECRET}\n` },
    );
    expectExit(add, 0);
    results.push(add);
    expect(parseJson<{ courseraSecret: string; courseraSecretSource: string }>(add)).toMatchObject({
      courseraSecret: `****${SECRET.slice(-4)}`,
      courseraSecretSource: "file",
    });
    for (const args of [
      ["tenant", "show"],
      ["tenant", "show", "--json"],
      ["tenant", "list", "--json"],
      ["audit", "--json"],
      ["audit"],
    ]) {
      results.push(await box.gg4l(args));
    }
    expect(everything(results)).not.toContain(SECRET);
    expect(readFileSync(box.db).toString("latin1")).not.toContain(SECRET);
    const secretsFile = `${box.dir}/state.secrets.json`;
    expect(mode(secretsFile)).toBe(0o600);
    expect(readFileSync(secretsFile, "utf8")).toContain(SECRET);
  });

  it("from the environment; and an empty stdin is a usage error", async () => {
    expectExit(await box.gg4l(["init"]), 0);
    const add = await box.gg4l(["tenant", "add", "uni-x", "--name", "X", "--coursera-org", "o", "--json"], {
      env: { GG4L_COURSERA_CLIENT_SECRET: SECRET },
    });
    const audit = await box.gg4l(["audit", "--json"]);
    expect(everything([add, audit])).not.toContain(SECRET);
    expect(parseJson<{ courseraSecret: string }>(add).courseraSecret).toBe(`****${SECRET.slice(-4)}`);
    const empty = await box.gg4l([
      "tenant",
      "add",
      "uni-y",
      "--name",
      "Y",
      "--coursera-org",
      "o",
      "--coursera-secret-stdin",
    ]);
    expectExit(empty, 2, /standard input was empty/);
  });
});

describe("LMS registration and settings", () => {
  it("register, show, and the tool JWKS without private parts", async () => {
    await setup();
    const reg = await box.gg4l([
      "lms",
      "register",
      ...lmsFlags("https://moodle.uni.edu", "course"),
      "--json",
    ]);
    expectExit(reg, 0);
    expect(parseJson(reg)).toMatchObject({
      tenant: "uni-x",
      kind: "moodle",
      gradeSync: "course",
      incremental: true,
      noSso: false,
      updated: false,
    });
    expect(parseJson(await box.gg4l(["lms", "show", "--json"]))).toMatchObject({
      issuer: "https://moodle.uni.edu",
    });
    for (const args of [
      ["lms", "show", "--jwks"],
      ["lms", "show", "--jwks", "--json"],
    ]) {
      const jwks = parseJson<{ keys: Array<Record<string, string>> }>(await box.gg4l(args));
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
      expect(jwks.keys[0]).not.toHaveProperty("d");
      expect(jwks.keys[0]).not.toHaveProperty("p");
    }
  });

  it("R1: another grade-sync option for the same LMS is refused with exit 6, by any tenant", async () => {
    await setup();
    expectExit(await box.gg4l(["lms", "register", ...lmsFlags("https://moodle.uni.edu", "course")]), 0);
    const same = await box.gg4l(["lms", "register", ...lmsFlags("https://moodle.uni.edu", "assignment")]);
    expectExit(same, 6, /already uses grade-sync "course".*rule R1/);
    expect(same.stderr).toMatch(/gg4l settings set grade-sync assignment/);
    expectExit(await box.gg4l(["tenant", "add", "uni-y", "--name", "Y", "--coursera-org", "o2"]), 0);
    const other = await box.gg4l([
      "lms",
      "register",
      "--tenant",
      "uni-y",
      ...lmsFlags("https://moodle.uni.edu/", "final"),
    ]);
    expectExit(other, 6, /tenant "uni-x"/);
    expectExit(
      await box.gg4l([
        "lms",
        "register",
        "--tenant",
        "uni-y",
        ...lmsFlags("https://moodle.uni.edu", "course"),
      ]),
      0,
    );
  });

  it("settings show and set incremental / no-sso, idempotently", async () => {
    await setup();
    expectExit(await box.gg4l(["settings", "show"]), 3, /has no LMS registration/);
    expectExit(await box.gg4l(["lms", "register", ...lmsFlags("https://moodle.uni.edu", "assignment")]), 0);
    expect(parseJson(await box.gg4l(["settings", "show", "--json"]))).toMatchObject({
      gradeSync: "assignment",
      incremental: true,
      noSso: false,
    });
    expect(parseJson(await box.gg4l(["settings", "set", "incremental", "off", "--json"]))).toMatchObject({
      value: false,
      changed: true,
      forStudents: expect.stringMatching(/tells students about grades they already have/),
    });
    expect(parseJson(await box.gg4l(["settings", "set", "no-sso", "on", "--json"]))).toMatchObject({
      value: true,
      changed: true,
      forStudents: expect.stringMatching(/without opening each/),
    });
    const again = await box.gg4l(["settings", "set", "no-sso", "on"]);
    expectExit(again, 0, /already on/);
    expect(again.stderr).toMatch(/For students: a student who has opened any one link/);
    const back = await box.gg4l(["settings", "set", "incremental", "on"]);
    expect(back.stderr).toMatch(/For students: students are sent a grade only when it is new or changed/);
    expect(parseJson(await box.gg4l(["settings", "show", "--json"]))).toMatchObject({
      incremental: true,
      noSso: true,
    });
    expectExit(await box.gg4l(["settings", "set", "no-sso", "maybe"]), 2, /takes on or off/);
  });

  it("changing grade-sync states its cost, needs --yes without a terminal, and marks links stale", async () => {
    await setup();
    expectExit(await box.gg4l(["lms", "register", ...lmsFlags("https://moodle.uni.edu", "assignment")]), 0);
    const db = new Database(box.db);
    db.prepare(
      `INSERT INTO links (registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, created_at)
       VALUES (1, 'ctx', 'rl-1', 'item', 'i1', 'assignment', 'now'), (1, 'ctx', 'rl-2', 'item', 'i2', 'assignment', 'now')`,
    ).run();
    db.close();
    const refused = await box.gg4l(["settings", "set", "grade-sync", "course"]);
    expectExit(refused, 2, /pass --yes/);
    expect(parseJson(await box.gg4l(["settings", "show", "--json"]))).toMatchObject({
      gradeSync: "assignment",
    });

    const changed = await box.gg4l(["settings", "set", "grade-sync", "course", "--yes"]);
    expectExit(changed, 0, /2 link\(s\) marked stale.*reconfigure the tool.*republish.*launch again/s);
    expect(parseJson(await box.gg4l(["settings", "show", "--json"]))).toMatchObject({ gradeSync: "course" });
    const check = new Database(box.db, { readonly: true });
    expect(check.prepare("SELECT count(*) AS n FROM links WHERE stale_at IS NOT NULL").get()).toEqual({
      n: 2,
    });
    check.close();
    const same = await box.gg4l(["settings", "set", "grade-sync", "course", "--json"]);
    expect(parseJson(same)).toMatchObject({ changed: false, staleLinks: 0 });
  });
});

describe("audit", () => {
  it("records who, when, what, arguments and outcome of every mutating command, failures included", async () => {
    await setup();
    await box.gg4l(["tenant", "remove", "uni-x"]);
    await box.gg4l(["tenant", "use", "uni-x"]);
    await box.gg4l(["tenant", "list"]);
    const entries = parseJson<
      Array<{
        command: string;
        args: string[];
        outcome: string;
        exitCode: number;
        osUser: string;
        at: string;
        tenant: string | null;
      }>
    >(await box.gg4l(["audit", "--json"]));
    expect(entries.map((e) => [e.command, e.outcome, e.exitCode])).toEqual([
      ["tenant use", "ok", 0],
      ["tenant remove", "failed", 2],
      ["tenant add", "ok", 0],
      ["init", "ok", 0],
    ]);
    expect(entries[2]).toMatchObject({
      tenant: "uni-x",
      args: [
        "uni-x",
        "--name",
        "University X",
        "--coursera-org",
        "org-1",
        "--coursera-url",
        "https://api.coursera.org",
      ],
    });
    expect(entries[0]!.osUser).not.toBe("");
    expect(Date.parse(entries[0]!.at)).not.toBeNaN();
    expect(parseJson<unknown[]>(await box.gg4l(["audit", "--limit", "1", "--json"]))).toHaveLength(1);
    expectExit(await box.gg4l(["audit", "--limit", "zero"]), 2, /--limit must be a whole number/);
  });
});

describe("usage errors and help", () => {
  it("unknown command and unknown flag exit 2", async () => {
    expectExit(await box.gg4l(["tenants"]), 2, /unknown command 'tenants'/);
    expectExit(await box.gg4l(["tenant", "list", "--colour"]), 2, /unknown option '--colour'/);
    expectExit(await box.gg4l(["tenant", "add", "x"]), 2, /required option '--name <text>' not specified/);
    expectExit(await box.gg4l(["tenant"]), 2);
  });

  it("help exit-codes prints the table, also as JSON", async () => {
    const text = await box.gg4l(["help", "exit-codes"]);
    expectExit(text, 0);
    for (const code of ["0", "1", "2", "3", "4", "5", "6", "130"])
      expect(text.stdout).toMatch(new RegExp(`^\\s*${code}\\s`, "m"));
    const json = parseJson<Array<{ code: number }>>(await box.gg4l(["help", "exit-codes", "--json"]));
    expect(json.map((r) => r.code)).toEqual([0, 1, 2, 3, 4, 5, 6, 130]);
    expectExit(await box.gg4l(["help", "tenant", "add"]), 0);
    expectExit(await box.gg4l(["help", "nonsense"]), 2, /no command or help topic/);
  });

  it("--version and --help open no database", async () => {
    for (const args of [["--version"], ["--help"], ["tenant", "--help"], ["help", "exit-codes"]]) {
      expectExit(await box.gg4l(args), 0);
    }
    expect(() => statSync(box.db)).toThrow();
  });
});
