import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { FakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { CourseraClient } from "../../src/clients/coursera/client.js";
import { type Box, courseraTenantSuite } from "../helpers/coursera-tenant.js";
import { parseJson, type RunResult } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal } from "../helpers/pty.js";

let fake: FakeCoursera;
let box: Box;
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

courseraTenantSuite((f, b) => {
  fake = f;
  box = b;
});

function expectExit(result: RunResult, code: number, stderrMatch?: RegExp): RunResult {
  if (result.code !== code)
    throw new Error(`expected exit ${code}, got ${result.code}\n${result.stderr}${result.stdout}`);
  if (stderrMatch) expect(result.stderr).toMatch(stderrMatch);
  return result;
}

interface ProgramJson {
  id: string;
  name: string;
  active: boolean;
  courses: number;
  gradableItems: number;
  licenses: { used: number; total: number | null; available: number | null; test: number };
}

const programsByName = async () =>
  new Map(parseJson<ProgramJson[]>(await box.gg4l(["programs", "list", "--json"])).map((p) => [p.name, p]));

async function pullAndActivate(...names: string[]): Promise<Map<string, ProgramJson>> {
  expectExit(await box.gg4l(["programs", "pull"]), 0);
  if (names.length > 0) expectExit(await box.gg4l(["programs", "activate", ...names]), 0);
  return programsByName();
}

