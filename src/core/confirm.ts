import { DeclinedError, UsageError } from "../base/errors.js";
import type { Context } from "./context.js";

/**
 * Ask before harm. Passes when `yes` was given; otherwise prompts on a terminal, and
 * without one refuses with a usage error naming the flag that confirms. A "no" is a
 * DeclinedError: nothing changes and the command exits 0.
 */
export async function confirmOrRefuse(
  ctx: Context,
  opts: { yes: boolean | undefined; question: string; refusal: string; flag?: string },
): Promise<void> {
  if (opts.yes) return;
  const flag = opts.flag ?? "--yes";
  if (!ctx.canPrompt) {
    throw new UsageError(`${opts.refusal}: confirmation needed and there is no terminal to ask on`, {
      hint: `pass ${flag} to confirm`,
    });
  }
  const ok = await ctx.prompter.confirm(opts.question, false);
  if (!ok) throw new DeclinedError(`${opts.refusal}: not confirmed`);
}
