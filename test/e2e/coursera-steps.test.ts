/**
 * Issue 21 §2: the commands that talk to Coursera outside a sync (`programs pull`, `courses
 * refresh`, `licenses --refresh`, `programs activate --refresh`) show their steps as the sync
 * shows its phases. On a terminal each step ends as one line marked ✓ (✗ when it failed) and
 * no spinner frame is left on the screen; piped, the step's line once; --json piped, nothing.
 */
import { describe, expect, it } from "vitest";
import type { FakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { type Box, courseraTenantSuite } from "../helpers/coursera-tenant.js";
import { parseJson, type RunResult } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal } from "../helpers/pty.js";

let fake: FakeCoursera;
let box: Box;

courseraTenantSuite((f, b) => {
  fake = f;
  box = b;
});

function ok(result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.stderr}${result.stdout}`);
  return result;
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A finished step: its mark, its words without the ellipsis, its time. */
const finished = (mark: "✓" | "✗", words: string) =>
  new RegExp(`^${mark} ${literal(words)} \\(\\d+\\.\\d s\\)$`);
/** A braille spinner frame, or a step's line still under way. */
const LEFTOVER = /[\u2800-\u28ff]|…/;

const onTerminal = (args: string[], env: Record<string, string> = {}) =>
  runOnTerminal(args, { env: { GG4L_DB: box.db, ...env } });

const stepLines = (lines: string[]) =>
  lines.map((l) => l.trim()).filter((l) => /^[✓✗] (Pulling|Refreshing)/.test(l));

describe("steps on a terminal", () => {
  it("programs pull: each step ends as one ✓ line with its time, no spinner frame left", async () => {
    const programs = fake.control.licenses().length;
    const run = await onTerminal(["programs", "pull"]);
    const lines = plainLines(run.screen);
    expect(run.code, lines.join("\n")).toBe(0);
    const steps = stepLines(lines);
    expect(steps).toHaveLength(2);
    expect(steps[0]).toMatch(finished("✓", `Pulling programs of Coursera org ${fake.orgId}`));
    expect(steps[1]).toMatch(finished("✓", `Pulling program members (${programs} programs)`));
    for (const line of lines) expect(line).not.toMatch(LEFTOVER);
    // The command's own summary comes after the steps, as before.
    const summary = lines.findIndex((l) => l.startsWith("✓ Pulled "));
    expect(summary).toBeGreaterThan(lines.findIndex((l) => l.trim() === steps[1]));
  }, 60_000);

  it("courses refresh (NO_COLOR): a ✓ line per step, drawn without colour", async () => {
    ok(await box.gg4l(["programs", "pull"]));
    ok(await box.gg4l(["programs", "activate", "Data Science"]));
    const run = await onTerminal(["courses", "refresh", "--all"], { NO_COLOR: "1" });
    const lines = plainLines(run.screen);
    expect(run.code, lines.join("\n")).toBe(0);
    expect(run.screen).not.toMatch(/\u001b\[[0-9;]*m/);
    expect(stepLines(lines)).toEqual([
      expect.stringMatching(finished("✓", "Refreshing courses of 1 program(s)")),
    ]);
    expect(lines.some((l) => /^✓ Refreshed \d+ course\(s\) of 1 program\(s\)/.test(l))).toBe(true);
    for (const line of lines) expect(line).not.toMatch(LEFTOVER);
  }, 60_000);

  it("a pull Coursera answers badly: the step that failed ends with ✗, then the error as always", async () => {
    fake.addFault({ kind: "malformedJson", path: "/users", count: 10 });
    const run = await onTerminal(["programs", "pull"]);
    const lines = plainLines(run.screen);
    expect(run.code, lines.join("\n")).toBe(1);
    const programs = fake.control.licenses().length;
    expect(stepLines(lines)).toEqual([
      expect.stringMatching(finished("✓", `Pulling programs of Coursera org ${fake.orgId}`)),
      expect.stringMatching(finished("✗", `Pulling program members (${programs} programs)`)),
    ]);
    const failedAt = lines.findIndex((l) => l.trim().startsWith("✗ Pulling program members"));
    const error = lines.findIndex((l) => /malformed JSON/.test(l));
    expect(error).toBeGreaterThan(failedAt);
    expect(lines.some((l) => /hint:/.test(l))).toBe(true);
    for (const line of lines) expect(line).not.toMatch(/[\u2800-\u28ff]/);
  }, 60_000);

  it("--debug lines during a step are lines of their own: the spinner is lifted, not torn", async () => {
    const run = await onTerminal(["programs", "pull", "--debug"]);
    const lines = plainLines(run.screen);
    expect(run.code, lines.join("\n")).toBe(0);
    const debug = lines.filter((l) => l.includes("debug: http GET"));
    expect(debug.length).toBeGreaterThan(0);
    for (const line of debug) expect(line.trim()).toMatch(/^debug: http GET /);
    expect(stepLines(lines)).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(LEFTOVER);
  }, 60_000);
});

describe("steps piped", () => {
  it("a plain line per step on stderr, none on stdout; --json piped prints no step", async () => {
    const programs = fake.control.licenses().length;
    const pull = ok(await box.gg4l(["programs", "pull"]));
    const pullLines = pull.stderr.split("\n");
    expect(pullLines.filter((l) => /Pulling/.test(l))).toEqual([
      `Pulling programs of Coursera org ${fake.orgId}…`,
      `Pulling program members (${programs} programs)…`,
    ]);
    expect(pull.stderr).not.toMatch(/\u001b|\r|[\u2800-\u28ff]/);
    expect(pull.stdout).toBe("");

    const activate = ok(await box.gg4l(["programs", "activate", "Data Science", "--refresh"]));
    expect(activate.stderr.split("\n").filter((l) => /Refreshing/.test(l))).toEqual([
      "Refreshing courses of 1 program(s)…",
    ]);
    const refresh = ok(await box.gg4l(["courses", "refresh", "--all"]));
    expect(refresh.stderr.split("\n").filter((l) => /Refreshing/.test(l))).toEqual([
      "Refreshing courses of 1 program(s)…",
    ]);
    expect(refresh.stdout).toBe("");
    const licenses = ok(await box.gg4l(["licenses", "--refresh"]));
    expect(licenses.stderr.split("\n").filter((l) => /Pulling/.test(l))).toHaveLength(2);

    for (const args of [
      ["programs", "pull", "--json"],
      ["courses", "refresh", "--all", "--json"],
      ["licenses", "--refresh", "--json"],
      ["programs", "activate", "Data Science", "--refresh", "--json"],
    ]) {
      const json = ok(await box.gg4l(args));
      expect(json.stderr, args.join(" ")).toBe("");
      expect(() => parseJson(json)).not.toThrow();
    }
    const pulled = parseJson<{ programs: number }>(ok(await box.gg4l(["programs", "pull", "--json"])));
    expect(pulled.programs).toBe(programs);
  }, 90_000);
});