describe("programs", () => {
  it("pull brings every program in inactive (R2), with licenses as Coursera counts them", async () => {
    const pulled = parseJson<{ programs: number; added: Array<{ name: string }>; memberships: number }>(
      expectExit(await box.gg4l(["programs", "pull", "--json"]), 0),
    );
    const counts = fake.control.licenses();
    expect(pulled.programs).toBe(counts.length);
    expect(pulled.added.map((p) => p.name).sort()).toEqual(counts.map((c) => c.name).sort());
    expect(pulled.memberships).toBe(counts.reduce((sum, c) => sum + c.used, 0));
    const programs = await programsByName();
    for (const c of counts) {
      expect(programs.get(c.name)).toMatchObject({
        active: false,
        licenses: { used: c.used, total: c.licenseCap },
      });
    }
    const again = parseJson<{ added: unknown[] }>(await box.gg4l(["programs", "pull", "--json"]));
    expect(again.added).toEqual([]);
  });

  it("activate and deactivate are idempotent and audited; unknown → 3; no name without a terminal → 2", async () => {
    await pullAndActivate();
    const first = parseJson<{ changed: Array<{ name: string }> }>(
      await box.gg4l(["programs", "activate", "Data Sci", "--json"]),
    );
    expect(first.changed.map((p) => p.name)).toEqual(["Data Science"]);
    const again = expectExit(await box.gg4l(["programs", "activate", "data science"]), 0, /already active/);
    expect(again.stdout).toBe("");
    expect((await programsByName()).get("Data Science")!.active).toBe(true);
    expect(
      parseJson<ProgramJson[]>(await box.gg4l(["programs", "list", "--active", "--json"])).map((p) => p.name),
    ).toEqual(["Data Science"]);
    expectExit(await box.gg4l(["programs", "deactivate", "Data Science"]), 0, /Deactivated/);
    expectExit(await box.gg4l(["programs", "activate", "Astrophysics"]), 3, /no program "Astrophysics"/);
    expectExit(await box.gg4l(["programs", "activate"]), 2, /name the programs to activate/);
    const audit = parseJson<Array<{ command: string; outcome: string }>>(await box.gg4l(["audit", "--json"]));
    expect(audit.filter((e) => e.command === "programs activate").map((e) => e.outcome)).toEqual([
      "failed",
      "failed",
      "ok",
      "ok",
    ]);
  });

  it("activate --refresh pulls the courses at once; without it, the hint names the command", async () => {
    await pullAndActivate();
    const plain = expectExit(await box.gg4l(["programs", "activate", "Data Science"]), 0);
    const id = (await programsByName()).get("Data Science")!.id;
    expect(plain.stderr).toContain(
      `Next: pull their courses so they can be published: gg4l courses refresh --program ${id}`,
    );
    expect(parseJson<unknown[]>(await box.gg4l(["courses", "list", "--json"]))).toEqual([]);

    const refreshed = parseJson<{
      changed: unknown[];
      unchanged: Array<{ name: string }>;
      refresh: { courses: number; added: Array<{ programName: string }> };
    }>(expectExit(await box.gg4l(["programs", "activate", "Data Science", "--refresh", "--json"]), 0));
    expect(refreshed.unchanged.map((p) => p.name)).toEqual(["Data Science"]);
    expect(refreshed.refresh.courses).toBeGreaterThan(0);
    expect(refreshed.refresh.added).toHaveLength(refreshed.refresh.courses);
    expect(new Set(refreshed.refresh.added.map((c) => c.programName))).toEqual(new Set(["Data Science"]));
    const listed = parseJson<unknown[]>(await box.gg4l(["courses", "list", "--json"]));
    expect(listed).toHaveLength(refreshed.refresh.courses);
    const human = expectExit(await box.gg4l(["programs", "activate", "Cloud Computing", "--refresh"]), 0);
    expect(human.stderr).toMatch(/Activated Cloud Computing/);
    expect(human.stderr).toMatch(/Refreshed \d+ course\(s\) of 1 program\(s\)/);
    expect(human.stderr).not.toMatch(/Next: pull their courses/);
    expectExit(
      await box.gg4l(["programs", "deactivate", "Cloud Computing", "--refresh"]),
      2,
      /unknown option/,
    );
  });

  it("licenses says how old its figures are, and --refresh reads them from Coursera", async () => {
    const programs = await pullAndActivate("Data Science");
    const program = programs.get("Data Science")!;
    const before = parseJson<Array<{ programId: string; used: number; pulledAt: string }>>(
      await box.gg4l(["licenses", "--program", program.id, "--json"]),
    )[0]!;
    expect(Date.parse(before.pulledAt)).not.toBeNaN();
    const human = expectExit(await box.gg4l(["licenses"]), 0);
    expect(human.stderr).toMatch(
      /As of the last read from Coursera, \d+ s ago .*`gg4l licenses --refresh` reads them now/,
    );
    const client = new CourseraClient({
      baseUrl: fake.baseUrl,
      orgId: fake.orgId,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
    });
    await client.addMember(program.id, { externalId: "late-joiner@fsu.edu" });
    const stale = parseJson<Array<{ used: number }>>(
      await box.gg4l(["licenses", "--program", program.id, "--json"]),
    );
    expect(stale[0]!.used).toBe(before.used);
    const fresh = parseJson<Array<{ used: number; pulledAt: string }>>(
      await box.gg4l(["licenses", "--program", program.id, "--refresh", "--json"]),
    );
    expect(fresh[0]!.used).toBe(before.used + 1);
    expect(fresh[0]!.pulledAt >= before.pulledAt).toBe(true);
    expect(expectExit(await box.gg4l(["licenses", "--refresh"]), 0).stderr).toMatch(
      /Read from Coursera just now/,
    );
  });

  it("show lists courses, gradable items, licenses and test learners, and warns at the license cap", async () => {
    const programs = await pullAndActivate("Data Science", "Cloud Computing");
    expectExit(await box.gg4l(["courses", "refresh", "--all"]), 0);
    expectExit(
      await box.gg4l([
        "learners",
        "mark-test",
        fake.control.members(programs.get("Cloud Computing")!.id)[0]!.externalId,
      ]),
      0,
    );
    const shown = parseJson<ProgramJson & { courseList: unknown[]; testLearners: unknown[] }>(
      await box.gg4l(["programs", "show", "Cloud", "--json"]),
    );
    expect(shown.courseList.length).toBe(shown.courses);
    expect(shown.courses).toBeGreaterThan(0);
    expect(shown.gradableItems).toBeGreaterThan(0);
    expect(shown.testLearners).toHaveLength(1);
    // Fill the program closest to its cap through the API, as a launch would.
    const nearest = [...fake.control.licenses()].sort((x, y) => x.available - y.available)[0]!;
    const client = new CourseraClient({
      baseUrl: fake.baseUrl,
      orgId: fake.orgId,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
    });
    for (let i = 0; i < nearest.available; i++)
      await client.addMember(nearest.programId, { externalId: `filler${i}@fsu.edu` });
    const refused = await client
      .addMember(nearest.programId, { externalId: "one-too-many@fsu.edu" })
      .catch((e: Error) => e);
    expect(String(refused)).toContain(
      `no licenses left in program ${nearest.programId}: remove test learners or buy more`,
    );
    expectExit(await box.gg4l(["programs", "pull"]), 0);
    const human = await box.gg4l(["licenses"]);
    expect(human.stderr).toContain(
      `no licenses left in program ${nearest.name}: remove test learners or buy more`,
    );
    const row = parseJson<Array<{ programId: string; available: number }>>(
      await box.gg4l(["licenses", "--json"]),
    ).find((r) => r.programId === nearest.programId);
    expect(row!.available).toBe(0);
  });
});

