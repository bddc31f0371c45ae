/** The command tree. Building it loads only commander; each action imports its service lazily. */
import { Argument, Command } from "commander";
import { exitCodeTable, UsageError } from "../base/errors.js";
import { type CliEnv, examples } from "./command.js";
import { registerAudit } from "./commands/audit.js";
import { registerClassroom } from "./commands/classroom.js";
import { registerCourses } from "./commands/courses.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerInit } from "./commands/init.js";
import { registerLearners } from "./commands/learners.js";
import { registerLicenses } from "./commands/licenses.js";
import { registerLinks } from "./commands/links.js";
import { registerLms } from "./commands/lms.js";
import { registerPrograms } from "./commands/programs.js";
import { registerSandbox } from "./commands/sandbox.js";
import { registerServe } from "./commands/serve.js";
import { registerSettings } from "./commands/settings.js";
import { registerSync } from "./commands/sync.js";
import { registerTenant } from "./commands/tenant.js";
import { completionScript } from "./completion.js";

/** `jsonErrors`: --json was given, so usage errors are reported as JSON by main.ts, not as text here. */
export function buildProgram(cli: CliEnv, options: { jsonErrors?: boolean } = {}): Command {
  const program = new Command("gg4l")
    .description("Run an LMS ⇄ Coursera integration: programs, learners, licenses, LTI 1.3 and grade sync.")
    .version(cli.version, "-V, --version", "print the gg4l version")
    .option("--db <path>", "state file (default: $GG4L_DB, else $XDG_DATA_HOME/gg4l/gg4l.db)")
    .option("--tenant <slug>", "tenant to work on (default: $GG4L_TENANT, else `gg4l tenant use`)")
    .option("--json", "print JSON on stdout (nothing else goes there)")
    .option("--no-color", "no colour (also NO_COLOR, or when stdout is not a terminal)")
    .option("--no-input", "never prompt; a missing value or confirmation is an error (also GG4L_NO_PROMPT)")
    .option("--debug", "trace to stderr with secrets and learner e-mails redacted (also GG4L_DEBUG=1)")
    .helpCommand(false)
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => cli.io.stdout.write(text),
      writeErr: (text) => cli.io.stderr.write(text),
      outputError: (text, write) => {
        if (!options.jsonErrors) write(text);
      },
    })
    .addHelpText(
      "after",
      examples([
        ["first steps", "gg4l init && gg4l tenant add uni-x --name 'University X' --coursera-org org-123"],
        ["what the exit codes mean", "gg4l help exit-codes"],
      ]),
    );

  registerInit(program, cli);
  registerDoctor(program, cli);
  registerTenant(program, cli);
  registerLms(program, cli);
  registerClassroom(program, cli);
  registerSettings(program, cli);
  registerPrograms(program, cli);
  registerCourses(program, cli);
  registerLearners(program, cli);
  registerLinks(program, cli);
  registerLicenses(program, cli);
  registerSync(program, cli);
  registerAudit(program, cli);
  registerSandbox(program, cli);
  registerServe(program, cli);

  program
    .command("completion")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "bash|zsh|fish").choices(["bash", "zsh", "fish"]))
    .addHelpText(
      "after",
      examples([
        ["bash, for this shell", "source <(gg4l completion bash)"],
        ["fish, permanently", "gg4l completion fish > ~/.config/fish/completions/gg4l.fish"],
      ]),
    )
    .action((shell: string, _opts: unknown, cmd: Command) => {
      if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
        throw new UsageError(`no completion for "${shell}"`, { hint: "pass bash, zsh or fish" });
      }
      const script = completionScript(program, shell);
      if (cmd.optsWithGlobals().json) cli.io.stdout.write(`${JSON.stringify({ shell, script }, null, 2)}\n`);
      else cli.io.stdout.write(script);
    });

  program
    .command("help")
    .description("help for a command, or a topic: exit-codes")
    .argument("[topic...]", "a command path (e.g. tenant add) or exit-codes")
    .addHelpText(
      "after",
      examples([
        ["what each exit code means", "gg4l help exit-codes"],
        ["help for a command", "gg4l help tenant add"],
      ]),
    )
    .action((topic: string[], _opts: unknown, cmd: Command) => {
      if (topic.length === 1 && topic[0] === "exit-codes") {
        if (cmd.optsWithGlobals().json) cli.io.stdout.write(`${JSON.stringify(exitCodeTable, null, 2)}\n`);
        else
          for (const row of exitCodeTable)
            cli.io.stdout.write(`${String(row.code).padStart(3)}  ${row.name.padEnd(12)} ${row.meaning}\n`);
        return;
      }
      let target: Command = program;
      for (const name of topic) {
        const next = target.commands.find((c) => c.name() === name);
        if (!next)
          throw new UsageError(`no command or help topic "${topic.join(" ")}"`, {
            hint: "run `gg4l --help` for the commands; topics: exit-codes",
          });
        target = next;
      }
      target.outputHelp();
    });

  return program;
}
