/** Recognising a damaged state file; free of better-sqlite3 so the CLI can load it eagerly. */
import { ConfigError } from "../base/errors.js";

export const moveAwayHint = (path: string) =>
  `pass the right file with --db or GG4L_DB, or move ${path} away and run \`gg4l init\` to start a new state`;

export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? "";
  return code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB");
}

export function corruptStateError(path: string, cause?: unknown): ConfigError {
  return new ConfigError(`the state file ${path} is corrupt (SQLite reports a malformed database)`, {
    hint: `restore it from a backup, or ${moveAwayHint(path)}`,
    cause,
  });
}