describe("courses", () => {
  it("refresh needs --program or --all, refuses inactive programs, and reports added courses (R3)", async () => {
    const programs = await pullAndActivate("Data Science");
    expectExit(await box.gg4l(["courses", "refresh"]), 2, /--program <program> or --all/);
    expectExit(await box.gg4l(["courses", "refresh", "--program", "Business"]), 2, /not active/);
    const first = parseJson<{ courses: number; added: unknown[] }>(
      await box.gg4l(["courses", "refresh", "--all", "--json"]),
    );
    expect(first.added.length).toBe(first.courses);
    const none = parseJson<{ added: unknown[]; removed: unknown[] }>(
      await box.gg4l(["courses", "refresh", "--program", "Data Science", "--json"]),
    );
    expect(none).toMatchObject({ added: [], removed: [] });

    const { content } = fake.control.addCourse({
      programId: programs.get("Data Science")!.id,
      name: "Deep Learning Now",
      items: 4,
    });
    const after = parseJson<{ added: Array<{ courseId: string; name: string }> }>(
      await box.gg4l(["courses", "refresh", "--all", "--json"]),
    );
    expect(after.added).toEqual([
      {
        programId: programs.get("Data Science")!.id,
        programName: "Data Science",
        courseId: content.id ?? content.contentId,
        name: "Deep Learning Now",
      },
    ]);
    fake.control.addCourse({ programId: programs.get("Data Science")!.id, name: "Graph Theory", items: 2 });
    const human = expectExit(await box.gg4l(["courses", "refresh", "--all"]), 0);
    expect(human.stderr).toMatch(/added: Graph Theory \(.+\) to Data Science\n/);
    const listed = parseJson<Array<{ name: string; programs: string[] }>>(
      await box.gg4l(["courses", "list", "--program", "Data Science", "--json"]),
    );
    expect(listed.map((c) => c.name)).toContain("Deep Learning Now");
  });
});

