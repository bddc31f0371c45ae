import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { COLUMN_LABEL_MAX, COLUMN_LABEL_SQL, columnLabel } from "../../src/store/plan.js";

const db = new Database(":memory:");
const sqlLabel = (course: string, item: string | null): string =>
  db
    .prepare(`SELECT ${COLUMN_LABEL_SQL} AS label FROM (SELECT ? AS course, ? AS item)`)
    .pluck()
    .get(course, item) as string;
const chars = (text: string) => Array.from(text).length;

describe("column labels", () => {
  const cases: Array<[string, string, string | null]> = [
    ["an item", "Data Science Basics", "Quiz 2: Applying the Basics"],
    ["the final grade", "Data Science Basics", null],
    ["a long course name", "C".repeat(300), "Quiz 2: Applying the Basics"],
    ["a long course name, final", "é".repeat(300), null],
    ["a long item name", "Statistics", "I".repeat(400)],
    ["exactly at the limit", "c".repeat(COLUMN_LABEL_MAX - 3 - 10), "i".repeat(10)],
    ["non-Latin names", "数据科学".repeat(40), "測驗 2：應用基礎".repeat(10)],
  ];

  it.each(cases)("%s: SQL and JavaScript agree, within the LMSs' 255 characters", (_what, course, item) => {
    const label = columnLabel(course, item);
    expect(sqlLabel(course, item)).toBe(label);
    expect(chars(label)).toBeLessThanOrEqual(COLUMN_LABEL_MAX);
  });

  it("names the course, then the item; shortens the course name first, the item's only when it alone does not fit", () => {
    expect(columnLabel("Data Science Basics", "Quiz 2: Applying the Basics")).toBe(
      "Data Science Basics — Quiz 2: Applying the Basics",
    );
    expect(columnLabel("Data Science Basics", null)).toBe("Data Science Basics (Coursera final grade)");
    const long = columnLabel("C".repeat(300), "Quiz 2");
    expect(long.endsWith("… — Quiz 2")).toBe(true);
    expect(chars(long)).toBe(COLUMN_LABEL_MAX);
    expect(chars(columnLabel("c".repeat(COLUMN_LABEL_MAX - 13), "i".repeat(10)))).toBe(COLUMN_LABEL_MAX);
    expect(columnLabel("c".repeat(COLUMN_LABEL_MAX - 13), "i".repeat(10))).not.toContain("…");
    expect(columnLabel("Statistics", "I".repeat(400))).toBe(`${"I".repeat(COLUMN_LABEL_MAX - 1)}…`);
    expect(columnLabel("é".repeat(300), null)).toMatch(/^é+… \(Coursera final grade\)$/);
  });
});
