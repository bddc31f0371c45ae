/**
 * Opening the state file. A file that is not a gg4l database, is corrupt, or was written
 * by a newer gg4l is refused before anything writes to it (checked on a read-only
 * connection), so a refused file stays byte-for-byte as it was.
 */
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ConfigError } from "../base/errors.js";
import {
  CorruptStateError,
  corruptStateError,
  diskFullError,
  isCorruption,
  isDiskFull,
  moveAwayHint,
} from "./corruption.js";
import { latestSchemaVersion, migrations } from "./migrations.js";

export type Db = Database.Database;

/** How long a connection waits for another one's write lock before SQLite answers "database is locked". */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * A smaller page cache for one of several connections a process holds at once (one per tenant
 * of `sync daily --all-tenants`), so N of them together stay within one connection's memory.
 */
export function setCacheMb(db: Db, mb: number): void {
  db.pragma(`cache_size = ${-Math.round(mb * 1024)}`);
}

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
  /** The folder is not writable: reads work, writes are refused (SQLITE_READONLY). */
  readOnly: boolean;
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

/**
 * Files up to this size get a full `PRAGMA quick_check` on every open (about 3 ms a MB, so
 * at most ~0.4 s); a bigger state is checked by SQLite as it reads, and the first page it
 * finds damaged refuses the command just the same (src/cli/command.ts).
 */
export const QUICK_CHECK_MAX_BYTES = 128 * 1024 * 1024;

/** The first problem `PRAGMA quick_check` finds, or undefined when the file is sound. */
function quickCheck(db: Db): string | undefined {
  const rows = db.prepare("PRAGMA quick_check(1)").pluck().all() as string[];
  if (rows.length === 1 && rows[0] === "ok") return undefined;
  return rows
    .join(" ")
    .replace(/\*\*\* in database main \*\*\*\s*/, "")
    .trim();
}

/**
 * A read-only connection to a WAL file leaves empty -wal and -shm files behind (it may not
 * checkpoint). Remove the ones the probe created, so a refused file is left exactly as found.
 */
function removeProbeLeftovers(path: string, existedBefore: Set<string>): void {
  for (const suffix of ["-wal", "-shm"]) {
    const leftover = `${path}${suffix}`;
    if (existedBefore.has(suffix) || !existsSync(leftover)) continue;
    if (suffix === "-wal" && statSync(leftover).size > 0) return;
    try {
      unlinkSync(leftover);
    } catch {}
  }
}

/** Ours, not from a newer gg4l, and sound as far as the bounded quick_check sees; throws ConfigError otherwise. */
function checkContent(probe: Db, path: string, size: number): void {
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
  if (size <= QUICK_CHECK_MAX_BYTES) {
    const problem = quickCheck(probe);
    if (problem !== undefined) throw new CorruptStateError(path, { detail: problem });
  }
}