describe("learners", () => {
  it("show explains a learner who never launched from the LMS (R4); unknown → 3 with the same advice", async () => {
    const programs = await pullAndActivate("Data Science");
    const member = fake.control.members(programs.get("Data Science")!.id)[0]!;
    const shown = parseJson<{
      sso: { linked: boolean };
      licenses: number;
      diagnosis: string[];
      grades: unknown[] | null;
    }>(await box.gg4l(["learners", "show", member.externalId, "--json"]));
    expect(shown.sso.linked).toBe(false);
    expect(shown.licenses).toBeGreaterThan(0);
    expect(shown.grades).not.toBeNull();
    expect(shown.diagnosis[0]).toMatch(
      /never launched a link from the LMS — ask the learner to open the link published in their LMS course/,
    );
    const offline = parseJson<{ grades: unknown }>(
      await box.gg4l(["learners", "show", member.externalId, "--offline", "--json"]),
    );
    expect(offline.grades).toBeNull();
    // The e-mail the operator typed is theirs: the message quotes it back as typed.
    const unknown = expectExit(await box.gg4l(["learners", "show", "ghost@nowhere.edu"]), 3);
    expect(unknown.stderr).toMatch(/signing in on coursera\.org directly does not connect the accounts/);
    expect(unknown.stderr).toContain('no learner "ghost@nowhere.edu" in tenant');
    const unknownJson = expectExit(await box.gg4l(["learners", "show", "--json", "ghost@nowhere.edu"]), 3);
    expect(JSON.parse(unknownJson.stderr).error.message).toContain('no learner "ghost@nowhere.edu"');
  });

  it("list and courses list show program names on a terminal; piped, the id columns stay and names come last", async () => {
    const programs = await pullAndActivate("Data Science");
    expectExit(await box.gg4l(["courses", "refresh", "--all"]), 0);
    const id = programs.get("Data Science")!.id;
    const json = parseJson<
      Array<{ externalId: string; email: string | null; programs: string[]; programNames: string[] }>
    >(await box.gg4l(["learners", "list", "--program", id, "--json"]));
    expect(json[0]!.programs).toContain(id);
    expect(json[0]!.programNames[json[0]!.programs.indexOf(id)]).toBe("Data Science");
    const piped = (await box.gg4l(["learners", "list", "--program", id])).stdout.trim().split("\n");
    const first = piped[0]!.split("\t");
    expect(first).toHaveLength(7);
    expect(first[0]).toBe(json[0]!.externalId);
    expect(first[3]).toContain(id);
    expect(first[6]).toContain("Data Science");
    const screen = plainLines(
      (await runOnTerminal(["learners", "list", "--program", id], { env: { GG4L_DB: box.db } })).screen,
    );
    const header = screen.find((line) => /PROGRAMS/.test(line))!;
    const sameIds = json.every((l) => l.email === null || l.email === l.externalId);
    expect(header).toMatch(sameIds ? /^EXTERNAL ID = E-MAIL +NAME/ : /^EXTERNAL ID +EMAIL +NAME/);
    expect(header).not.toMatch(/PROGRAM NAMES/);
    expect(screen.some((line) => line.includes("Data Science"))).toBe(true);
    expect(screen.join("\n")).not.toContain(id);

    const courses = (await box.gg4l(["courses", "list"])).stdout.trim().split("\n");
    expect(courses[0]!.split("\t")[2]).toContain(id);
    expect(courses[0]!.split("\t")[5]).toContain("Data Science");
    const courseScreen = plainLines(
      (await runOnTerminal(["courses", "list"], { env: { GG4L_DB: box.db } })).screen,
    );
    expect(courseScreen.join("\n")).toMatch(/Data Science/);
    expect(courseScreen.join("\n")).not.toContain(id);
  });

  it("list filters by program, test flag and SSO; mark-test/unmark-test report per learner", async () => {
    const programs = await pullAndActivate("Data Science");
    const members = fake.control.members(programs.get("Data Science")!.id);
    const listed = parseJson<Array<{ externalId: string; sso: boolean }>>(
      await box.gg4l(["learners", "list", "--program", "Data Science", "--json"]),
    );
    expect(listed.map((l) => l.externalId).sort()).toEqual(members.map((m) => m.externalId).sort());
    expect(
      parseJson<unknown[]>(
        await box.gg4l(["learners", "list", "--program", "Data Science", "--no-sso", "--json"]),
      ),
    ).toHaveLength(members.length);
    const [a, b] = members;
    expectExit(await box.gg4l(["learners", "mark-test", a!.externalId, b!.email ?? b!.externalId]), 0);
    expect(
      parseJson<Array<{ externalId: string }>>(await box.gg4l(["learners", "list", "--test", "--json"]))
        .map((l) => l.externalId)
        .sort(),
    ).toEqual([a!.externalId, b!.externalId].sort());
    expectExit(await box.gg4l(["learners", "unmark-test", b!.externalId]), 0);
    expectExit(await box.gg4l(["learners", "mark-test", "nobody@x.edu"]), 3, /no such learner/);
    const mixed = expectExit(
      await box.gg4l(["learners", "mark-test", a!.externalId, "nobody@x.edu", "--json"]),
      5,
    );
    expect(parseJson<{ results: Array<{ outcome: string }> }>(mixed).results.map((r) => r.outcome)).toEqual([
      "unchanged",
      "not-found",
    ]);
  });

  it("remove --test frees exactly the test learners' licenses; --dry-run changes nothing anywhere", async () => {
    const programs = await pullAndActivate("Data Science");
    const program = programs.get("Data Science")!;
    const members = fake.control.members(program.id);
    const tests = members.slice(0, 3).map((m) => m.externalId);
    expectExit(await box.gg4l(["learners", "mark-test", ...tests]), 0);
    const before = fake.control.licenses().find((c) => c.programId === program.id)!;

    const dbBefore = sha(box.db);
    const requestsBefore = fake.requests().filter((r) => r.method !== "GET").length;
    const dry = parseJson<{ dryRun: boolean; learners: Array<{ externalId: string }> }>(
      expectExit(
        await box.gg4l(["learners", "remove", "--test", "--program", program.id, "--dry-run", "--json"]),
        0,
      ),
    );
    expect(dry.learners.map((l) => l.externalId).sort()).toEqual([...tests].sort());
    expect(sha(box.db)).toBe(dbBefore);
    expect(fake.requests().filter((r) => r.method !== "GET").length).toBe(requestsBefore);
    expect(fake.control.licenses().find((c) => c.programId === program.id)!.used).toBe(before.used);

    expectExit(
      await box.gg4l(["learners", "remove", "--test", "--program", program.id]),
      2,
      new RegExp(`--confirm ${program.id}`),
    );
    expectExit(
      await box.gg4l(["learners", "remove", "--test", "--program", program.id, "--confirm", "wrong"]),
      2,
      /does not name program/,
    );
    expect(fake.control.licenses().find((c) => c.programId === program.id)!.used).toBe(before.used);

    const removed = parseJson<{ freed: number; results: Array<{ outcome: string }> }>(
      expectExit(
        await box.gg4l([
          "learners",
          "remove",
          "--test",
          "--program",
          program.id,
          "--confirm",
          program.id,
          "--json",
        ]),
        0,
      ),
    );
    expect(removed.freed).toBe(3);
    const after = fake.control.licenses().find((c) => c.programId === program.id)!;
    expect(after.used).toBe(before.used - 3);
    const remaining = new Set(fake.control.members(program.id).map((m) => m.externalId));
    for (const t of tests) expect(remaining.has(t)).toBe(false);
    expect(remaining.size).toBe(members.length - 3);
    const licenses = parseJson<Array<{ programId: string; used: number; test: number }>>(
      await box.gg4l(["licenses", "--program", program.id, "--json"]),
    );
    expect(licenses[0]).toMatchObject({ used: before.used - 3, test: 0 });
  });

  it("one named learner needs no --confirm; a failure for one learner exits 5 with the rest done", async () => {
    const programs = await pullAndActivate("Data Science");
    const program = programs.get("Data Science")!;
    const [one, two, three] = fake.control.members(program.id);
    expectExit(
      await box.gg4l(["learners", "remove", one!.externalId, "--program", "Data Science"]),
      0,
      /1 license\(s\) freed/,
    );
    fake.addFault({
      kind: "serverError",
      status: 500,
      count: 20,
      method: "DELETE",
      path: encodeURIComponent(three!.externalId),
    });
    const partial = expectExit(
      await box.gg4l([
        "learners",
        "remove",
        two!.externalId,
        three!.externalId,
        "--program",
        program.id,
        "--confirm",
        program.id,
        "--json",
      ]),
      5,
    );
    const outcome = parseJson<{ results: Array<{ externalId: string; outcome: string }> }>(partial).results;
    expect(outcome.find((r) => r.externalId === two!.externalId)!.outcome).toBe("removed");
    expect(outcome.find((r) => r.externalId === three!.externalId)!.outcome).toBe("failed");
    const stateMembers = parseJson<Array<{ externalId: string }>>(
      await box.gg4l(["learners", "list", "--program", program.id, "--json"]),
    ).map((l) => l.externalId);
    expect(stateMembers).not.toContain(two!.externalId);
    expect(stateMembers).toContain(three!.externalId);
  });
});

