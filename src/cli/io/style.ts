/**
 * A tiny colour helper: chalk is loaded only when colour is on, so piped and --json
 * runs never pay for it.
 */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  /** The escape sequences these styles write: printed text may keep them, and no other. */
  codes: readonly string[];
}

const plain: Style = {
  bold: (t) => t,
  dim: (t) => t,
  green: (t) => t,
  yellow: (t) => t,
  red: (t) => t,
  codes: [],
};

export async function loadStyle(color: boolean): Promise<Style> {
  if (!color) return plain;
  const { Chalk } = await import("chalk");
  const chalk = new Chalk({ level: 1 });
  return {
    bold: (t) => chalk.bold(t),
    dim: (t) => chalk.dim(t),
    green: (t) => chalk.green(t),
    yellow: (t) => chalk.yellow(t),
    red: (t) => chalk.red(t),
    // Chalk at level 1: bold, dim and their reset; green, yellow, red and theirs.
    codes: ["\u001b[1m", "\u001b[2m", "\u001b[22m", "\u001b[32m", "\u001b[33m", "\u001b[31m", "\u001b[39m"],
  };
}

export { plain as plainStyle };
