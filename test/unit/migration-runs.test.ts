/** Migration 7 rebuilds sync_runs (a wider status CHECK, the phase): nothing of the runs before it is lost. */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrations } from "../../src/store/migrations.js";

function migrateTo(db: Database.Database, version: number): void {
  const from = db.pragma("user_version", { simple: true }) as number;
  db.transaction(() => {
    for (let v = from; v < version; v++) db.exec(migrations[v]!);
    db.pragma(`user_version = ${version}`);
  })();
}

describe("migration 7: runs get a phase and may end abandoned", () => {
  it("keeps every run and its plan items, and allows 'abandoned'", () => {
    const db = new Database(":memory:");
    db.pragma("foreign_keys = ON");
    migrateTo(db, 6);
    db.exec(`
      INSERT INTO tenants (id, slug, name, coursera_org, coursera_url, created_at) VALUES (1, 'uni', 'Uni', 'o', 'u', 'now');
      INSERT INTO sync_runs (id, tenant_id, command, os_user, pid, options, status, started_at, counts, error)
        VALUES (7, 1, 'sync daily', 'ana', 42, '{}', 'partial', '2026-01-01', '{"failed":1}', NULL);
      INSERT INTO plan_items (run_id, seq, action, link_id, course_id, item_id, status, message)
        VALUES (7, 1, 'post', 1, 'c1', 'i1', 'failed', 'not enrolled');
    `);
    migrateTo(db, 7);
    expect(db.prepare("SELECT id, status, counts, phase FROM sync_runs").all()).toEqual([
      { id: 7, status: "partial", counts: '{"failed":1}', phase: null },
    ]);
    expect(db.prepare("SELECT run_id, message, status_code FROM plan_items").all()).toEqual([
      { run_id: 7, message: "not enrolled", status_code: null },
    ]);
    db.prepare("UPDATE sync_runs SET status = 'abandoned', phase = 'post' WHERE id = 7").run();
    expect(() => db.prepare("UPDATE sync_runs SET phase = 'nap' WHERE id = 7").run()).toThrow(/CHECK/);
    // The plan items still belong to their run.
    db.prepare("DELETE FROM sync_runs WHERE id = 7").run();
    expect(db.prepare("SELECT count(*) AS n FROM plan_items").get()).toEqual({ n: 0 });
    expect(db.pragma("foreign_key_check")).toEqual([]);
  });
});
