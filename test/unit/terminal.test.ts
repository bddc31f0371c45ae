import { describe, expect, it } from "vitest";
import { terminalSafe } from "../../src/base/terminal.js";

describe("terminalSafe", () => {
  it("shows C0, DEL, C1 and bidi controls escaped, and leaves printable text alone", () => {
    expect(terminalSafe("a\u001b[2Jb\tc\nd\re\u0007\u007f\u009b\u202eé✓")).toBe(
      "a\\x1b[2Jb\\tc\\nd\\re\\x07\\x7f\\x9b\\u202eé✓",
    );
  });

  it("keeps exactly the sequences it is told to keep, and escapes the rest", () => {
    expect(
      terminalSafe("\u001b[1mT\u001b[22m \u001b[1;31mX\u001b]0;t\u0007", ["\u001b[1m", "\u001b[22m"]),
    ).toBe("\u001b[1mT\u001b[22m \\x1b[1;31mX\\x1b]0;t\\x07");
  });
});
