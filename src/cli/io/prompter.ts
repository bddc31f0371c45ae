/** The real prompter: inquirer, loaded only when a prompt is actually shown. */
import type { Choice, Prompter } from "../../core/prompter.js";
import type { IO } from "./io.js";

export function inquirerPrompter(io: IO): Prompter {
  const context = { input: io.stdin, output: io.stderr };
  const load = () => import("@inquirer/prompts");
  return {
    async confirm(message, defaultValue = false) {
      return (await load()).confirm({ message, default: defaultValue }, context);
    },
    async input(message) {
      return (await load()).input({ message }, context);
    },
    async password(message) {
      return (await load()).password({ message, mask: "*" }, context);
    },
    async checkbox(message, choices: Choice[]) {
      return (await load()).checkbox({ message, choices }, context);
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
