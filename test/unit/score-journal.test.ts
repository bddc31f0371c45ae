import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LedgerWriter } from "../../src/core/sync/ledger-writer.js";
import { type Db, openState } from "../../src/store/db.js";
import { type AckedScore, mergeAcks, recordAcks } from "../../src/store/sync.js";

const COLUMN = "https://lms.example/lineitems/1";
let dir: string;
let db: Db;
let runId: number;

const ack = (over: Partial<AckedScore>): AckedScore => ({
  columnUrl: COLUMN,
  lmsUserId: "u1",
  kind: "new",
  scoreGiven: 80,
  scoreMaximum: 100,
  comment: null,
  sentAtMs: 1000,
  outcome: "accepted",
  message: null,
  ...over,
});

function ledger() {
  return db
    .prepare(
      `SELECT column_url AS columnUrl, lms_user_id AS user, tenant_id AS tenantId, score_given AS score,
         sent_at_ms AS sentAtMs, outcome, run_id AS runId FROM score_ledger ORDER BY column_url, lms_user_id`,
    )
    .all();
}

const journalRows = () => db.prepare("SELECT count(*) FROM score_acks").pluck().get();

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
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the score ledger's journal", () => {
  it("holds acknowledged scores until they are folded into the ledger, then empties", () => {
    recordAcks(
      db,
      runId,
      [ack({}), ack({ lmsUserId: "u2", columnUrl: `${COLUMN}9`, outcome: "stale", message: "newer" })],
      "2026-11-27T00:00:00.000Z",
    );
    expect(ledger()).toEqual([]);
    expect(journalRows()).toBe(2);
    expect(mergeAcks(db)).toBe(2);
    expect(ledger()).toEqual([
      { columnUrl: COLUMN, user: "u1", tenantId: 1, score: 80, sentAtMs: 1000, outcome: "accepted", runId },
      {
        columnUrl: `${COLUMN}9`,
        user: "u2",
        tenantId: 1,
        score: 80,
        sentAtMs: 1000,
        outcome: "stale",
        runId,
      },
    ]);
    expect(journalRows()).toBe(0);
    expect(mergeAcks(db)).toBe(0);
  });

  it("keeps the latest acknowledgement per column and learner, and never moves a timestamp back", () => {
    recordAcks(db, runId, [ack({ sentAtMs: 5000 })], "a");
    mergeAcks(db);
    recordAcks(
      db,
      runId,
      [ack({ scoreGiven: 85, sentAtMs: 4000 }), ack({ scoreGiven: 90, sentAtMs: 4500 })],
      "b",
    );
    mergeAcks(db);
    expect(ledger()).toEqual([
      { columnUrl: COLUMN, user: "u1", tenantId: 1, score: 90, sentAtMs: 5000, outcome: "accepted", runId },
    ]);
  });

  it("writes nothing when a batch fails: the journal and the ledger stay as they were", () => {
    // The second acknowledgement breaks a constraint: the first one rolls back with it.
    const broken = ack({ lmsUserId: null as unknown as string });
    expect(() => recordAcks(db, runId, [ack({}), broken], "now")).toThrow(/NOT NULL constraint/);
    expect(db.inTransaction).toBe(false);
    expect(journalRows()).toBe(0);
    expect(mergeAcks(db)).toBe(0);
    expect(ledger()).toEqual([]);
  });

  it("commits a batch longer than one INSERT whole, or not at all", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ack({ lmsUserId: `u${i}` }));
    const broken = [...many(39), ack({ lmsUserId: null as unknown as string })];
    expect(() => recordAcks(db, runId, broken, "now")).toThrow(/NOT NULL constraint/);
    expect(db.inTransaction).toBe(false);
    expect(journalRows()).toBe(0);
    recordAcks(db, runId, many(70), "now");
    expect(journalRows()).toBe(70);
    expect(mergeAcks(db)).toBe(70);
    expect(ledger()).toHaveLength(70);
  });
});

describe("the ledger writer's group commit", () => {
  const at = () => "2026-11-28T00:00:00.000Z";

  it("resolves an acknowledgement only once it is committed, with those of the same turn in one commit", async () => {
    const writer = new LedgerWriter(db, runId, at);
    const seenAtFirst: unknown[] = [];
    const first = writer.record(ack({ lmsUserId: "u1" })).then(() => seenAtFirst.push(journalRows()));
    const rest = [writer.record(ack({ lmsUserId: "u2" })), writer.record(ack({ lmsUserId: "u3" }))];
    // Nothing is written while the turn that brought the acknowledgements is still running.
    expect(journalRows()).toBe(0);
    await Promise.all([first, ...rest]);
    expect(seenAtFirst).toEqual([3]);
    // A later turn commits on its own.
    await writer.record(ack({ lmsUserId: "u4" }));
    expect(journalRows()).toBe(4);
  });

  it("rejects every acknowledgement of a commit that failed, writes none of them, and goes on", async () => {
    const writer = new LedgerWriter(db, runId, at);
    const batch = [
      writer.record(ack({ lmsUserId: "u1" })),
      writer.record(ack({ lmsUserId: "u2", scoreMaximum: null as unknown as number })),
    ];
    const outcomes = await Promise.allSettled(batch);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/NOT NULL/);
    expect(journalRows()).toBe(0);
    await writer.record(ack({ lmsUserId: "u3" }));
    expect(journalRows()).toBe(1);
  });
});