/** Check an existing file on a read-only connection; throws ConfigError when it is not ours to open. */
function inspectExisting(path: string): { empty: boolean; readOnly: boolean } {
  const stat = statSync(path);
  if (!stat.isFile()) {
    throw new ConfigError(
      `${path} is not a gg4l state file (it is ${stat.isDirectory() ? "a folder" : "not a regular file"})`,
      {
        hint: "point --db or GG4L_DB at the state file itself, e.g. --db ~/.local/share/gg4l/gg4l.db",
      },
    );
  }
  if (stat.size === 0) return { empty: true, readOnly: false };
  const header = readHeader(path);
  if (header.length < 100 || header.subarray(0, 16).toString("latin1") !== SQLITE_MAGIC) {
    throw new ConfigError(`${path} is not a gg4l state file (it is not an SQLite database)`, {
      hint: moveAwayHint(path),
    });
  }
  // SQLite cannot open a WAL file where it may not create the -shm beside it: see openReadOnly.
  if (!writable(dirname(path))) return { empty: false, readOnly: true };
  const existedBefore = new Set(["-wal", "-shm"].filter((suffix) => existsSync(`${path}${suffix}`)));
  let probe: Db | undefined;
  try {
    probe = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    checkContent(probe, path, stat.size);
    probe.close();
    return { empty: false, readOnly: false };
  } catch (error) {
    probe?.close();
    removeProbeLeftovers(path, existedBefore);
    if (error instanceof ConfigError) throw error;
    if (isCorruption(error)) throw corruptStateError(path, error);
    if (isDiskFull(error, dirname(path))) throw diskFullError(dirname(path), error);
    throw new ConfigError(`cannot read the state file ${path}: ${(error as Error).message}`, {
      hint: "check the file's permissions and that the disk is readable",
      cause: error,
    });
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A state in a folder gg4l may not write to (a read-only mount, another user's folder):
 * reads work, every write is refused (query_only) and reported by the CLI as exit 4. A state
 * closed cleanly is complete in its main file, which is read into memory; with a -wal beside
 * it (and its -shm) SQLite opens it read-only where it lies.
 */
function openReadOnly(path: string): OpenedState {
  const walLeft = existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
  let db: Db;
  if (walLeft) {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } else {
    const bytes = readFileSync(path);
    // An in-memory copy cannot be in WAL mode: read it as a rollback-journal file.
    if (bytes[18] === 2) bytes[18] = bytes[19] = 1;
    db = new Database(bytes);
    db.pragma("query_only = ON");
  }
  try {
    checkContent(db, path, statSync(path).size);
    db.pragma("foreign_keys = ON");
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version < latestSchemaVersion) {
      throw new ConfigError(
        `${path} needs an upgrade to schema version ${latestSchemaVersion}, and its folder is read-only`,
        { hint: `run gg4l where ${dirname(path)} is writable once (\`gg4l init\` upgrades it)` },
      );
    }
    return { db, path, created: false, migratedFrom: version, schemaVersion: version, readOnly: true };
  } catch (error) {
    db.close();
    if (isCorruption(error)) throw corruptStateError(path, error);
    throw error;
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

/**
 * Every write transaction begins IMMEDIATE: a deferred one that reads first and writes later
 * fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT: SQLite cannot wait) when
 * another process committed in between, e.g. a launch while the sync writes. Taking the
 * write lock up front lets the busy timeout wait for it instead.
 */
function immediateTransactions(db: Db): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: Parameters<Db["transaction"]>[0]) => {
    // Each variant carries .deferred, .immediate and .exclusive itself.
    return transaction(fn).immediate;
  }) as Db["transaction"];
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
    const { empty, readOnly } = inspectExisting(path);
    if (readOnly) return openReadOnly(path);
    if (empty && !options.create) {
      throw new ConfigError(`${path} is an empty file, not a gg4l state file`, {
        hint: "run `gg4l init` to initialise it, or point --db / GG4L_DB at an existing state file",
      });
    }
    created = empty;
  }
  const db = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  immediateTransactions(db);
  try {
    if (created) db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    // 32 MiB of page cache: planning a million grades runs as fast as with 64 MiB, and the
    // process stays 70 MB smaller (bench/README.md).
    db.pragma("cache_size = -32768");
    const migratedFrom = migrate(db);
    if (created) chmodSync(path, 0o600);
    return { db, path, created, migratedFrom, schemaVersion: latestSchemaVersion, readOnly: false };
  } catch (error) {
    db.close();
    if (isCorruption(error)) throw corruptStateError(path, error);
    if (isDiskFull(error, dirname(path))) throw diskFullError(dirname(path), error);
    throw error;
  }
}

/**
 * Runs `body` on one snapshot of the state: a read transaction, across the awaits in `body`.
 * Other connections go on writing (WAL), unseen; temporary tables may be written. Nothing of
 * the state itself may be: the transaction would hold the write lock until `body` ends.
 */
export async function inSnapshot<T>(db: Db, body: () => Promise<T>): Promise<T> {
  db.exec("BEGIN");
  try {
    const result = await body();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
