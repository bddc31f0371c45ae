/**
 * Opening the state file. A file that is not a gg4l database, is corrupt, or was written
 * by a newer gg4l is refused before anything writes to it (checked on a read-only
 * connection), so a refused file stays byte-for-byte as it was.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ConfigError } from "../base/errors.js";
import { corruptStateError, isCorruption, moveAwayHint } from "./corruption.js";
import { latestSchemaVersion, migrations } from "./migrations.js";

export type Db = Database.Database;

/** "gg4l" in ASCII: marks the SQLite file as ours (PRAGMA application_id). */
export const APPLICATION_ID = 0x6767346c;
const SQLITE_MAGIC = "SQLite format 3\0";

export interface OpenStateOptions {
  /** Create the file (and its folder) when it does not exist. Only `gg4l init` passes true. */
  create: boolean;
}

export interface OpenedState {
  db: Db;
  path: string;
  created: boolean;
  migratedFrom: number;
  schemaVersion: number;
}

function readHeader(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(100);
    const read = readSync(fd, header, 0, 100, 0);
    return header.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Check an existing file on a read-only connection; throws ConfigError when it is not ours to open. */
function inspectExisting(path: string): { empty: boolean } {
  if (statSync(path).size === 0) return { empty: true };
  const header = readHeader(path);
  if (header.length < 100 || header.subarray(0, 16).toString("latin1") !== SQLITE_MAGIC) {
    throw new ConfigError(`${path} is not a gg4l state file (it is not an SQLite database)`, {
      hint: moveAwayHint(path),
    });
  }
  let probe: Db | undefined;
  try {
    probe = new Database(path, { readonly: true, fileMustExist: true });
    const applicationId = probe.pragma("application_id", { simple: true }) as number;
    const version = probe.pragma("user_version", { simple: true }) as number;
    probe.prepare("SELECT count(*) FROM sqlite_master").get();
    if (applicationId !== APPLICATION_ID) {
      throw new ConfigError(`${path} is an SQLite database, but not a gg4l state file`, {
        hint: moveAwayHint(path),
      });
    }
    if (version > latestSchemaVersion) {
      throw new ConfigError(
        `${path} was written by a newer gg4l (schema version ${version}; this gg4l knows up to ${latestSchemaVersion})`,
        { hint: "upgrade gg4l (npm install -g gg4l@latest); the file was not touched" },
      );
    }
    return { empty: false };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (isCorruption(error)) throw corruptStateError(path, error);
    throw new ConfigError(`cannot read the state file ${path}: ${(error as Error).message}`, {
      hint: "check the file's permissions and that the disk is readable",
      cause: error,
    });
  } finally {
    probe?.close();
  }
}

function createEmptyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "wx", 0o600));
}

function migrate(db: Db): number {
  const from = db.pragma("user_version", { simple: true }) as number;
  if (from >= latestSchemaVersion) return from;
  db.transaction(() => {
    for (let version = from; version < latestSchemaVersion; version++) {
      db.exec(migrations[version]!);
    }
    db.pragma(`user_version = ${latestSchemaVersion}`);
  })();
  return from;
}

export function openState(path: string, options: OpenStateOptions): OpenedState {
  let created = false;
  if (!existsSync(path)) {
    if (!options.create) {
      throw new ConfigError(`no gg4l state at ${path}`, {
        hint: "run `gg4l init` to create it, or point --db / GG4L_DB at an existing state file",
      });
    }
    createEmptyFile(path);
    created = true;
  } else {
    const { empty } = inspectExisting(path);
    if (empty && !options.create) {
      throw new ConfigError(`${path} is an empty file, not a gg4l state file`, {
        hint: "run `gg4l init` to initialise it, or point --db / GG4L_DB at an existing state file",
      });
    }
    created = empty;
  }
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    if (created) db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    // 32 MiB of page cache: planning a million grades runs as fast as with 64 MiB, and the
    // process stays 70 MB smaller (bench/README.md).
    db.pragma("cache_size = -32768");
    const migratedFrom = migrate(db);
    if (created) chmodSync(path, 0o600);
    return { db, path, created, migratedFrom, schemaVersion: latestSchemaVersion };
  } catch (error) {
    db.close();
    if (isCorruption(error)) throw corruptStateError(path, error);
    throw error;
  }
}
