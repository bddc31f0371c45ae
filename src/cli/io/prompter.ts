/** The real prompter: inquirer, loaded only when a prompt is actually shown. */
import { InterruptedError } from "../../base/errors.js";
import { terminalSafe } from "../../base/terminal.js";
import type { Choice, Prompter } from "../../core/prompter.js";
import type { IO } from "./io.js";

/** Ctrl-C at a prompt is an interruption (exit 130), not an unexpected failure. */
async function asked<T>(prompt: Promise<T>): Promise<T> {
  try {
    return await prompt;
  } catch (error) {
    if ((error as Error)?.name === "ExitPromptError") {
      throw new InterruptedError("interrupted at the prompt; nothing changed");
    }
    throw error;
  }
}

export function inquirerPrompter(io: IO): Prompter {
  const context = { input: io.stdin, output: io.stderr };
  const load = () => import("@inquirer/prompts");
  return {
    async confirm(message, defaultValue = false) {
      return asked(
        (await load()).confirm({ message: terminalSafe(message), default: defaultValue }, context),
      );
    },
    async input(message) {
      return asked((await load()).input({ message: terminalSafe(message) }, context));
    },
    async password(message) {
      return asked((await load()).password({ message: terminalSafe(message), mask: "*" }, context));
    },
    async checkbox(message, choices: Choice[]) {
      // Choices name programs and courses as Coursera sent them: shown escaped, chosen by value.
      const safe = choices.map((c) => ({ ...c, name: terminalSafe(c.name) }));
      return asked((await load()).checkbox({ message: terminalSafe(message), choices: safe }, context));
    },
  };
}

/** For runs that cannot prompt: any prompt is a programming error (callers check canPrompt first). */
export const noPrompter: Prompter = {
  confirm: () => Promise.reject(new Error("prompt attempted without a terminal")),
  input: () => Promise.reject(new Error("prompt attempted without a terminal")),
  password: () => Promise.reject(new Error("prompt attempted without a terminal")),
  checkbox: () => Promise.reject(new Error("prompt attempted without a terminal")),
};
