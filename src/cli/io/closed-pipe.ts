/**
 * A reader that stops early (`gg4l learners list | head -1`) closes the pipe, and the next
 * write fails with EPIPE. That is the reader's choice, not gg4l's failure: from then on what
 * goes to that stream is dropped, the command runs to its end (a live sync records its true
 * outcome), and a read exits 0 without a word.
 */
import type { Writable } from "node:stream";

const CLOSED = new Set(["EPIPE", "ERR_STREAM_DESTROYED"]);

export function tolerateClosedPipe<S extends Writable>(stream: S): S {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (CLOSED.has(error.code ?? "")) return;
    // Any other stream failure stays as loud as before.
    throw error;
  });
  return stream;
}
