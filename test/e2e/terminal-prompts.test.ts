/** Confirmations as a person meets them: real inquirer on a pseudo-terminal. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseJson, sandboxState } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal } from "../helpers/pty.js";

let state: ReturnType<typeof sandboxState>;
beforeEach(async () => {
  state = sandboxState();
  expect((await state.gg4l(["init"])).code).toBe(0);
  expect((await state.gg4l(["tenant", "add", "uni-x", "--name", "X", "--coursera-org", "o"])).code).toBe(0);
  // Two process starts; on a loaded 2-core machine they took more than the default 30 s once.
}, 60_000);
afterEach(() => state.cleanup());

describe("a confirmation on a terminal", () => {
  it("answered no: Nothing changed., exit 0, the tenant kept", async () => {
    const run = await runOnTerminal(["tenant", "remove", "uni-x"], {
      env: { GG4L_DB: state.db },
      answers: [{ when: /Remove tenant "uni-x"/, type: "n\r" }],
    });
    expect(run.code).toBe(0);
    expect(plainLines(run.screen)).toContain("Nothing changed.");
    expect(run.screen).not.toMatch(/error:/);
    expect(parseJson<unknown[]>(await state.gg4l(["tenant", "list", "--json"]))).toHaveLength(1);
  });

  it("Ctrl-C at the question: interrupted, exit 130, the tenant kept", async () => {
    const run = await runOnTerminal(["tenant", "remove", "uni-x"], {
      env: { GG4L_DB: state.db },
      answers: [{ when: /Remove tenant "uni-x"/, type: "\x03" }],
    });
    expect(run.code).toBe(130);
    expect(run.screen).toMatch(/interrupted at the prompt; nothing changed/);
    expect(run.screen).not.toMatch(/unexpected failure/);
    expect(parseJson<unknown[]>(await state.gg4l(["tenant", "list", "--json"]))).toHaveLength(1);
  });
});
