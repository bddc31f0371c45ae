/**
 * Many small writes gathered into large ones. A dry run of a million grades is a million
 * lines; one `write()` each cost more than planning them (a syscall per line on a pipe).
 * Text is kept until CHUNK characters have gathered, then written in one call; `flush`
 * writes the rest. process.stdout is synchronous for pipes and files on Linux, so memory
 * stays at one chunk whatever the reader's speed.
 */
import type { Writable } from "node:stream";

const CHUNK = 64 * 1024;

export interface ChunkedWriter {
  write(text: string): void;
  flush(): void;
}

export function chunkedWriter(stream: Writable, chunk = CHUNK): ChunkedWriter {
  let parts: string[] = [];
  let size = 0;
  const flush = () => {
    if (size === 0) return;
    stream.write(parts.join(""));
    parts = [];
    size = 0;
  };
  return {
    write(text) {
      parts.push(text);
      size += text.length;
      if (size >= chunk) flush();
    },
    flush,
  };
}
