/**
 * The entry point: parse, run, and turn every outcome into an exit code. The only
 * place that decides exit codes; bin/gg4l.js is the only place that exits.
 */
import { CommanderError } from "commander";
import { ExitCode, GgError } from "../base/errors.js";
import { redact } from "../base/redact.js";
import { runShutdown } from "../base/shutdown.js";
import { terminalSafe } from "../base/terminal.js";
import { corruptStateError, isCorruption } from "../core/context.js";
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

function report(cli: CliEnv, argv: string[], error: GgError): void {
  if (wantsJson(argv)) {
    const body = {
      error: { message: redact(error.message), hint: error.hint ?? null, exitCode: error.exitCode },
    };
    cli.io.stderr.write(`${JSON.stringify(body)}\n`);
    return;
  }
  // Messages quote names from remotes and the state: control characters are shown escaped.
  cli.io.stderr.write(`error: ${terminalSafe(redact(error.message))}\n`);
  if (error.hint) cli.io.stderr.write(`hint: ${terminalSafe(redact(error.hint))}\n`);
}

/** Runs gg4l with `argv` (without node and script) and returns the exit code. */
export async function run(argv: string[], cli: CliEnv): Promise<number> {
  const program = buildProgram(cli);
  try {
    await program.parseAsync(argv, { from: "user" });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.ok;
      // commander already printed its message; "(did you mean …)" included.
      return commanderUsageCodes.has(error.code) ? ExitCode.usage : ExitCode.failure;
    }
    if (error instanceof GgError) {
      report(cli, argv, error);
      return error.exitCode;
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
