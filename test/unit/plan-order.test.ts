import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { type PlanOrder, planDigestChunks, planRowsListed } from "../../src/store/plan.js";

type Row = [
  decision: string,
  reason: string | null,
  linkId: number | null,
  itemId: string,
  externalId: string,
  lmsUserId: string | null,
  scoreGiven: number | null,
  previousScore: number | null,
];

const COLUMNS =
  "decision, reason, linkId, contextId, programId, courseId, itemId, externalId, lmsUserId, columnUrl, scoreGiven, scoreMaximum, comment, commentChanged, previousScore, lastSentMs";

/**
 * A temp.plan table as buildPlan lays it down in `order`: "posting" (PLAN_ORDER: posts first,
 * by column, then LMS user) or "listing" (grades of no link first, then column by column by
 * external id, posts and skips together).
 */
function planTable(rows: Row[], order: PlanOrder) {
  const db = new Database(":memory:");
  db.exec(`CREATE TEMP TABLE source (decision TEXT, reason TEXT, linkId INTEGER, itemId TEXT, externalId TEXT,
      lmsUserId TEXT, scoreGiven REAL, previousScore REAL)`);
  const insert = db.prepare("INSERT INTO source VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (const row of rows) insert.run(...row);
  const select = `SELECT decision, reason, linkId, 'ctx', 'p1', CASE WHEN linkId IS NULL THEN 'c9' ELSE 'c1' END, itemId,
    externalId, lmsUserId, CASE WHEN linkId IS NOT NULL THEN 'https://lms/col-' || linkId || '?"q"' END, scoreGiven, 100,
    CASE WHEN itemId = '' THEN 'Completed on Coursera on 2026-12-01' END, 1, previousScore, NULL FROM source`;
  db.exec(`CREATE TEMP TABLE plan (${COLUMNS})`);
  if (order === "posting") {
    db.exec(
      `INSERT INTO temp.plan ${select} ORDER BY decision = 'skip', linkId, itemId, lmsUserId, externalId`,
    );
    return db;
  }
  db.exec(`INSERT INTO temp.plan ${select} WHERE linkId IS NULL ORDER BY itemId, externalId`);
  const columns = db
    .prepare("SELECT DISTINCT linkId, itemId FROM source WHERE linkId IS NOT NULL ORDER BY linkId, itemId")
    .raw(true)
    .all() as Array<[number, string]>;
  for (const [linkId, itemId] of columns)
    db.prepare(`INSERT INTO temp.plan ${select} WHERE linkId = ? AND itemId = ? ORDER BY externalId`).run(
      linkId,
      itemId,
    );
  return db;
}

const learners = ["b@x", "a@x", "\u{1F600}z@x", "\uFF21z@x", "é@x", "c@x", "aa@x", "A@x"];
const scores = [
  0.1,
  77.7,
  2 / 3,
  1 / 3,
  0.8333333333333334,
  100,
  0,
  -0.5,
  1e-5,
  33.333333333333336,
  99.99,
  1e21,
  5e-324,
];

function rows(): Row[] {
  const out: Row[] = [];
  learners.forEach((externalId, i) => {
    // LMS user ids in another order than the external ids, as in any LMS.
    const sub = `user-${(i * 5) % learners.length}`;
    const score = scores[i % scores.length]!;
    for (const link of [2, 1])
      out.push([
        i % 3 ? "new" : "changed",
        null,
        link,
        `item-${link}`,
        externalId,
        sub,
        score,
        i % 3 ? null : scores[(i + 4) % scores.length]!,
      ]);
    out.push(["resend", null, 3, "", externalId, sub, scores[(i + 7) % scores.length]!, null]);
    out.push(["skip", "never-launched-link", 1, "item-1", `s${externalId}`, null, 12.5, null]);
    out.push(["skip", "no-connected-link", null, "item-9", externalId, null, null, null]);
    out.push(["skip", "no-grade", 3, "", `t${externalId}`, null, null, null]);
  });
  return out;
}

const digest = (db: Database.Database, order: PlanOrder) => {
  const hash = createHash("sha256");
  for (const chunk of planDigestChunks(db, order)) hash.update(chunk);
  return hash.digest("hex");
};

describe("the plan in listing order", () => {
  it("lists posts, then skips, column by column and then by external id, in SQLite's order beyond U+FFFF too", () => {
    const db = planTable(rows(), "listing");
    const listed = [...planRowsListed(db)];
    const expected = db
      .prepare(
        `SELECT decision, reason, linkId, programId, courseId, itemId, externalId, lmsUserId, columnUrl, scoreGiven,
          scoreMaximum, previousScore, comment FROM temp.plan ORDER BY decision = 'skip', linkId IS NOT NULL, linkId, itemId, externalId`,
      )
      .raw(true)
      .all();
    expect(listed).toEqual(expected);
    // The emoji learner sorts after the fullwidth A, as UTF-8 bytes do.
    const firstColumn = listed.filter((r) => r[2] === 1 && r[0] !== "skip").map((r) => r[6]);
    expect(firstColumn.indexOf("\u{1F600}z@x")).toBeGreaterThan(firstColumn.indexOf("\uFF21z@x"));
    db.close();
  });

  it("hashes the posts in one order whichever order the plan was built in", () => {
    const posting = planTable(rows(), "posting");
    const listing = planTable(rows(), "listing");
    expect(digest(posting, "posting")).toBe(digest(listing, "listing"));
    // …and that order is by column, then external id (not the posting order's LMS user).
    const lines = Buffer.concat([...planDigestChunks(listing, "listing")].map((c) => Buffer.from(c)))
      .toString()
      .split("\n");
    const ids = lines.filter((l) => l.split("\u001f")[1] === "1").map((l) => l.split("\u001f")[5]);
    expect(ids).toEqual(
      listing
        .prepare(
          "SELECT externalId FROM temp.plan WHERE linkId = 1 AND decision != 'skip' ORDER BY externalId",
        )
        .pluck()
        .all(),
    );
    // A different plan hashes differently.
    const changed = planTable(
      rows().map((r) =>
        r[4] === "a@x" && r[0] !== "skip" ? [r[0], r[1], r[2], r[3], r[4], r[5], 1, r[7]] : r,
      ),
      "posting",
    );
    expect(digest(changed, "posting")).not.toBe(digest(posting, "posting"));
    for (const db of [posting, listing, changed]) db.close();
  });

  it("hashes a column of many posts, held whole or read line by line, as one stream", () => {
    const many: Row[] = [];
    // Item 2's column is hashed whole; item 1's, past store/plan.ts WHOLE_COLUMN, line by line.
    for (let i = 0; i < 110_000; i++) {
      const [link, item] = i < 9000 ? [2, "item-2"] : [1, "item-1"];
      many.push(["new", null, link, item, `l${(i * 7919) % 110_000}@x`, `u${i}`, i / 7, null]);
    }
    const posting = planTable(many, "posting");
    const listing = planTable(many, "listing");
    expect(digest(posting, "posting")).toBe(digest(listing, "listing"));
    posting.close();
    listing.close();
  });

  it("lists an empty plan as nothing", () => {
    const db = planTable([], "listing");
    expect([...planRowsListed(db)]).toEqual([]);
    expect(digest(db, "listing")).toBe(digest(planTable([], "posting"), "posting"));
    db.close();
  });
});
