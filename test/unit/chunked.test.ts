import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { chunkedWriter } from "../../src/cli/io/chunked.js";

/** A stream that takes a millisecond per write and holds 1 KB before asking the writer to wait. */
function slowSink() {
  const received: string[] = [];
  const slow = new Writable({
    highWaterMark: 1024,
    write(chunk, _encoding, done) {
      received.push(chunk.toString());
      setTimeout(done, 1);
    },
  });
  return { slow, received };
}

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

  it("writes bytes made elsewhere as they are, after the text before them, and waits when the stream is full", async () => {
    const { slow, received } = slowSink();
    const out = chunkedWriter(slow, 4096);
    const pieces: Array<string | Buffer> = [];
    for (let i = 0; i < 200; i++) pieces.push(`[${i}`, Buffer.from(`${"x".repeat(2000)}${i}]`));
    let waits = 0;
    for (const piece of pieces) {
      const wait = out.write(piece);
      if (wait) {
        waits += 1;
        await wait;
      }
      // Never more than one piece beyond the stream's own buffer.
      expect(slow.writableLength).toBeLessThanOrEqual(1024 + 2010);
    }
    await out.flush();
    expect(received.join("")).toBe(pieces.map((p) => p.toString()).join(""));
    expect(waits).toBeGreaterThan(0);
  });

  it("respects back-pressure: a full stream makes the writer wait for its drain, and nothing is lost", async () => {
    const { slow, received } = slowSink();
    const out = chunkedWriter(slow, 4096);
    const lines = Array.from({ length: 5000 }, (_, i) => `entry ${i}\n`);
    let waits = 0;
    let mostBuffered = 0;
    for (const line of lines) {
      const wait = out.write(line);
      mostBuffered = Math.max(mostBuffered, slow.writableLength);
      if (wait) {
        waits += 1;
        await wait;
      }
    }
    await out.flush();
    await new Promise<void>((resolve) => slow.end(resolve));
    expect(received.join("")).toBe(lines.join(""));
    expect(waits).toBeGreaterThan(0);
    // Never more than one chunk waits in the stream: the writer does not run ahead of the reader.
    expect(mostBuffered).toBeLessThan(2 * 4096);
  });
});
