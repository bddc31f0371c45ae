/** Help text: every command shows at least two examples. */
export function examples(lines: Array<[string, string]>): string {
  return `\nExamples:\n${lines.map(([comment, command]) => `  # ${comment}\n  $ ${command}`).join("\n")}\n`;
}
