/**
 * Many small writes gathered into large ones. A dry run of a million grades is a million
 * lines; one `write()` each cost more than planning them (a syscall per line on a pipe).
 * Text is kept until CHUNK characters have gathered, then written in one call; `flush`
 * writes the rest. Back-pressure is respected: when the stream's buffer is full, the write
 * returns a promise of its `drain`, so memory stays near one chunk whatever the reader's
 * speed (a pipe to a slow reader buffered 300 MB before: process.stdout is asynchronous there).
 */
import { once } from "node:events";
import type { Writable } from "node:stream";

const CHUNK = 64 * 1024;

export interface ChunkedWriter {
  /** Undefined, or a promise to await before writing more (the stream asked to wait). */
  write(text: string): Promise<void> | undefined;
  flush(): Promise<void> | undefined;
}

export function chunkedWriter(stream: Writable, chunk = CHUNK): ChunkedWriter {
  let parts: string[] = [];
  let size = 0;
  const flush = () => {
    if (size === 0) return undefined;
    const ready = stream.write(parts.join(""));
    parts = [];
    size = 0;
    return ready ? undefined : once(stream, "drain").then(() => undefined);
  };
  return {
    write(text) {
      parts.push(text);
      size += text.length;
      return size >= chunk ? flush() : undefined;
    },
    flush,
  };
}
