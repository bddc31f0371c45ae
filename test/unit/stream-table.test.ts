import { describe, expect, it } from "vitest";
import { SAMPLE, type StreamColumn, streamTable } from "../../src/cli/io/stream-table.js";
import { plainStyle } from "../../src/cli/io/style.js";

interface Row {
  item: string;
  learner: string | null;
  why: string;
}
const columns: StreamColumn<Row>[] = [
  { header: "ITEM", value: (r) => r.item, whole: true },
  { header: "LEARNER", value: (r) => r.learner, whole: true },
  { header: "WHY", value: (r) => r.why },
];
const lines = (rows: Row[], terminal: boolean, width = 40) =>
  [...streamTable(columns, rows, { terminal, width, style: plainStyle })].join("").split("\n").slice(0, -1);

describe("a streamed table", () => {
  it("piped: tab-separated rows, no header, never cut, '-' for nothing, tabs in values escaped", () => {
    const why = "a reason much longer than any terminal line would hold, kept whole when piped";
    expect(
      lines(
        [
          { item: "c1/i1", learner: null, why },
          { item: "c\t2", learner: "ana", why: "x" },
        ],
        false,
      ),
    ).toEqual([`c1/i1\t-\t${why}`, "c\\t2\tana\tx"]);
  });

  it("on a terminal: a header, aligned columns, no rules; only the last column is cut, with an ellipsis", () => {
    const out = lines(
      [
        { item: "c1/i1", learner: "ana@uni.edu", why: "short" },
        {
          item: "c1/item-22",
          learner: "b",
          why: "the learner never launched this link and no-SSO sync is off",
        },
      ],
      true,
    );
    expect(out).toEqual([
      "ITEM        LEARNER      WHY",
      "c1/i1       ana@uni.edu  short",
      "c1/item-22  b            the learner ne…",
    ]);
    expect(out.every((l) => l.length <= 40)).toBe(true);
    expect(out.some((l) => /^[-─=\s]+$/.test(l))).toBe(false);
  });

  it("fixes the widths on the first rows: a later, longer identifying value is whole and moves only its own row", () => {
    const rows: Row[] = Array.from({ length: SAMPLE }, (_, i) => ({
      item: `c/${i % 10}`,
      learner: "ana",
      why: "ok",
    }));
    rows.push({
      item: "c/a-much-longer-item-name",
      learner: "someone-with-a-long-id@uni.edu",
      why: "why it is not sent",
    });
    rows.push({ item: "c/1", learner: "ben", why: "ok" });
    const out = lines(rows, true, 60);
    expect(out[0]).toBe("ITEM  LEARNER  WHY");
    expect(out.at(-2)).toBe("c/a-much-longer-item-name  someone-with-a-long-id@uni.edu  why it …");
    expect(out.at(-1)).toBe("c/1   ben      ok");
  });

  it("with no rows prints nothing, not even the header; with an unknown width cuts nothing", () => {
    expect(lines([], true)).toEqual([]);
    const why = "x".repeat(200);
    expect(lines([{ item: "i", learner: "l", why }], true, 0)[1]).toBe(`i     l        ${why}`);
  });
});
