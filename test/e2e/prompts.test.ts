import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PromptDouble, runInProcess } from "../helpers/in-process.js";

let dir: string;
let db: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg4l-prompt-"));
  db = join(dir, "state.db");
  expect((await runInProcess(["init"], { db })).code).toBe(0);
  expect(
    (await runInProcess(["tenant", "add", "uni-x", "--name", "X", "--coursera-org", "o"], { db })).code,
  ).toBe(0);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("on a terminal, confirmations are asked", () => {
  it("tenant remove: declining is not an error (Nothing changed., exit 0) and keeps the tenant; accepting removes it", async () => {
    const no = new PromptDouble([{ kind: "confirm", message: 'Remove tenant "uni-x"', answer: false }]);
    const declined = await runInProcess(["tenant", "remove", "uni-x"], { db, tty: true, prompter: no });
    expect(declined.code).toBe(0);
    expect(declined.stderr).toMatch(/not confirmed\nNothing changed\.\n$/);
    expect(declined.stderr).not.toMatch(/error/);
    expect(no.pending).toBe(0);
    expect(JSON.parse((await runInProcess(["tenant", "list", "--json"], { db })).stdout)).toHaveLength(1);

    const yes = new PromptDouble([{ kind: "confirm", message: 'Remove tenant "uni-x"', answer: true }]);
    expect((await runInProcess(["tenant", "remove", "uni-x"], { db, tty: true, prompter: yes })).code).toBe(
      0,
    );
    expect(JSON.parse((await runInProcess(["tenant", "list", "--json"], { db })).stdout)).toEqual([]);
  });

  it("--yes skips the question; --no-input and CI never ask", async () => {
    const none = new PromptDouble([]);
    expect(
      (await runInProcess(["tenant", "remove", "uni-x", "--yes"], { db, tty: true, prompter: none })).code,
    ).toBe(0);
    expect(none.asked).toEqual([]);
    await runInProcess(["tenant", "add", "uni-y", "--name", "Y", "--coursera-org", "o"], { db });
    const noInput = await runInProcess(["tenant", "remove", "uni-y", "--no-input"], {
      db,
      tty: true,
      prompter: none,
    });
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toMatch(/pass --yes/);
    const ci = await runInProcess(["tenant", "remove", "uni-y"], {
      db,
      tty: true,
      prompter: none,
      env: { CI: "true" },
    });
    expect(ci.code).toBe(2);
    expect(none.asked).toEqual([]);
  });

  it("grade-sync change states the cost in the question", async () => {
    await runInProcess(
      [
        "lms",
        "register",
        "--kind",
        "canvas",
        "--issuer",
        "https://canvas.instructure.com",
        "--client-id",
        "1",
        "--deployment-id",
        "d",
        "--auth-url",
        "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "--token-url",
        "https://sso.canvaslms.com/login/oauth2/token",
        "--jwks-url",
        "https://sso.canvaslms.com/api/lti/security/jwks",
        "--grade-sync",
        "assignment",
      ],
      { db },
    );
    const prompter = new PromptDouble([{ kind: "confirm", message: "reconfigure the tool", answer: true }]);
    const result = await runInProcess(["settings", "set", "grade-sync", "final"], {
      db,
      tty: true,
      prompter,
    });
    expect(result.code).toBe(0);
    expect(prompter.asked[0]).toMatch(/from "assignment" to "final".*republish.*about a week/);
  });

  it("the Coursera secret is asked hidden on a terminal with --coursera-secret-stdin", async () => {
    const prompter = new PromptDouble([
      { kind: "password", message: "Coursera client secret", answer: "s3cr3t-value-1234" },
    ]);
    const result = await runInProcess(
      ["tenant", "add", "uni-z", "--name", "Z", "--coursera-org", "o", "--coursera-secret-stdin", "--json"],
      { db, tty: true, prompter },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).courseraSecret).toBe("****1234");
    expect(result.stdout + result.stderr).not.toContain("s3cr3t-value-1234");
  });

  it("an unexpected prompt fails the test double, not silently", async () => {
    const prompter = new PromptDouble([]);
    const result = await runInProcess(["tenant", "remove", "uni-x"], { db, tty: true, prompter });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unexpected confirm prompt/);
  });
});

describe("tables on a terminal", () => {
  it("draws a table with headers on a TTY and plain rows when piped", async () => {
    const tty = await runInProcess(["tenant", "list"], { db, tty: true });
    expect(tty.stdout).toMatch(/SLUG.*NAME.*COURSERA ORG/);
    expect(tty.stdout).not.toMatch(/│|─|\|/);
    expect(tty.stdout.split("\n")[0]).toMatch(/^\s*SLUG\s+NAME\s+COURSERA ORG/);
    const piped = await runInProcess(["tenant", "list"], { db });
    expect(piped.stdout).toBe("*\tuni-x\tX\to\t-\t-\n");
  });
});
