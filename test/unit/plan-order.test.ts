import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { planRowsByLearner, planRowsInPlanOrder } from "../../src/store/plan.js";

/**
 * A temp.plan table laid down as buildPlan lays it (PLAN_ORDER: posts first, by column, then
 * LMS user), and the order --json/--verbose list it in: SQLite's own ORDER BY by column, then
 * external id. planRowsByLearner must give exactly that without sorting the whole table.
 */
function planTable(rows: Array<[string, string | null, number | null, string, string, string | null]>) {
  const db = new Database(":memory:");
  db.exec(`CREATE TEMP TABLE source (decision, reason, linkId, itemId, externalId, lmsUserId)`);
  const insert = db.prepare("INSERT INTO source VALUES (?, ?, ?, ?, ?, ?)");
  for (const row of rows) insert.run(...row);
  db.exec(`CREATE TEMP TABLE plan AS SELECT decision, reason, linkId, 'p1' AS programId, 'c1' AS courseId, itemId,
    externalId, lmsUserId, 'col-' || linkId AS columnUrl, 50.5 AS scoreGiven, 100 AS scoreMaximum, NULL AS previousScore,
    NULL AS comment FROM source ORDER BY decision = 'skip', linkId, itemId, lmsUserId, externalId`);
  return db;
}

const expected = (db: Database.Database) =>
  db
    .prepare(
      `SELECT decision, reason, linkId, programId, courseId, itemId, externalId, lmsUserId, columnUrl, scoreGiven,
        scoreMaximum, previousScore, comment FROM temp.plan ORDER BY decision = 'skip', linkId, itemId, externalId`,
    )
    .raw(true)
    .all();

describe("the plan listed by learner", () => {
  it("is SQLite's order by column then external id, beyond U+FFFF too, with skips of no link last", () => {
    const learners = ["b@x", "a@x", "\u{1F600}z@x", "\uFF21z@x", "é@x", "c@x", "aa@x", "A@x"];
    const rows: Array<[string, string | null, number | null, string, string, string | null]> = [];
    learners.forEach((externalId, i) => {
      // LMS user ids in another order than the external ids, as in any LMS.
      const sub = `user-${(i * 5) % learners.length}`;
      for (const link of [2, 1]) rows.push(["new", null, link, `item-${link}`, externalId, sub]);
      rows.push(["changed", null, 3, "item-3", externalId, sub]);
      rows.push(["skip", "never-launched-link", 1, "item-1", `s${externalId}`, null]);
      rows.push(["skip", "no-connected-link", null, "item-9", externalId, null]);
      rows.push(["skip", "no-connected-link", null, "", externalId, null]);
    });
    const db = planTable(rows);
    const listed = [...planRowsByLearner(db)];
    expect(listed).toEqual(expected(db));
    expect(listed).toHaveLength(rows.length);
    // The emoji learner sorts after the fullwidth A, as UTF-8 bytes do.
    const firstColumn = listed.filter((r) => r[2] === 1 && r[0] !== "skip").map((r) => r[6]);
    expect(firstColumn.indexOf("\u{1F600}z@x")).toBeGreaterThan(firstColumn.indexOf("\uFF21z@x"));
    db.close();
  });

  it("keeps the plan's own order for a saved plan, and lists an empty plan as nothing", () => {
    const db = planTable([
      ["new", null, 1, "i", "b@x", "u1"],
      ["new", null, 1, "i", "a@x", "u2"],
    ]);
    expect([...planRowsInPlanOrder(db)].map((r) => r[6])).toEqual(["b@x", "a@x"]);
    expect([...planRowsByLearner(db)].map((r) => r[6])).toEqual(["a@x", "b@x"]);
    db.exec("DELETE FROM temp.plan");
    expect([...planRowsByLearner(db)]).toEqual([]);
    db.close();
  });

  it("holds one column at a time: a plan of many rows in one column lists in order", () => {
    const rows: Array<[string, string | null, number | null, string, string, string | null]> = [];
    for (let i = 0; i < 5000; i++) rows.push(["new", null, 1, "i", `l${(i * 7919) % 5000}@x`, `u${i}`]);
    const db = planTable(rows);
    expect([...planRowsByLearner(db)]).toEqual(expected(db));
    db.close();
  });
});
