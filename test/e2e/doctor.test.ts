/** gg4l doctor on this machine: the output contract, the state file, the key and secrets files, the credentials. */
import { chmodSync, copyFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { sandboxState } from "../helpers/gg4l.js";
import { runInProcess } from "../helpers/in-process.js";
import { CHECK_NAMES, deadUrl, readDoctor } from "./doctor-helpers.js";

let box: ReturnType<typeof sandboxState> | undefined;
afterEach(() => {
  box?.cleanup();
  box = undefined;
});

/** A state with a tenant whose Coursera client id is set and whose secret is in the secrets file. */
async function withTenant(slug = "doctor-uni"): Promise<ReturnType<typeof sandboxState>> {
  box = sandboxState();
  expect((await box.gg4l(["init"])).code).toBe(0);
  const add = await box.gg4l(
    // A dead loopback URL: these tests never reach a real Coursera.
    [
      "tenant",
      "add",
      slug,
      "--name",
      "Uni",
      "--coursera-org",
      "org-1",
      "--coursera-url",
      await deadUrl(),
      "--coursera-client-id",
      "cid-1",
      "--coursera-secret-stdin",
    ],
    { input: "s3cret-value-xyz" },
  );
  expect(add.code, add.stderr).toBe(0);
  return box;
}

describe("gg4l doctor: output", () => {
  it("without a state: every row is there, database and key-file fail with their fix, the rest say why they were not checked; exit 1", async () => {
    box = sandboxState();
    const result = await box.gg4l(["doctor", "--json"]);
    const d = readDoctor(result);
    expect(d.code).toBe(1);
    expect(d.tenant).toBeNull();
    expect(d.row("database")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/no gg4l state/),
    });
    expect(d.row("database").fix).toMatch(/gg4l init/);
    expect(d.row("key-file")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/does not exist/),
    });
    expect(d.row("daily-sync")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(/^not checked: /),
    });
    expect(d.row("coursera-token")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/^not checked: /),
    });
    // Nothing but the JSON on stdout; the failure summary is on stderr, as JSON under --json.
    expect(JSON.parse(result.stderr.trim()).error.message).toMatch(
      /doctor check\(s\) failed: database, key-file/,
    );
  });

  it("piped: one tab-separated row per check (check, status, message, fix) and a summary on stderr", async () => {
    const b = await withTenant();
    const result = await b.gg4l(["doctor"]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.split("\t")[0])).toEqual(CHECK_NAMES);
    for (const line of lines) expect(line.split("\t")).toHaveLength(4);
    expect(lines[0]).toMatch(/^database\tpass\tintegrity ok/);
    expect(result.stderr).toMatch(/tenant doctor-uni: \d+ passed, \d+ warning\(s\), \d+ failed/);
    expect(result.stderr).toMatch(/error: \d+ doctor check\(s\) failed/);
  });

  it("on a terminal: a table with a CHECK, STATUS, MESSAGE and FIX column", async () => {
    const b = await withTenant();
    const result = await runInProcess(["doctor"], { db: b.db, tty: true });
    expect(result.code).toBe(1);
    // gh/kubectl style: a header and aligned columns, no rules; STATUS no wider than "STATUS".
    expect(result.stdout).not.toMatch(/[┌│─┼]/);
    expect(result.stdout).toMatch(/^CHECK +STATUS {2}MESSAGE +FIX$/m);
    expect(result.stdout).toMatch(/^database +pass {4}integrity ok/m);
    expect(result.stderr).toMatch(/passed, \d+ warning\(s\), \d+ failed/);
  });

  it("never prints the Coursera secret", async () => {
    const b = await withTenant();
    const result = await b.gg4l(["doctor", "--json"]);
    expect(result.stdout + result.stderr).not.toContain("s3cret-value-xyz");
    const env = await b.gg4l(["doctor"], { env: { GG4L_COURSERA_CLIENT_SECRET: "env-secret-abcd" } });
    expect(env.stdout + env.stderr).not.toContain("env-secret-abcd");
  });

  it("an unknown --tenant is not found (exit 3), not a health problem", async () => {
    const b = await withTenant();
    const result = await b.gg4l(["doctor", "--tenant", "nope"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/no tenant "nope"/);
  });
});

