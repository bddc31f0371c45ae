import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { chunkedWriter } from "../../src/cli/io/chunked.js";

function sink() {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { stream, writes };
}

describe("chunked output", () => {
  it("gathers small writes into few large ones and loses nothing", () => {
    const { stream, writes } = sink();
    const out = chunkedWriter(stream, 1000);
    const lines = Array.from({ length: 10_000 }, (_, i) => `line ${i}\n`);
    for (const line of lines) out.write(line);
    out.flush();
    expect(writes.join("")).toBe(lines.join(""));
    expect(writes.length).toBeLessThan(100);
    expect(writes.slice(0, -1).every((w) => w.length >= 1000)).toBe(true);
  });

  it("flush writes what is left, and nothing when nothing is", () => {
    const { stream, writes } = sink();
    const out = chunkedWriter(stream);
    out.flush();
    expect(writes).toEqual([]);
    out.write("{}");
    expect(writes).toEqual([]);
    out.flush();
    expect(writes).toEqual(["{}"]);
  });
});
