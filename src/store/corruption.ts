/** Recognising a damaged state file; free of better-sqlite3 so the CLI can load it eagerly. */
import { statfsSync } from "node:fs";
import { ConfigError } from "../base/errors.js";

export const moveAwayHint = (path: string) =>
  `pass the right file with --db or GG4L_DB, or move ${path} away and run \`gg4l init\` to start a new state`;

export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? "";
  return code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB");
}

/** How to get a usable state back; `gg4l doctor` shows it as the database row's fix. */
export function repairSteps(path: string): string {
  return (
    `move the file aside (\`mv ${path} ${path}.corrupt\`), salvage what SQLite can still read with ` +
    `\`sqlite3 ${path}.corrupt .recover | sqlite3 ${path}\`, then run \`gg4l doctor\` again; ` +
    `or restore it from a backup`
  );
}

/** The state is damaged: every command but `gg4l doctor` refuses it, and nothing is written to it. */
export class CorruptStateError extends ConfigError {
  readonly repair: string;
  constructor(
    readonly path: string,
    options: { detail?: string; cause?: unknown } = {},
  ) {
    super(
      `the state file ${path} is corrupt (SQLite reports a malformed database${options.detail ? `: ${options.detail}` : ""})`,
      {
        hint: `nothing was written to it; \`gg4l doctor\` shows how to repair it: salvage it with sqlite3's .recover, or restore it from a backup`,
        cause: options.cause,
      },
    );
    this.repair = repairSteps(path);
  }
}

export function corruptStateError(path: string, cause?: unknown): CorruptStateError {
  return new CorruptStateError(path, { cause });
}

/** Whether a command's failure says the state is damaged (so its audit row must not go into it). */
export function showsCorruption(error: unknown): boolean {
  return (
    error instanceof CorruptStateError ||
    isCorruption(error) ||
    isCorruption((error as { cause?: unknown } | undefined)?.cause)
  );
}

/**
 * SQLite's "database or disk is full", the file system's ENOSPC, or an I/O error on a disk
 * with no space left (SQLite reports a failed -shm mapping as SQLITE_IOERR).
 */
export function isDiskFull(error: unknown, dir: string): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? "";
  if (code === "SQLITE_FULL" || code === "ENOSPC") return true;
  if (!code.startsWith("SQLITE_IOERR") && !code.startsWith("SQLITE_CANTOPEN")) return false;
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

export function diskFullError(dir: string, cause?: unknown): ConfigError {
  return new ConfigError(`no space left on ${dir}`, {
    hint: `free some space on ${dir} and run the command again; what this command could not write was rolled back`,
    cause,
  });
}

/** A write refused because the state (or its folder) is read-only. */
export function isReadOnly(error: unknown): boolean {
  return ((error as { code?: string } | undefined)?.code ?? "").startsWith("SQLITE_READONLY");
}

export function readOnlyStateError(path: string, cause?: unknown): ConfigError {
  return new ConfigError(`the state ${path} is read-only here: its folder cannot be written`, {
    hint: "reads work; to change anything, run gg4l as a user who may write to that folder (or mount it read-write)",
    cause,
  });
}
