/** Issue 19 §6: text from a remote or from the state cannot drive the terminal; --json keeps it exact. */
import { spawnSync } from "node:child_process";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { binPath, parseJson, sandboxState } from "../helpers/gg4l.js";

// A window title, a screen clear, a bidi override, a tab and a newline, as a hostile remote could send them.
const COURSE = "Data\u001b]0;pwned\u0007 Science\u001b[2J\t101";
const LEARNER = "Ana\u001b[31m Red\u202e\nNext";
const PROGRAM = "Prog\u001b[H\u009b1m";

let box: ReturnType<typeof sandboxState>;
beforeEach(async () => {
  box = sandboxState();
  expect((await box.gg4l(["init"])).code).toBe(0);
  expect((await box.gg4l(["tenant", "add", "uni-x", "--name", "U", "--coursera-org", "org-1"])).code).toBe(0);
  const db = new Database(box.db);
  const tenant = (db.prepare("SELECT id FROM tenants").pluck().get() as number) ?? 0;
  const at = "2026-01-01T00:00:00.000Z";
  db.prepare(
    "INSERT INTO programs (tenant_id, program_id, name, first_seen_at, pulled_at) VALUES (?, 'p1', ?, ?, ?)",
  ).run(tenant, PROGRAM, at, at);
  db.prepare("INSERT INTO courses (tenant_id, course_id, name, refreshed_at) VALUES (?, 'c1', ?, ?)").run(
    tenant,
    COURSE,
    at,
  );
  db.prepare(
    "INSERT INTO program_courses (tenant_id, program_id, course_id, added_at) VALUES (?, 'p1', 'c1', ?)",
  ).run(tenant, at);
  db.prepare(
    "INSERT INTO learners (tenant_id, external_id, email, full_name, first_seen_at) VALUES (?, 'ext-1', 'ana@uni.edu', ?, ?)",
  ).run(tenant, LEARNER, at);
  db.prepare(
    "INSERT INTO memberships (tenant_id, program_id, external_id, state) VALUES (?, 'p1', 'ext-1', 'member')",
  ).run(tenant);
  db.close();
});
afterEach(() => box.cleanup());

/** No escape character is left but the colours gg4l adds itself; no stray carriage return; tabs only as separators. */
function expectInert(text: string, separators = "\t"): void {
  const ours = /\u001b\[(1|2|22|31|32|33|39)m/g;
  expect(text.replace(ours, "").replaceAll(separators, " ")).not.toMatch(
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/,
  );
}

describe("names with control characters", () => {
  it("are shown escaped in piped rows, records, messages and logs (NO_COLOR=1)", async () => {
    const courses = await box.gg4l(["courses", "list"]);
    expect(courses.code).toBe(0);
    expect(courses.stdout).toContain("Data\\x1b]0;pwned\\x07 Science\\x1b[2J\\t101");
    // The name's own tab is escaped: the row keeps its column count.
    expect(courses.stdout.split("\n")[0]!.split("\t")).toContain(
      "Data\\x1b]0;pwned\\x07 Science\\x1b[2J\\t101",
    );
    expectInert(courses.stdout);

    const learners = await box.gg4l(["learners", "list"]);
    expect(learners.code).toBe(0);
    expect(learners.stdout).toContain("Ana\\x1b[31m Red\\u202e\\nNext");
    expect(learners.stdout.trim().split("\n")).toHaveLength(1);
    expectInert(learners.stdout);

    const shown = await box.gg4l(["learners", "show", "ana@uni.edu"]);
    expect(shown.code).toBe(0);
    expectInert(shown.stdout);
    expect(shown.stdout).toContain("Ana\\x1b[31m Red");

    // A message on stderr quoting a program name from Coursera.
    const activated = await box.gg4l(["programs", "activate", "p1"]);
    expect(activated.code).toBe(0);
    expect(activated.stderr).toContain("Prog\\x1b[H\\x9b1m");
    expectInert(activated.stderr);

    // An error message quoting a name typed back at gg4l.
    const missing = await box.gg4l(["programs", "show", "no\u001b[2Jsuch"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("no\\x1b[2Jsuch");
    expectInert(missing.stderr);
  });

  it("keep their exact value under --json", async () => {
    const courses = parseJson<Array<{ name: string }>>(await box.gg4l(["courses", "list", "--json"]));
    expect(courses.map((c) => c.name)).toContain(COURSE);
    const learners = parseJson<Array<{ name: string }>>(await box.gg4l(["learners", "list", "--json"]));
    expect(learners[0]!.name).toBe(LEARNER);
  });

  it("are shown escaped on a terminal with colour on (a pseudo-terminal)", () => {
    const run = (args: string) =>
      spawnSync("script", ["-qec", `${process.execPath} ${binPath} ${args}`, "/dev/null"], {
        env: {
          ...process.env,
          GG4L_DB: box.db,
          NO_COLOR: undefined,
          FORCE_COLOR: undefined,
          TERM: "xterm",
          COLUMNS: "200",
        },
        encoding: "utf8",
      });
    for (const args of ["courses list", "learners list", "learners show ana@uni.edu", "programs list"]) {
      const result = run(args);
      expect(result.status, result.stdout).toBe(0);
      // script turns \n into \r\n: only those carriage returns are expected.
      expectInert(result.stdout.replaceAll("\r\n", "\n"));
    }
    expect(run("courses list").stdout).toContain("\\x1b]0;pwned\\x07");
    expect(run("learners list").stdout).toMatch(/\u001b\[1m/); // the header is bold: colour is on
  });
});
