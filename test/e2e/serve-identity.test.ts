/**
 * Learner identity (R11) and test learners (R5) through real launches from the suite.fake LMS into
 * `gg4l serve`, and their repair through the CLI: a launch without an e-mail binds nobody and
 * takes no license, a binding made from the LMS user id gives way to the e-mail, `learners
 * link`/`unlink` repair a binding by hand, and a test learner's launch takes no license.
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { FAKE_LMS_KINDS, type FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import { parseJson } from "../helpers/gg4l.js";
import {
  type Box,
  connectLms,
  copyState,
  expectOk,
  type LearnerShow,
  publishOverHttp,
  readState,
  registerLms,
  type Serve,
  serveSuite,
  startServe,
  stateCounts,
} from "./serve-helpers.js";

const suite = serveSuite();

const program = (name: string) => suite.fake.control.licenses().find((p) => p.name === name)!;

async function setup(
  kind: FakeLmsKind,
  gradeSync: "assignment" | "course" | "final",
  serveArgs: string[] = [],
): Promise<{ box: Box; lms: FakeLms; serve: Serve; linkId: string }> {
  suite.fake.reset();
  const box = copyState(suite.template);
  const lms = await startFakeLms({ kind });
  await registerLms(box, lms, gradeSync);
  const serve = await startServe(box, serveArgs);
  connectLms(lms, serve.urls);
  suite.keep(box, lms, { close: async () => void (await serve.stop()) });
  const published = await publishOverHttp(lms, {
    program: "Data Science",
    course: "Introduction to Data Science",
  });
  return { box, lms, serve, linkId: published.links[0]!.id };
}

/** What each LMS's admin must switch on, as the page and doctor name it. */
const SETTING: Record<FakeLmsKind, RegExp> = {
  moodle: /Moodle: .*Share launcher&#39;s email with tool&quot; to &quot;Always/,
  canvas: /Canvas: set the Coursera developer key&#39;s privacy level to &quot;public/,
  blackboard: /Blackboard: .*Email address/,
  d2l: /Brightspace \(D2L\): .*tick &quot;Email/,
  schoology: /Schoology: .*send the name and e-mail/,
  buzz: /Buzz: .*share the user&#39;s e-mail address/,
};

const OPTION: Record<FakeLmsKind, "assignment" | "final"> = {
  moodle: "assignment",
  canvas: "assignment",
  d2l: "assignment",
  blackboard: "final",
  schoology: "final",
  buzz: "final",
};

describe.each(FAKE_LMS_KINDS)("%s: a launch without an e-mail (R11)", (kind) => {
  it("binds nobody, takes no license, tells the learner what the LMS admin must switch on; with the e-mail shared it signs them in", async () => {
    const { box, lms, serve, linkId } = await setup(kind, OPTION[kind]);
    lms.addUser({ userId: "nia", name: "Nia Learner", email: "nia@uni.example", contextId: lms.contextId });
    lms.updateRegistration({ shareEmail: false });
    const before = { state: stateCounts(box), used: program("Data Science").used };

    const refused = await lms.launch({ userId: "nia", contextId: lms.contextId, linkId });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("Your LMS did not share your e-mail address");
    expect(refused.body).toMatch(SETTING[kind]);
    expect(refused.body).not.toContain("gg4l");
    expect({ state: stateCounts(box), used: program("Data Science").used }).toEqual(before);
    expect(
      suite.fake.control.members(program("Data Science").programId).map((m) => m.externalId),
    ).not.toContain(expect.stringContaining(":nia"));
    await expect
      .poll(() => serve.log())
      .toMatch(/ launch-refused .*sub=nia .*reason=no-email .*license=none/);

    lms.updateRegistration({ shareEmail: true });
    const launched = await lms.launch({ userId: "nia", contextId: lms.contextId, linkId });
    expect(launched.status).toBe(302);
    expect(program("Data Science").used).toBe(before.used + 1);
    const shown = parseJson<LearnerShow>(
      await box.gg4l(["learners", "show", "nia@uni.example", "--offline", "--json"]),
    );
    expect(shown.lmsUsers).toEqual([expect.objectContaining({ sub: "nia", lmsKind: kind })]);
  });
});

