import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, openState } from "../../src/store/db.js";
import { itemStatusCounts, mergeAcks, recordAcks } from "../../src/store/sync.js";

const COLUMN = "https://lms.example/lineitems/1";
let dir: string;
let db: Db;
let runId: number;

function ledger() {
  return db
    .prepare(
      "SELECT column_url AS columnUrl, lms_user_id AS user, score_given AS score, sent_at_ms AS sentAtMs, outcome, run_id AS runId FROM score_ledger ORDER BY lms_user_id",
    )
    .all();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gg4l-journal-"));
  db = openState(join(dir, "state.db"), { create: true }).db;
  db.prepare(
    "INSERT INTO tenants (slug, name, coursera_org, coursera_url, created_at) VALUES ('t', 'T', 'org', 'https://c', 'now')",
  ).run();
  runId = Number(
    db
      .prepare(
        "INSERT INTO sync_runs (tenant_id, command, os_user, pid, options, status, started_at) VALUES (1, 'sync grades', 'u', 1, '{}', 'running', 'now')",
      )
      .run().lastInsertRowid,
  );
  const item = db.prepare(
    `INSERT INTO plan_items (run_id, seq, action, kind, link_id, course_id, item_id, lms_user_id, column_url, score_given, score_maximum)
     VALUES (?, ?, 'post', 'new', 1, 'c1', 'i1', ?, ?, ?, 100)`,
  );
  item.run(runId, 1, "u1", COLUMN, 80);
  item.run(runId, 2, "u2", COLUMN, 90);
  // A column created during the run: the plan item does not name it, the acknowledgement does.
  item.run(runId, 3, "u3", null, 70);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the score ledger's journal", () => {
  it("folds acknowledgements into the ledger and ends their plan items; unacknowledged items stay pending", () => {
    recordAcks(
      db,
      [
        { runId, seq: 1, columnUrl: null, sentAtMs: 1000, outcome: "accepted", message: null },
        {
          runId,
          seq: 3,
          columnUrl: "https://lms.example/lineitems/9",
          sentAtMs: 1000,
          outcome: "stale",
          message: "newer",
        },
      ],
      "2026-11-27T00:00:00.000Z",
    );
    expect(ledger()).toEqual([]);
    expect(mergeAcks(db)).toBe(2);
    expect(ledger()).toEqual([
      { columnUrl: COLUMN, user: "u1", score: 80, sentAtMs: 1000, outcome: "accepted", runId },
      {
        columnUrl: "https://lms.example/lineitems/9",
        user: "u3",
        score: 70,
        sentAtMs: 1000,
        outcome: "stale",
        runId,
      },
    ]);
    expect(itemStatusCounts(db, runId)).toEqual({ "post:done": 1, "post:pending": 1, "post:stale": 1 });
    expect(db.prepare("SELECT count(*) FROM score_acks").pluck().get()).toBe(0);
    expect(mergeAcks(db)).toBe(0);
  });

  it("keeps the latest acknowledgement per column and learner, and never moves a timestamp back", () => {
    recordAcks(
      db,
      [{ runId, seq: 1, columnUrl: null, sentAtMs: 5000, outcome: "accepted", message: null }],
      "a",
    );
    mergeAcks(db);
    db.prepare("UPDATE plan_items SET score_given = 85 WHERE run_id = ? AND seq = 1").run(runId);
    recordAcks(
      db,
      [{ runId, seq: 1, columnUrl: null, sentAtMs: 4000, outcome: "accepted", message: null }],
      "b",
    );
    mergeAcks(db);
    expect(ledger()).toEqual([
      { columnUrl: COLUMN, user: "u1", score: 85, sentAtMs: 5000, outcome: "accepted", runId },
    ]);
  });

  it("writes nothing when a batch fails: the journal and the ledger stay as they were", () => {
    expect(() =>
      recordAcks(
        db,
        [
          { runId, seq: 1, columnUrl: null, sentAtMs: 1, outcome: "accepted", message: null },
          // A run that does not exist breaks the foreign key: the whole batch rolls back.
          { runId: runId + 1, seq: 2, columnUrl: null, sentAtMs: 1, outcome: "accepted", message: null },
        ],
        "now",
      ),
    ).toThrow(/FOREIGN KEY/);
    expect(db.inTransaction).toBe(false);
    expect(db.prepare("SELECT count(*) FROM score_acks").pluck().get()).toBe(0);
    expect(mergeAcks(db)).toBe(0);
  });
});
