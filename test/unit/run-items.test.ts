/**
 * The rows `sync show` reads a page at a time (issue 21): every row comes back once across page
 * boundaries, a run's posts survive a later run posting the same score again, and the unchanged
 * rows are the ledger's earlier scores minus what the run failed.
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrations } from "../../src/store/migrations.js";
import { failedRunItems, postedItems, unchangedItems } from "../../src/store/run-items.js";
import { type AckedScore, mergeAcks, recordAcks } from "../../src/store/sync.js";

const COLUMN = "https://lms.example.edu/lineitems/1";

function state(): Database.Database {
  const db = new Database(":memory:");
  db.pragma("foreign_keys = ON");
  for (const m of migrations) db.exec(m);
  db.exec(`
    INSERT INTO tenants (id, slug, name, coursera_org, coursera_url, created_at) VALUES (1, 'uni', 'Uni', 'o', 'u', 'now');
    INSERT INTO lms_registrations (id, tenant_id, kind, issuer, client_id, deployment_id, auth_url, token_url, jwks_url,
      grade_sync, created_at, updated_at) VALUES (1, 1, 'moodle', 'https://lms', 'c', 'd', 'a', 't', 'j', 'assignment', 'now', 'now');
    INSERT INTO courses (tenant_id, course_id, name, refreshed_at) VALUES (1, 'c1', 'Data Science 101', 'now');
    INSERT INTO items (tenant_id, course_id, item_id, name) VALUES (1, 'c1', 'i1', 'Quiz 2');
    INSERT INTO links (id, registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, lineitem_url,
      created_at, course_id, item_id) VALUES (1, 1, 'ctx', 'rl', 'item', 'i1', 'assignment', '${COLUMN}', 'now', 'c1', 'i1');
  `);
  const learner = db.prepare(
    "INSERT INTO learners (tenant_id, external_id, email, full_name, first_seen_at) VALUES (1, ?, ?, ?, 'now')",
  );
  const user = db.prepare(
    "INSERT INTO lms_users (registration_id, sub, external_id, email, source, first_seen_at) VALUES (1, ?, ?, ?, 'launch', 'now')",
  );
  for (let i = 0; i < 7; i++) {
    learner.run(`l${i}@uni.edu`, `l${i}@uni.edu`, `Learner ${i}`);
    user.run(`sub-${i}`, `l${i}@uni.edu`, `l${i}@uni.edu`);
  }
  return db;
}

const run = (db: Database.Database, id: number) =>
  db
    .prepare(
      "INSERT INTO sync_runs (id, tenant_id, command, os_user, pid, options, status, started_at) VALUES (?, 1, 'sync daily', 'u', 1, '{}', 'ok', 'now')",
    )
    .run(id);

const ack = (learner: number, score: number): AckedScore => ({
  columnUrl: COLUMN,
  lmsUserId: `sub-${learner}`,
  kind: "new",
  scoreGiven: score,
  scoreMaximum: 100,
  comment: null,
  sentAtMs: 1,
  outcome: "accepted",
  message: null,
});

describe("a run's rows, a page at a time", () => {
  it("posted, unchanged and failed rows come back whole across pages of 2, with names", () => {
    const db = state();
    run(db, 1);
    recordAcks(
      db,
      1,
      [0, 1, 2, 3, 4].map((l) => ack(l, 50 + l)),
      "now",
    );
    mergeAcks(db);
    run(db, 2);
    // Run 2 posts learner 0 again and learner 5 anew; learner 1's changed score fails.
    recordAcks(db, 2, [{ ...ack(0, 90), kind: "changed" }, ack(5, 70)], "now");
    mergeAcks(db);
    db.prepare(
      `INSERT INTO plan_items (run_id, seq, action, kind, link_id, course_id, item_id, external_id, lms_user_id, column_url,
         score_given, score_maximum, status, message, status_code)
       VALUES (2, 1, 'post', 'changed', 1, 'c1', 'i1', 'l1@uni.edu', 'sub-1', ?, 80, 100, 'failed', 'not enrolled', 403)`,
    ).run(COLUMN);

    const first = [...postedItems(db, { id: 1, tenantId: 1 }, 2)];
    expect(first.map((r) => [r.externalId, r.scoreGiven])).toEqual([
      ["l0@uni.edu", 50],
      ["l1@uni.edu", 51],
      ["l2@uni.edu", 52],
      ["l3@uni.edu", 53],
      ["l4@uni.edu", 54],
    ]);
    expect(first[0]).toMatchObject({
      status: "posted",
      email: "l0@uni.edu",
      learner: "Learner 0",
      course: "Data Science 101",
      column: "Quiz 2",
      itemId: "i1",
      columnUrl: COLUMN,
    });
    const second = { id: 2, tenantId: 1 };
    expect([...postedItems(db, second, 2)].map((r) => [r.externalId, r.kind, r.scoreGiven])).toEqual([
      ["l0@uni.edu", "changed", 90],
      ["l5@uni.edu", "new", 70],
    ]);
    // Learners 2, 3, 4: acknowledged by run 1 and not touched since; 1 failed, 0 was posted again.
    expect([...unchangedItems(db, second, {}, 2)].map((r) => [r.externalId, r.scoreGiven])).toEqual([
      ["l2@uni.edu", 52],
      ["l3@uni.edu", 53],
      ["l4@uni.edu", 54],
    ]);
    expect([...unchangedItems(db, second, { externalId: "l3@uni.edu" }, 2)]).toHaveLength(1);
    expect([...unchangedItems(db, second, { courseId: "other" }, 2)]).toHaveLength(0);
    db.prepare("UPDATE learners SET is_test = 1 WHERE external_id = 'l2@uni.edu'").run();
    expect([...unchangedItems(db, second, {}, 2)].map((r) => r.externalId)).toEqual([
      "l3@uni.edu",
      "l4@uni.edu",
    ]);
    expect([...failedRunItems(db, 2, 2)]).toEqual([
      expect.objectContaining({
        status: "failed",
        externalId: "l1@uni.edu",
        httpStatus: 403,
        message: "not enrolled",
      }),
    ]);
    // Deleting a run takes its rows with it.
    db.prepare("DELETE FROM sync_runs WHERE id = 1").run();
    expect([...postedItems(db, { id: 1, tenantId: 1 }, 2)]).toEqual([]);
    expect(db.pragma("foreign_key_check")).toEqual([]);
  });
});
