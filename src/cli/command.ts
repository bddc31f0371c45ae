/**
 * The glue between commander and core: build the context and output for one command
 * from the global flags, run the handler, write the audit row for mutating commands,
 * close what was opened.
 */
import type { Command } from "commander";
import { ExitCode, GgError, UsageError } from "../base/errors.js";
import { maskIdentifier, redact } from "../base/redact.js";
import { terminalSafe } from "../base/terminal.js";
import { recordAudit } from "../core/audit.js";
import {
  type Context,
  createContext,
  type Logger,
  loadStateOpener,
  showsCorruption,
} from "../core/context.js";
import { type Env, resolveDbPath } from "../core/paths.js";
import type { Prompter } from "../core/prompter.js";
import { canPrompt, colorEnabled, type IO, readAll } from "./io/io.js";
import { Output } from "./io/output.js";
import { inquirerPrompter, noPrompter } from "./io/prompter.js";
import { loadStyle } from "./io/style.js";

/** What the process (or a test) hands the CLI. */
export interface CliEnv {
  io: IO;
  env: Env;
  cwd: string;
  osUser: string;
  version: string;
  now?: () => Date;
  /** Replaces inquirer (tests); used only where a prompt is allowed. */
  prompter?: Prompter;
}

export interface GlobalOptions {
  db?: string;
  tenant?: string;
  json?: boolean;
  color: boolean;
  input: boolean;
  debug?: boolean;
}

export interface Invocation<Opts> {
  ctx: Context;
  out: Output;
  opts: Opts & GlobalOptions;
  /** Positional arguments, in declaration order. */
  args: string[];
}

export interface ActionSpec {
  /** Mutating commands write an audit row, whatever their outcome; a function decides per call (dry runs change nothing). */
  audit: boolean | ((opts: Record<string, unknown>) => boolean);
}

function makeLogger(io: IO, debug: boolean): Logger {
  return {
    debugEnabled: debug,
    debug: (message) => {
      if (debug) io.stderr.write(`debug: ${terminalSafe(redact(message))}\n`);
    },
    // Log lines (serve's included) carry names from remotes: control characters are shown escaped.
    info: (message) => io.stderr.write(`${terminalSafe(message)}\n`),
    warn: (message) => io.stderr.write(`! ${terminalSafe(message)}\n`),
  };
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof GgError) return error.exitCode;
  // What main.ts reports as a state problem (exit 4): corrupt, read-only, no space left.
  const code = (error as { code?: string } | undefined)?.code ?? "";
  if (showsCorruption(error) || /^SQLITE_(READONLY|FULL)/.test(code) || code === "ENOSPC")
    return ExitCode.config;
  return ExitCode.failure;
}

/** "tenant add" for the command `gg4l tenant add`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

export function defineAction<Opts>(
  cmd: Command,
  cli: CliEnv,
  spec: ActionSpec,
  handler: (inv: Invocation<Opts>) => Promise<void>,
): Command {
  return cmd.action(async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const args = (received.slice(0, -2) as Array<string | string[] | undefined>).flatMap((a) =>
      a === undefined ? [] : a,
    );
    const opts = command.optsWithGlobals() as Opts & GlobalOptions;
    // An empty value would silently mean "the default state" or "the default tenant".
    if (opts.db === "")
      throw new UsageError("--db needs a path, not an empty value", {
        hint: "pass the state file, e.g. --db ~/.local/share/gg4l/gg4l.db, or leave --db out for the default",
      });
    if (opts.tenant === "")
      throw new UsageError("--tenant needs a tenant slug, not an empty value", {
        hint: "`gg4l tenant list` shows the slugs; leave --tenant out for the default tenant",
      });
    const debug = Boolean(opts.debug || cli.env.GG4L_DEBUG);
    const promptAllowed = canPrompt(cli.io, cli.env, opts.input);
    const ctx = createContext({
      env: cli.env,
      dbPath: resolveDbPath(opts.db, cli.env, cli.cwd),
      tenantFlag: opts.tenant,
      osUser: cli.osUser,
      now: cli.now,
      logger: makeLogger(cli.io, debug),
      prompter: promptAllowed ? (cli.prompter ?? inquirerPrompter(cli.io)) : noPrompter,
      canPrompt: promptAllowed,
      readStdin: () => readAll(cli.io.stdin),
      openState: await loadStateOpener(),
    });
    const out = new Output(cli.io, {
      json: Boolean(opts.json),
      style: await loadStyle(!opts.json && colorEnabled(cli.io, cli.env, opts.color)),
    });
    let failure: unknown;
    try {
      await handler({ ctx, out, opts, args });
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      try {
        if (typeof spec.audit === "function" ? spec.audit(opts as Record<string, unknown>) : spec.audit) {
          const unwritten = recordAudit(
            ctx,
            {
              command: commandPath(command),
              args: auditArgs(command),
              tenant: auditTenant(ctx),
              exitCode: failure === undefined ? 0 : exitCodeOf(failure),
              message:
                failure === undefined
                  ? (ctx.auditNote ?? null)
                  : [(failure as Error).message, ctx.auditNote].filter(Boolean).join("; "),
            },
            failure !== undefined && showsCorruption(failure),
          );
          // A corrupt state is never written to (nor can a full or read-only one be): the audit row goes to stderr.
          if (unwritten) {
            cli.io.stderr.write(
              opts.json
                ? `${JSON.stringify({ audit: unwritten.entry, auditNotWritten: unwritten.reason })}\n`
                : `audit (${unwritten.reason}): ${terminalSafe(JSON.stringify(unwritten.entry))}\n`,
            );
          }
        }
      } finally {
        ctx.close();
      }
    }
  });
}

/** Arguments and flags that name a learner: masked in the audit whatever the value looks like. */
const LEARNER_VALUE = /learner|email|external/i;

/** The arguments as typed after the command path, minus the state location; learner identifiers masked. */
function auditArgs(command: Command): string[] {
  const declared = command.registeredArguments;
  const raw = command.parent
    ? command.args.map((value, i) => {
        const arg = declared[Math.min(i, declared.length - 1)];
        return arg && LEARNER_VALUE.test(arg.name()) ? maskIdentifier(value) : value;
      })
    : [];
  const opts = command.opts() as Record<string, unknown>;
  const flags = command.options.flatMap((option) => {
    const value = opts[option.attributeName()];
    if (value === undefined || value === false || !option.long) return [];
    if (value === true) return [option.long];
    return [
      option.long,
      LEARNER_VALUE.test(option.attributeName()) ? maskIdentifier(String(value)) : String(value),
    ];
  });
  return [...raw, ...flags];
}

function auditTenant(ctx: Context): string | null {
  return ctx.tenantInUse ?? ctx.tenantFlag ?? ctx.env.GG4L_TENANT ?? null;
}

/** Help text: every command shows at least two examples. */
export function examples(lines: Array<[string, string]>): string {
  return `\nExamples:\n${lines.map(([comment, command]) => `  # ${comment}\n  $ ${command}`).join("\n")}\n`;
}
