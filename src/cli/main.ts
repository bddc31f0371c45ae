/**
 * The entry point: parse, run, and turn every outcome into an exit code. The only
 * place that decides exit codes; bin/gg4l.js is the only place that exits.
 */

import { dirname } from "node:path";
import { CommanderError } from "commander";
import { DeclinedError, ExitCode, GgError } from "../base/errors.js";
import { redact, redactKeeping, typedValues } from "../base/redact.js";
import { runShutdown } from "../base/shutdown.js";
import { terminalSafe } from "../base/terminal.js";
import {
  corruptStateError,
  diskFullError,
  isCorruption,
  isDiskFull,
  isReadOnly,
  readOnlyStateError,
} from "../core/context.js";
import { resolveDbPath } from "../core/paths.js";
import type { CliEnv } from "./command.js";
import { buildProgram } from "./program.js";

const commanderUsageCodes = new Set([
  "commander.unknownCommand",
  "commander.unknownOption",
  "commander.missingArgument",
  "commander.optionMissingArgument",
  "commander.missingMandatoryOptionValue",
  "commander.invalidArgument",
  "commander.excessArguments",
  "commander.conflictingOption",
  "commander.help",
]);

function wantsJson(argv: string[]): boolean {
  return argv.includes("--json");
}

/**
 * A message quotes back what the operator typed (`no learner "ghost@nowhere.edu"`); an
 * e-mail that came from the state or a remote is masked.
 */
function report(cli: CliEnv, argv: string[], error: GgError): void {
  const typed = typedValues(argv);
  if (wantsJson(argv)) {
    const body = {
      error: {
        message: redactKeeping(error.message, typed),
        hint: error.hint ? redactKeeping(error.hint, typed) : null,
        exitCode: error.exitCode,
      },
    };
    cli.io.stderr.write(`${JSON.stringify(body)}\n`);
    return;
  }
  // Messages quote names from remotes and the state: control characters are shown escaped.
  cli.io.stderr.write(`error: ${terminalSafe(redactKeeping(error.message, typed))}\n`);
  if (error.hint) cli.io.stderr.write(`hint: ${terminalSafe(redactKeeping(error.hint, typed))}\n`);
}

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as gg4l's own error. */
function usageError(error: CommanderError, code: number): GgError {
  const [first = "", ...rest] = error.message.split("\n");
  const suggestion = rest
    .join(" ")
    .replace(/^\((.*)\)$/, "$1")
    .trim();
  return new GgError(first.replace(/^error: /, ""), code, {
    hint: suggestion || "run the command with --help for its flags and arguments",
  });
}

/** Runs gg4l with `argv` (without node and script) and returns the exit code. */
export async function run(argv: string[], cli: CliEnv): Promise<number> {
  const program = buildProgram(cli, { jsonErrors: wantsJson(argv) });
  try {
    await program.parseAsync(argv, { from: "user" });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.ok;
      const code = commanderUsageCodes.has(error.code) ? ExitCode.usage : ExitCode.failure;
      // Without --json commander already printed its message, "(Did you mean …?)" included.
      if (wantsJson(argv) && error.code !== "commander.help") report(cli, argv, usageError(error, code));
      return code;
    }
    if (error instanceof DeclinedError) {
      cli.io.stderr.write(`${redactKeeping(error.message, typedValues(argv))}\nNothing changed.\n`);
      return ExitCode.ok;
    }
    if (error instanceof GgError) {
      report(cli, argv, error);
      return error.exitCode;
    }
    const path = (error as { path?: string }).path ?? resolveDbPath(program.opts().db, cli.env, cli.cwd);
    if (isDiskFull(error, dirname(path))) {
      // SQLite rolled the transaction back: what was written before stays; nothing is half-written.
      const full = diskFullError(dirname(path), error);
      report(cli, argv, full);
      return full.exitCode;
    }
    if (isReadOnly(error)) {
      const readOnly = readOnlyStateError(resolveDbPath(program.opts().db, cli.env, cli.cwd), error);
      report(cli, argv, readOnly);
      return readOnly.exitCode;
    }
    if (isCorruption(error)) {
      const corrupt = corruptStateError(resolveDbPath(program.opts().db, cli.env, cli.cwd), error);
      report(cli, argv, corrupt);
      return corrupt.exitCode;
    }
    const unexpected = new GgError(
      `unexpected failure: ${(error as Error)?.message ?? String(error)}`,
      ExitCode.failure,
      {
        hint: "run again with --debug for details, and report it if it persists",
      },
    );
    report(cli, argv, unexpected);
    if (argv.includes("--debug") || cli.env.GG4L_DEBUG)
      cli.io.stderr.write(
        `${redact((error as Error)?.stack ?? "")
          .split("\n")
          .map((line) => terminalSafe(line))
          .join("\n")}\n`,
      );
    return ExitCode.failure;
  } finally {
    await runShutdown();
  }
}
