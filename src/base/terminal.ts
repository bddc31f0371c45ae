/**
 * Text from a remote or from the state, made safe to print on a terminal: control characters
 * (C0, DEL, C1) and the bidirectional overrides are shown escaped (`\x1b`, `\t`, `\n`,
 * `\u202e`), so a course or display name cannot move the cursor, retitle the window, clear
 * the screen, reorder what is shown or break a line. JSON output keeps the exact value.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const NAMED: Record<string, string> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function escaped(char: string): string {
  const code = char.charCodeAt(0);
  return (
    NAMED[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`)
  );
}

const plainPattern = new RegExp(UNSAFE.source, "g");

/**
 * `keep`: exact escape sequences that stay as they are (the colours gg4l itself adds); every
 * other control character is escaped.
 */
export function terminalSafe(text: string, keep: readonly string[] = []): string {
  if (keep.length === 0) return text.replace(plainPattern, escaped);
  const kept = keep.map((seq) => seq.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")).join("|");
  return text.replace(new RegExp(`${kept}|${UNSAFE.source}`, "g"), (match) =>
    match.length > 1 ? match : escaped(match),
  );
}