describe("bad answers from Coursera leave the state as it was", () => {
  it("malformed JSON or an HTML page mid-pull: a clear error and nothing half-written", async () => {
    for (const kind of ["malformedJson", "html"] as const) {
      fake.addFault({ kind, path: "/users", count: 10 });
      const failed = expectExit(
        await box.gg4l(["programs", "pull"]),
        1,
        kind === "html" ? /HTML page instead of JSON/ : /malformed JSON/,
      );
      expect(failed.stderr).toMatch(/hint:/);
      expect(parseJson<unknown[]>(await box.gg4l(["programs", "list", "--json"]))).toEqual([]);
      const audit = parseJson<Array<{ command: string; outcome: string }>>(
        await box.gg4l(["audit", "--limit", "1", "--json"]),
      );
      expect(audit[0]).toMatchObject({ command: "programs pull", outcome: "failed" });
      fake.reset();
    }
  });

  it("a wrong client secret exits 4 naming the tenant's credentials", async () => {
    const result = await box.gg4l(["programs", "pull"], {
      env: { GG4L_COURSERA_CLIENT_SECRET: "wrong-secret-value" },
    });
    expectExit(result, 4);
    expect(result.stderr).not.toContain("wrong-secret-value");
    expect(result.stderr).toMatch(/client id|secret|credential/i);
  });
});