describe("doctor counts launches without an e-mail", () => {
  it("per LMS, with the setting that fixes it", async () => {
    const { box, lms, linkId } = await setup("moodle", "assignment");
    lms.updateRegistration({ shareEmail: false });
    for (const who of ["a1", "a2"]) {
      lms.addUser({ userId: who, email: `${who}@uni.example`, contextId: lms.contextId });
      expect((await lms.launch({ userId: who, contextId: lms.contextId, linkId })).status).toBe(403);
    }
    await lms.launch({ userId: "a1", contextId: lms.contextId, linkId });
    const doctor = parseJson<{
      checks: Array<{ check: string; status: string; message: string; fix: string }>;
    }>(await box.gg4l(["doctor", "--json"]));
    const row = doctor.checks.find((c) => c.check === "no-email-launches")!;
    expect(row.status).toBe("warn");
    expect(row.message).toMatch(
      new RegExp(`^3 launch\\(es\\) by 2 LMS user\\(s\\) from moodle ${lms.issuer}`),
    );
    expect(row.fix).toContain(`"Share launcher's email with tool" to "Always"`);
  });
});

/** The state main left when a launch without an e-mail bound the LMS user to `<host>:<sub>`. */
function legacyBinding(box: Box, lms: FakeLms, sub: string, linkId: string): string {
  const synthetic = `${new URL(lms.issuer).host}:${sub}`;
  const db = new Database(box.db);
  try {
    const reg = db.prepare("SELECT id, tenant_id AS tenantId FROM lms_registrations").get() as {
      id: number;
      tenantId: number;
    };
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO lms_users (registration_id, sub, external_id, email, name, source, linked_by, first_seen_at, last_launch_at)
       VALUES (?, ?, ?, NULL, NULL, 'launch', 'lms-user-id', ?, ?)`,
    ).run(reg.id, sub, synthetic, now, now);
    db.prepare(
      `INSERT INTO launches (tenant_id, external_id, lms_sub, context_id, resource_link_id, program_id, course_id, launched_at)
       VALUES (?, ?, ?, ?, ?, ?, NULL, ?)`,
    ).run(reg.tenantId, synthetic, sub, lms.contextId, linkId, program("Data Science").programId, now);
  } finally {
    db.close();
  }
  return synthetic;
}

/** Coursera holds both the real learner and the synthetic one (a second license); gg4l pulled them. */
async function bothMembers(box: Box, real: string, synthetic: string): Promise<void> {
  const index = suite.fake.control.licenses().findIndex((p) => p.name === "Data Science");
  suite.fake.control.store.addMember(index, { externalId: real, email: real, fullName: "Ben Real" });
  suite.fake.control.store.addMember(index, {
    externalId: synthetic,
    email: `${synthetic.replace(/[:.]/g, "-")}@unknown.invalid`,
  });
  expectOk(await box.gg4l(["programs", "pull"]));
}

describe("a binding made from the LMS user id gives way to the e-mail (R11)", () => {
  it("the launch with the e-mail re-links the learner, moves their launches, takes no license and reports the wrong one", async () => {
    const { box, lms, serve, linkId } = await setup("moodle", "assignment");
    lms.addUser({ userId: "ben", email: "ben@uni.example", contextId: lms.contextId });
    const synthetic = legacyBinding(box, lms, "ben", linkId);
    await bothMembers(box, "ben@uni.example", synthetic);
    const used = program("Data Science").used;

    const launched = await lms.launch({ userId: "ben", contextId: lms.contextId, linkId });
    expect(launched.status).toBe(302);
    expect(program("Data Science").used).toBe(used);
    const shown = parseJson<LearnerShow>(
      await box.gg4l(["learners", "show", "ben@uni.example", "--offline", "--json"]),
    );
    expect(shown.lmsUsers).toEqual([expect.objectContaining({ sub: "ben", linkedBy: "email" })]);
    expect(shown.sso.launches).toHaveLength(2);
    const pid = program("Data Science").programId;
    await expect
      .poll(() => serve.log())
      .toMatch(
        new RegExp(
          ` launch .*learner=email replaced=${synthetic.replace(/\./g, "\\.")} wrong-licenses=${pid} freed=`,
        ),
      );
    expect(serve.log()).toContain("license=held");
    // The wrong license stays until someone frees it; the synthetic learner is still a member.
    expect(suite.fake.control.members(pid).map((m) => m.externalId)).toContain(synthetic);
  });

  it("serve --free-license frees the license the wrong binding took, through the Coursera API", async () => {
    const { box, lms, serve, linkId } = await setup("canvas", "assignment", ["--free-license"]);
    lms.addUser({ userId: "ben", email: "ben@uni.example", contextId: lms.contextId });
    const synthetic = legacyBinding(box, lms, "ben", linkId);
    await bothMembers(box, "ben@uni.example", synthetic);
    const used = program("Data Science").used;

    expect((await lms.launch({ userId: "ben", contextId: lms.contextId, linkId })).status).toBe(302);
    const pid = program("Data Science").programId;
    expect(program("Data Science").used).toBe(used - 1);
    expect(suite.fake.control.members(pid).map((m) => m.externalId)).not.toContain(synthetic);
    await expect.poll(() => serve.log()).toMatch(new RegExp(`freed=${pid}:removed`));
  });
});

describe("learners link / unlink repair a binding by hand", () => {
  it("dry run, link with --free-license, unlink; audited; exit 3 for unknown ids", async () => {
    const { box, lms, linkId } = await setup("d2l", "assignment");
    lms.addUser({ userId: "ben", email: "ben@uni.example", contextId: lms.contextId });
    const synthetic = legacyBinding(box, lms, "ben", linkId);
    await bothMembers(box, "ben@uni.example", synthetic);
    const pid = program("Data Science").programId;
    const used = program("Data Science").used;

    const before = stateCounts(box);
    const dry = parseJson<Record<string, unknown>>(
      await box.gg4l(["learners", "link", "ben", "ben@uni.example", "--dry-run", "--json"]),
    );
    expect(dry).toMatchObject({
      lmsUser: "ben",
      previous: synthetic,
      learner: "ben@uni.example",
      changed: true,
      dryRun: true,
      launches: 1,
      previousLicenses: [pid],
      freed: [],
    });
    expect(stateCounts(box)).toEqual(before);
    const human = await box.gg4l(["learners", "link", "ben", "ben@uni.example", "--dry-run"]);
    expect(human.code).toBe(0);
    expect(human.stderr).toContain(
      `Dry run: LMS user ben would be bound to ben@uni.example (now ${synthetic})`,
    );
    expect(human.stderr).toContain("pass --free-license to free it");

    const linked = parseJson<{ freed: Array<{ programId: string; outcome: string }>; launches: number }>(
      await box.gg4l(["learners", "link", "ben", "ben@uni.example", "--free-license", "--json"]),
    );
    expect(linked.freed).toEqual([{ programId: pid, outcome: "removed" }]);
    expect(linked.launches).toBe(1);
    expect(program("Data Science").used).toBe(used - 1);
    const shown = parseJson<LearnerShow>(
      await box.gg4l(["learners", "show", "ben@uni.example", "--offline", "--json"]),
    );
    expect(shown.lmsUsers).toEqual([expect.objectContaining({ sub: "ben", linkedBy: "manual" })]);
    expect(shown.sso.launches).toHaveLength(1);

    const again = parseJson<{ changed: boolean }>(
      await box.gg4l(["learners", "link", "ben", "ben@uni.example", "--json"]),
    );
    expect(again.changed).toBe(false);

    const unlinked = parseJson<{ learner: string | null; launches: number }>(
      await box.gg4l(["learners", "unlink", "ben", "--json"]),
    );
    expect(unlinked).toMatchObject({ learner: null, launches: 1 });
    expect(
      readState(box, (db) => db.prepare("SELECT external_id FROM lms_users WHERE sub = 'ben'").pluck().get()),
    ).toBe(null);
    // The next launch binds by e-mail again.
    expect((await lms.launch({ userId: "ben", contextId: lms.contextId, linkId })).status).toBe(302);
    expect(
      readState(box, (db) =>
        db.prepare("SELECT external_id || ' ' || linked_by FROM lms_users WHERE sub = 'ben'").pluck().get(),
      ),
    ).toBe("ben@uni.example email");

    const audit = parseJson<Array<{ command: string; message: string | null }>>(
      await box.gg4l(["audit", "--json"]),
    );
    const link = audit.find((a) => a.command === "learners link" && a.message?.includes("freed"));
    expect(link?.message).toBe(`lms user ben: ${synthetic} -> b…@uni.example; freed ${pid}:removed`);
    expect(audit.some((a) => a.command === "learners unlink")).toBe(true);
    expect(JSON.stringify(audit)).not.toContain("ben@uni.example");

    for (const args of [
      ["learners", "link", "nobody", "ben@uni.example"],
      ["learners", "link", "ben", "nobody@uni.example"],
      ["learners", "unlink", "nobody"],
    ]) {
      const counts = stateCounts(box);
      const result = await box.gg4l(args);
      expect(result.code, args.join(" ")).toBe(3);
      // What the operator typed is quoted back as typed.
      expect(result.stderr).toMatch(/no (LMS user|Coursera learner) "nobody(@uni\.example)?"/);
      expect(stateCounts(box)).toEqual(counts);
    }
  });
});

describe("test learners stay out (R5)", () => {
  it("a removed test learner keeps the mark, takes no license by launching unless test-launches allow; doctor and audit say so", async () => {
    const { box, lms, serve, linkId } = await setup("blackboard", "final");
    lms.addUser({ userId: "tess", email: "tess@uni.example", contextId: lms.contextId });
    expect((await lms.launch({ userId: "tess", contextId: lms.contextId, linkId })).status).toBe(302);
    expectOk(await box.gg4l(["learners", "mark-test", "tess@uni.example"]));
    expectOk(await box.gg4l(["learners", "remove", "tess@uni.example", "--program", "Data Science"]));
    const used = program("Data Science").used;

    const shown = parseJson<LearnerShow & { test: boolean }>(
      await box.gg4l(["learners", "show", "tess@uni.example", "--offline", "--json"]),
    );
    expect(shown.test).toBe(true);
    expect(shown.licenses).toBe(0);

    const refused = await lms.launch({ userId: "tess", contextId: lms.contextId, linkId });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("This is a test account");
    expect(refused.body).toContain("Coursera admin to unmark your account");
    expect(refused.body).not.toContain("gg4l");
    expect(program("Data Science").used).toBe(used);
    await expect
      .poll(() => serve.log())
      .toMatch(
        / launch-refused .*learner=tess@uni\.example|launch-refused .*learner=t…@uni\.example .*reason=test-learner/,
      );

    const doctor = parseJson<{ checks: Array<{ check: string; message: string }> }>(
      await box.gg4l(["doctor", "--json"]),
    );
    expect(doctor.checks.find((c) => c.check === "test-learners")!.message).toMatch(
      /1 launch\(es\) by test learners took no license/,
    );

    const audit = parseJson<Array<{ command: string; message: string | null }>>(
      await box.gg4l(["audit", "--json"]),
    );
    expect(audit.find((a) => a.command === "learners remove")?.message).toBe(
      `program ${program("Data Science").programId}: t…@uni.example removed`,
    );
    expect(audit.find((a) => a.command === "learners mark-test")?.message).toBe(
      "marked test: t…@uni.example",
    );

    const allow = parseJson<{ setting: string; value: string; changed: boolean }>(
      await box.gg4l(["settings", "set", "test-launches", "allow", "--json"]),
    );
    expect(allow).toEqual({ tenant: "fsu", setting: "test-launches", value: "allow", changed: true });
    expect((await box.gg4l(["settings", "set", "test-launches", "maybe"])).code).toBe(2);
    expect(
      parseJson<{ testLaunches: string }>(await box.gg4l(["settings", "show", "--json"])).testLaunches,
    ).toBe("allow");
    expect((await lms.launch({ userId: "tess", contextId: lms.contextId, linkId })).status).toBe(302);
    expect(program("Data Science").used).toBe(used + 1);
  });
});
