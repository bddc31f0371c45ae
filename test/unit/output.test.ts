import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { fitWidths, Output } from "../../src/cli/io/output.js";
import { plainStyle } from "../../src/cli/io/style.js";

describe("tables fit the terminal", () => {
  it("leave a table that fits alone, and shrink the widest columns of one that does not", () => {
    expect(fitWidths([10, 20, 30], 100)).toBeUndefined();
    expect(fitWidths([10, 20, 30], 0)).toBeUndefined();
    const widths = fitWidths([10, 20, 200], 80)!;
    expect(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)).toBeLessThanOrEqual(80);
    expect(widths.slice(0, 2)).toEqual([10, 20]);
  });

  it("never shrink the first column: it identifies the row", () => {
    const widths = fitWidths([200, 20, 30], 80)!;
    expect(widths[0]).toBe(200);
    expect(widths.slice(1)).toEqual([8, 8]);
  });

  it("never shrink a column below 8 characters", () => {
    expect(Math.min(...fitWidths([50, 50, 50, 50], 20)!.slice(1))).toBe(8);
  });
});

describe("tables on a terminal", () => {
  async function draw(
    columns: number,
    rows: Array<{ id: string; note: string; why: string }>,
  ): Promise<string[]> {
    let text = "";
    const sink = new Writable({
      write(chunk, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const io = {
      stdin: Readable.from([]),
      stdout: sink,
      stderr: sink,
      stdinTTY: true,
      stdoutTTY: true,
      stderrTTY: true,
      columns,
    };
    await new Output(io, { json: false, style: plainStyle }).table(
      [
        { header: "ID", value: (r: (typeof rows)[number]) => r.id },
        { header: "STATUS", value: () => "pass" },
        { header: "NOTE", value: (r) => r.note },
        { header: "WHY", value: (r) => r.why, wrap: true },
      ],
      rows,
      "none",
    );
    return text.replace(/\n$/, "").split("\n");
  }

  it("a header and aligned columns, no rule between rows, no column padded past its widest value", async () => {
    const lines = await draw(120, [
      { id: "a", note: "short", why: "because" },
      { id: "longer-id", note: "a bit longer", why: "x" },
    ]);
    expect(lines).toEqual([
      "ID         STATUS  NOTE          WHY",
      "a          pass    short         because",
      "longer-id  pass    a bit longer  x",
    ]);
  });

  it("too wide: cut with an ellipsis, never the first column; prose columns wrap, rows then set apart by a blank line", async () => {
    const id = "an-identifier-that-must-stay-whole";
    const lines = await draw(70, [
      { id, note: "n".repeat(60), why: "word ".repeat(12).trim() },
      { id: "b", note: "ok", why: "short" },
    ]);
    expect(lines[1]!.startsWith(id)).toBe(true);
    expect(lines.every((line) => line.length <= 70 || line.startsWith(id))).toBe(true);
    expect(lines[1]).toMatch(/n…/);
    expect(lines.filter((line) => line.includes("word")).length).toBeGreaterThan(1);
    expect(lines.join(" ").match(/word/g)).toHaveLength(12);
    expect(lines).toContain("");
    expect(lines.join("\n")).not.toMatch(/[│─┌┼]/);
  });
});
