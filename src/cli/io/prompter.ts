/** The real prompter: inquirer, loaded only when a prompt is actually shown. */
import { terminalSafe } from "../../base/terminal.js";
import type { Choice, Prompter } from "../../core/prompter.js";
import type { IO } from "./io.js";

export function inquirerPrompter(io: IO): Prompter {
  const context = { input: io.stdin, output: io.stderr };
  const load = () => import("@inquirer/prompts");
  return {
    async confirm(message, defaultValue = false) {
      return (await load()).confirm({ message: terminalSafe(message), default: defaultValue }, context);
    },
    async input(message) {
      return (await load()).input({ message: terminalSafe(message) }, context);
    },
    async password(message) {
      return (await load()).password({ message: terminalSafe(message), mask: "*" }, context);
    },
    async checkbox(message, choices: Choice[]) {
      // Choices name programs and courses as Coursera sent them: shown escaped, chosen by value.
      const safe = choices.map((c) => ({ ...c, name: terminalSafe(c.name) }));
      return (await load()).checkbox({ message: terminalSafe(message), choices: safe }, context);
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