describe("learner e-mails are redacted whatever they look like", () => {
  it("the audit masks learner arguments and flags; --debug never shows an e-mail, plain or URL-encoded", async () => {
    const programs = await pullAndActivate("Data Science");
    const member = fake.control.members(programs.get("Data Science")!.id).find((m) => m.email)!;
    for (const learner of [
      "evil.one@localhost",
      '"quoted name"@uni.edu',
      "ana@[127.0.0.1]",
      "jöhn.dœ@üni.edu",
    ])
      expectExit(await box.gg4l(["learners", "mark-test", learner]), 3);
    expectExit(await box.gg4l(["learners", "mark-test", member.externalId]), 0);
    const audit = parseJson<Array<{ command: string; args: string[] }>>(
      await box.gg4l(["audit", "--limit", "5", "--json"]),
    );
    const args = audit.filter((e) => e.command === "learners mark-test").flatMap((e) => e.args);
    expect(args.sort()).toEqual(
      [
        '"…@uni.edu',
        "a…@[127.0.0.1]",
        "e…@localhost",
        "j…@üni.edu",
        `${member.externalId[0]}…${member.externalId.includes("@") ? member.externalId.slice(member.externalId.lastIndexOf("@")) : ""}`,
      ].sort(),
    );

    // Typed on the command line, so quoted back in the error; the audit and --debug still mask it.
    const ghost = expectExit(await box.gg4l(["learners", "mark-test", "ghost@nowhere.edu", "--debug"]), 3);
    const lines = ghost.stderr.split("\n");
    expect(lines.filter((line) => line.startsWith("error:")).join("\n")).toContain("ghost@nowhere.edu");
    expect(lines.filter((line) => line.startsWith("debug:")).join("\n")).not.toContain("ghost@nowhere.edu");
    const ghostAudit = parseJson<Array<{ command: string; args: string[]; message: string | null }>>(
      await box.gg4l(["audit", "--limit", "1", "--json"]),
    );
    expect(ghostAudit[0]).toMatchObject({ command: "learners mark-test", args: ["g…@nowhere.edu"] });
    expect(JSON.stringify(ghostAudit)).not.toContain("ghost@nowhere.edu");

    // Typed, and sent to Coursera: the --debug trace of that request masks it all the same.
    const shown = await box.gg4l(["learners", "show", member.email!, "--debug"]);
    expect(shown.stderr).toMatch(/emailOrExternalId=/);
    const local = member.email!.split("@")[0]!;
    for (const form of [member.email!, encodeURIComponent(member.email!), local, encodeURIComponent(local)])
      expect(shown.stderr).not.toContain(form);
  });
});
