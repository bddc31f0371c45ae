/** Issue 19 §3: a state whose data pages are damaged (header intact) is refused and never written to. */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sandboxState } from "../helpers/gg4l.js";

let box: ReturnType<typeof sandboxState>;
beforeEach(() => {
  box = sandboxState();
});
afterEach(() => box.cleanup());

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** A state with a tenant and 3,000 audit rows, then one leaf page of audit_log overwritten. */
async function damagedState(): Promise<void> {
  expect((await box.gg4l(["init"])).code).toBe(0);
  expect(
    (await box.gg4l(["tenant", "add", "uni-x", "--name", "University X", "--coursera-org", "org-1"])).code,
  ).toBe(0);
  const db = new Database(box.db);
  const insert = db.prepare(
    `INSERT INTO audit_log (at, os_user, tenant, command, args, outcome, exit_code, message)
     VALUES ('2026-01-01T00:00:00.000Z', 'ops', 'uni-x', 'settings set', '["incremental","on"]', 'ok', 0, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) insert.run(`row ${i} `.repeat(8));
  })();
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  const leaves = db
    .prepare("SELECT pageno FROM dbstat WHERE name = 'audit_log' AND pagetype = 'leaf' ORDER BY pageno")
    .pluck()
    .all() as number[];
  db.close();
  expect(existsSync(`${box.db}-wal`)).toBe(false);
  const page = leaves[Math.floor(leaves.length / 2)]!;
  const bytes = readFileSync(box.db);
  // The cells of one data page in the middle of the table; page 1 (header, schema) is intact.
  bytes.fill(0x5a, (page - 1) * pageSize + 16, page * pageSize - 16);
  writeFileSync(box.db, bytes);
}

describe("a state with damaged data pages", () => {
  it("is refused by every command but doctor with exit 4 and the repair path, left byte-for-byte, no -wal/-shm", async () => {
    await damagedState();
    const before = sha(box.db);
    const commands = [
      ["init"],
      ["settings", "set", "incremental", "off"],
      ["programs", "list"],
      ["audit"],
      ["tenant", "list", "--json"],
      ["learners", "mark-test", "ana@uni.edu"],
    ];
    for (const args of commands) {
      const result = await box.gg4l(args);
      expect(result.code, `${args.join(" ")}\n${result.stderr}`).toBe(4);
      expect(result.stderr).toMatch(/the state file .* is corrupt/);
      expect(result.stderr).toMatch(/`gg4l doctor` shows how to repair it/);
      expect(result.stdout).toBe("");
      expect(sha(box.db)).toBe(before);
      expect(existsSync(`${box.db}-wal`)).toBe(false);
      expect(existsSync(`${box.db}-shm`)).toBe(false);
    }
  });

  it("puts the audit row of a refused mutating command on stderr, not into the file", async () => {
    await damagedState();
    const before = sha(box.db);
    const plain = await box.gg4l(["settings", "set", "incremental", "off"]);
    expect(plain.code).toBe(4);
    const line = plain.stderr
      .split("\n")
      .find((l) => l.startsWith("audit (not written to the corrupt state): "));
    expect(line).toBeDefined();
    expect(JSON.parse(line!.slice(line!.indexOf("{")))).toMatchObject({
      command: "settings set incremental",
      args: ["off"],
      outcome: "failed",
      exitCode: 4,
    });
    const json = await box.gg4l(["settings", "set", "incremental", "off", "--json"]);
    expect(json.code).toBe(4);
    const lines = json.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0].audit).toMatchObject({ command: "settings set incremental", exitCode: 4 });
    expect(lines[1].error).toMatchObject({ exitCode: 4, message: expect.stringMatching(/corrupt/) });
    expect(sha(box.db)).toBe(before);
  });

  it("doctor reports it and says how to repair it (sqlite3 .recover, or a backup), leaving it as it was", async () => {
    await damagedState();
    const before = sha(box.db);
    const result = await box.gg4l(["doctor", "--json"]);
    expect(result.code).toBe(1);
    const rows = JSON.parse(result.stdout).checks as Array<{ check: string; status: string; fix: string }>;
    const database = rows.find((r) => r.check === "database")!;
    expect(database.status).toBe("fail");
    expect(database.fix).toContain(`sqlite3 ${box.db}.corrupt .recover | sqlite3 ${box.db}`);
    expect(database.fix).toMatch(/restore it from a backup/);
    expect(sha(box.db)).toBe(before);
    expect(existsSync(`${box.db}-wal`)).toBe(false);
  });
});
