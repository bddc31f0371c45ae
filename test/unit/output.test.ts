import { describe, expect, it } from "vitest";
import { fitWidths } from "../../src/cli/io/output.js";

describe("tables fit the terminal", () => {
  it("leave a table that fits alone, and shrink the widest columns of one that does not", () => {
    expect(fitWidths([10, 20, 30], 100)).toBeUndefined();
    expect(fitWidths([10, 20, 30], 0)).toBeUndefined();
    const widths = fitWidths([10, 20, 200], 80)!;
    expect(widths.reduce((a, b) => a + b, 0) + widths.length + 1).toBeLessThanOrEqual(80);
    expect(widths.slice(0, 2)).toEqual([10, 20]);
  });

  it("never shrink a column below 8 characters", () => {
    expect(Math.min(...fitWidths([50, 50, 50, 50], 20)!)).toBe(8);
  });
});
