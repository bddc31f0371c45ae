/**
 * What every core service receives: lazily opened state, clock, logger, prompter and
 * the user's selections. Nothing here is created until a service asks for it, so
 * `--help` and `--version` open no database.
 */
import type { OpenedState, OpenStateOptions } from "../store/db.js";
import type { Env } from "./paths.js";
import type { Prompter } from "./prompter.js";

export interface Logger {
  /** Shown only with --debug / GG4L_DEBUG; already redacted by the logger. */
  debug(message: string): void;
  /** Whether debug() prints anything (tracing skips work when it does not). */
  debugEnabled?: boolean;
  /** Progress and notes for a person, on stderr. */
  info(message: string): void;
  warn(message: string): void;
}

export interface Context {
  env: Env;
  dbPath: string;
  /** --tenant flag value; GG4L_TENANT is read from env. */
  tenantFlag: string | undefined;
  osUser: string;
  /** The tenant the command acted on, once resolved; the audit row names it. */
  tenantInUse: string | undefined;
  /** What a successful mutating command acted on, for its audit row (redacted there). */
  auditNote?: string;
  now(): Date;
  logger: Logger;
  prompter: Prompter;
  /** stdin and stdout are terminals, not CI, and --no-input was not given. */
  canPrompt: boolean;
  /** Reads all of standard input (for --*-stdin secrets). */
  readStdin(): Promise<string>;
  /** The state, opened on first use; throws ConfigError when missing (run `gg4l init`) or unusable. */
  state(): OpenedState;
  /** The state, created when missing (only `gg4l init`). */
  createState(): OpenedState;
  /** The state if it was opened during this command; used for the audit log. */
  openedState(): OpenedState | undefined;
  close(): void;
}

export interface ContextInit {
  env: Env;
  dbPath: string;
  tenantFlag: string | undefined;
  osUser: string;
  now?: () => Date;
  logger: Logger;
  prompter: Prompter;
  canPrompt: boolean;
  readStdin: () => Promise<string>;
  /** store/db.js's openState (see loadStateOpener), loaded before the context is built, so building one loads no SQLite. */
  openState: (path: string, options: OpenStateOptions) => OpenedState;
}

/** store/db.js's openState, loaded only when a command runs (so `--help` loads no SQLite). */
export async function loadStateOpener(): Promise<ContextInit["openState"]> {
  return (await import("../store/db.js")).openState;
}

export {
  CorruptStateError,
  corruptStateError,
  diskFullError,
  isCorruption,
  isDiskFull,
  isReadOnly,
  readOnlyStateError,
  showsCorruption,
} from "../store/corruption.js";

export function createContext(init: ContextInit): Context {
  let opened: OpenedState | undefined;
  const open = (create: boolean): OpenedState => {
    opened ??= init.openState(init.dbPath, { create });
    return opened;
  };
  return {
    env: init.env,
    dbPath: init.dbPath,
    tenantFlag: init.tenantFlag,
    osUser: init.osUser,
    tenantInUse: undefined,
    now: init.now ?? (() => new Date()),
    logger: init.logger,
    prompter: init.prompter,
    canPrompt: init.canPrompt,
    readStdin: init.readStdin,
    state: () => open(false),
    createState: () => open(true),
    openedState: () => opened,
    close: () => {
      opened?.db.close();
      opened = undefined;
    },
  };
}
