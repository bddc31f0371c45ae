/**
 * Many small writes gathered into large ones. A dry run of a million grades is a million
 * lines; one `write()` each cost more than planning them (a syscall per line on a pipe).
 * Text is kept until CHUNK characters have gathered, then written in one call; `flush`
 * writes the rest. Back-pressure is respected: when the stream's buffer is full, the write
 * returns a promise of its `drain`, so memory stays near one chunk whatever the reader's
 * speed (a pipe to a slow reader buffered 300 MB before: process.stdout is asynchronous there).
 */
import type { Writable } from "node:stream";

const CHUNK = 64 * 1024;

export interface ChunkedWriter {
  /**
   * Undefined, or a promise to await before writing more (the stream asked to wait). Bytes
   * (a chunk already made elsewhere, large) go out as they are, after the text before them.
   */
  write(text: string | Buffer): Promise<void> | undefined;
  flush(): Promise<void> | undefined;
}

export function chunkedWriter(stream: Writable, chunk = CHUNK): ChunkedWriter {
  let parts: string[] = [];
  let size = 0;
  const flush = () => {
    if (size === 0) return undefined;
    const text = parts.join("");
    parts = [];
    size = 0;
    // The reader went away (`| head -1`): what is left is dropped, as closed-pipe.ts says.
    if (stream.destroyed) return undefined;
    return stream.write(text) ? undefined : drained(stream);
  };
  return {
    write(text) {
      if (typeof text !== "string") {
        const put = () => (stream.destroyed || stream.write(text) ? undefined : drained(stream));
        const before = flush();
        return before ? before.then(put) : put();
      }
      parts.push(text);
      size += text.length;
      return size >= chunk ? flush() : undefined;
    },
    flush,
  };
}

/**
 * The stream's drain, or its end: a pipe whose reader closed never drains, it fails (EPIPE,
 * handled where the stream is made) and closes, and the writer must not wait for ever.
 */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      stream.off("error", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
    stream.on("error", done);
  });
}

/** Writes every line through a chunked writer, waiting whenever the stream asks to. */
export async function writeLines(stream: Writable, lines: Iterable<string | Buffer>): Promise<void> {
  const out = chunkedWriter(stream);
  for (const text of lines) {
    const wait = out.write(text);
    if (wait) await wait;
  }
  await out.flush();
}