describe("gg4l doctor: database", () => {
  it("passes on a sound state, with the schema version", async () => {
    const b = await withTenant();
    const d = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(d.row("database")).toMatchObject({
      status: "pass",
      message: expect.stringMatching(/integrity ok, schema version \d+ \(current\)/),
    });
  });

  it("fails when PRAGMA integrity_check finds a damaged index page (a corrupted copy of the state), and the other checks still run", async () => {
    const b = await withTenant("doctor-corrupt-me");
    const copy = join(b.dir, "copy.db");
    copyFileSync(b.db, copy);
    copyFileSync(join(b.dir, "state.key.json"), join(b.dir, "copy.key.json"));
    chmodSync(join(b.dir, "copy.key.json"), 0o600);
    const probe = new Database(copy, { readonly: true });
    const pageSize = probe.pragma("page_size", { simple: true }) as number;
    const root = probe
      .prepare("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_tenants_1'")
      .pluck()
      .get() as number;
    probe.close();
    // Change the slug inside the index's leaf page only: the table and the index now disagree.
    const bytes = readFileSync(copy);
    const page = bytes.subarray((root - 1) * pageSize, root * pageSize);
    const at = page.indexOf("doctor-corrupt-me");
    expect(at).toBeGreaterThan(0);
    page[at + "doctor-corrupt-".length] = "x".charCodeAt(0);
    writeFileSync(copy, bytes);

    const d = readDoctor(await b.gg4l(["doctor", "--json", "--db", copy]));
    expect(d.code).toBe(1);
    expect(d.row("database")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/integrity_check found .*sqlite_autoindex_tenants_1/),
    });
    expect(d.row("database").fix).toMatch(/REINDEX/);
    expect(d.row("key-file").status).toBe("pass");
  });

  it("fails when the schema page itself is unreadable, and reports the rest without crashing", async () => {
    const b = await withTenant();
    const bytes = readFileSync(b.db);
    bytes.fill(0xff, 100, 108); // the b-tree header of page 1 (sqlite_master)
    writeFileSync(b.db, bytes);
    const d = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(d.row("database")).toMatchObject({ status: "fail", message: expect.stringMatching(/is corrupt/) });
    expect(d.row("database").fix).toMatch(/restore it from a backup/);
    expect(d.row("key-file").status).toBe("pass");
    expect(d.row("stale-links").message).toMatch(/^not checked: the state file cannot be opened/);
  });

  it("fails on a state written by a newer gg4l, and leaves the file untouched", async () => {
    const b = await withTenant();
    const db = new Database(b.db);
    db.pragma("user_version = 99");
    db.close();
    const before = readFileSync(b.db);
    const d = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(d.row("database")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/newer gg4l \(schema version 99/),
    });
    expect(d.row("database").fix).toMatch(/upgrade gg4l/);
    expect(d.row("licenses").message).toMatch(/^not checked: the state file cannot be opened/);
    expect(readFileSync(b.db).equals(before)).toBe(true);
  });
});

describe("gg4l doctor: key and secrets files", () => {
  it("pass with mode 600 files", async () => {
    const b = await withTenant();
    const d = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(d.row("key-file")).toMatchObject({ status: "pass", message: expect.stringMatching(/mode 600/) });
    expect(d.row("secrets-file")).toMatchObject({
      status: "pass",
      message: expect.stringMatching(/mode 600/),
    });
  });

  it("fail when others can read them, with the chmod that fixes it", async () => {
    const b = await withTenant();
    chmodSync(join(b.dir, "state.key.json"), 0o644);
    chmodSync(join(b.dir, "state.secrets.json"), 0o640);
    const d = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(d.code).toBe(1);
    expect(d.row("key-file")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/readable by others \(mode 644\)/),
    });
    expect(d.row("key-file").fix).toMatch(/chmod 600 .*state\.key\.json/);
    expect(d.row("secrets-file")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/readable by others \(mode 640\)/),
    });
    expect(d.row("secrets-file").fix).toMatch(/chmod 600 .*state\.secrets\.json/);
  });

  it("key-file fails when the key is missing", async () => {
    const b = await withTenant();
    renameSync(join(b.dir, "state.key.json"), join(b.dir, "elsewhere.json"));
    const d = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(d.row("key-file")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/does not exist/),
    });
  });
});

describe("gg4l doctor: Coursera credentials", () => {
  it("pass with the secret from the secrets file, or from GG4L_COURSERA_CLIENT_SECRET", async () => {
    const b = await withTenant();
    const file = readDoctor(await b.gg4l(["doctor", "--json"]));
    expect(file.row("coursera-credentials")).toMatchObject({
      status: "pass",
      message: "client id cid-1, secret from the secrets file",
    });
    const env = readDoctor(
      await b.gg4l(["doctor", "--json"], { env: { GG4L_COURSERA_CLIENT_SECRET: "from-env-1234" } }),
    );
    expect(env.row("coursera-credentials").message).toMatch(/secret from GG4L_COURSERA_CLIENT_SECRET/);
  });

  it("fail without a client id or without a secret, naming the fix", async () => {
    box = sandboxState();
    const b = box;
    expect((await b.gg4l(["init"])).code).toBe(0);
    const url = await deadUrl();
    expect(
      (
        await b.gg4l([
          "tenant",
          "add",
          "no-id",
          "--name",
          "No id",
          "--coursera-org",
          "o",
          "--coursera-url",
          url,
        ])
      ).code,
    ).toBe(0);
    const noSecretArgs = ["--coursera-org", "o", "--coursera-url", url, "--coursera-client-id", "c"];
    expect((await b.gg4l(["tenant", "add", "no-secret", "--name", "No secret", ...noSecretArgs])).code).toBe(
      0,
    );
    const noId = readDoctor(await b.gg4l(["doctor", "--json", "--tenant", "no-id"]));
    expect(noId.tenant).toBe("no-id");
    expect(noId.row("coursera-credentials")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/no Coursera client id/),
    });
    expect(noId.row("coursera-token").status).toBe("fail");
    const noSecret = readDoctor(await b.gg4l(["doctor", "--json", "--tenant", "no-secret"]));
    expect(noSecret.row("coursera-credentials")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/no Coursera client secret/),
    });
    expect(noSecret.row("coursera-credentials").fix).toMatch(/GG4L_COURSERA_CLIENT_SECRET/);
  });
});
