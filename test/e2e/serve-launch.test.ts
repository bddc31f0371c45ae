/**
 * `gg4l serve` end to end, for every LMS personality: an instructor publishes through the
 * content picker (deep linking), then a learner launches through the full OIDC flow from the
 * suite.fake platform — first launch takes one license, the second none, the link is connected.
 */
import { describe, expect, it } from "vitest";
import type { AddUserInput } from "../../fixtures/fake-lms/admin.js";
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
  registerLms,
  type Serve,
  serveSuite,
  startServe,
} from "./serve-helpers.js";

const suite = serveSuite();

const programId = (name: string) => suite.fake.control.licenses().find((p) => p.name === name)!.programId;
const used = (name: string) => suite.fake.control.licenses().find((p) => p.name === name)!.used;

async function setup(
  kind: FakeLmsKind,
  gradeSync: "assignment" | "course" | "final",
): Promise<{ box: Box; lms: FakeLms; serve: Serve }> {
  suite.fake.reset();
  const box = copyState(suite.template);
  const lms = await startFakeLms({ kind });
  await registerLms(box, lms, gradeSync);
  const serve = await startServe(box);
  connectLms(lms, serve.urls);
  suite.keep(box, lms, { close: async () => void (await serve.stop()) });
  return { box, lms, serve };
}

const OPTION: Record<FakeLmsKind, "assignment" | "final"> = {
  moodle: "assignment",
  canvas: "assignment",
  d2l: "assignment",
  blackboard: "final",
  schoology: "final",
  buzz: "final",
};

describe.each(FAKE_LMS_KINDS)("%s", (kind) => {
  it("publishes through the picker, then a learner's first launch takes a license, the second none, and the link is connected", async () => {
    const { box, lms, serve } = await setup(kind, OPTION[kind]);
    const option = OPTION[kind];

    const published = await publishOverHttp(lms, {
      program: "Data Science",
      course: "Introduction to Data Science",
    });
    expect(published.headings).toEqual(
      option === "assignment"
        ? ["Choose a Coursera program", "Choose a course", "Choose the graded items"]
        : ["Choose a Coursera program", "Choose a course"],
    );
    expect(published.links).toHaveLength(1);
    const link = published.links[0]!;
    expect(link.targetLinkUri).toBe(serve.urls.launchUrl);
    expect(link.custom).toMatchObject({
      coursera_program_id: programId("Data Science"),
      gg4l_grade_sync: option,
    });
    const courseId = link.custom!.coursera_course_id!;
    const itemId = link.custom!.coursera_item_id;
    expect(itemId === undefined).toBe(option === "final");
    expect(published.lineItems).toEqual([
      expect.objectContaining({
        resourceLinkId: link.id,
        resourceId: option === "final" ? courseId : itemId,
        tag: option === "final" ? "coursera-final" : "coursera-item",
      }),
    ]);
    const lineItemUrl = published.lineItems[0]!.id;

    const email = `ana.${kind}@uni.example`;
    lms.addUser({ userId: `ana-${kind}`, name: "Ana Learner", email, contextId: lms.contextId });
    const before = used("Data Science");

    const first = await lms.launch({ userId: `ana-${kind}`, contextId: lms.contextId, linkId: link.id });
    expect(first.status).toBe(302);
    expect(first.headers.location).toMatch(
      option === "final"
        ? /^https:\/\/www\.coursera\.org\/learn\/[^/]+$/
        : new RegExp(`^https://www\\.coursera\\.org/learn/[^/]+/item/${itemId}$`),
    );
    expect(first.steps.map((s) => new URL(s.url).pathname)).toEqual([
      "/lti/login",
      new URL(lms.authUrl).pathname,
      "/lti/launch",
    ]);
    expect(used("Data Science")).toBe(before + 1);
    expect(suite.fake.control.members(programId("Data Science")).map((m) => m.externalId)).toContain(email);

    const second = await lms.launch({ userId: `ana-${kind}`, contextId: lms.contextId, linkId: link.id });
    expect(second.status).toBe(302);
    expect(used("Data Science")).toBe(before + 1);

    const shown = parseJson<LearnerShow>(await box.gg4l(["learners", "show", email, "--offline", "--json"]));
    expect(shown.externalId).toBe(email);
    expect(shown.memberships.map((m) => m.programId)).toContain(programId("Data Science"));
    expect(shown.sso.linked).toBe(true);
    expect(shown.sso.launches).toHaveLength(2);
    expect(shown.lmsUsers).toEqual([
      expect.objectContaining({ issuer: lms.issuer, lmsKind: kind, sub: `ana-${kind}` }),
    ]);
    expect(shown.links).toEqual([
      expect.objectContaining({
        resourceLinkId: link.id,
        connected: true,
        stale: false,
        lineItemUrl,
        lineItemsUrl: lms.lineitemsUrl,
        nrpsUrl: lms.membershipsUrl,
        courseId,
        itemId: itemId ?? null,
        gradeSync: option,
      }),
    ]);

    // The server's log arrives on its own pipe: wait for the second launch's line.
    await expect.poll(() => serve.log()).toMatch(/ launch .*license=held /);
    const log = serve.log();
    expect(log).toMatch(/ published .*links=1 line-items=1/);
    expect(log).toMatch(
      new RegExp(` launch tenant=fsu lms=${kind} .*link=${link.id} .*license=taken .*grading=connected`),
    );
    expect(log).toMatch(/ launch .*license=held /);
    expect(log).not.toContain(email);
    expect(log).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });
});

describe("grade-sync options and rules", () => {
  it("Option B (course): the link carries no line item; the launch stores the line-items container and connects it", async () => {
    const { box, lms } = await setup("canvas", "course");
    const published = await publishOverHttp(lms, {
      program: "Data Science",
      course: "Python for Data Analysis",
    });
    expect(published.headings).toEqual(["Choose a Coursera program", "Choose a course"]);
    expect(published.lineItems).toEqual([]);
    expect(published.links[0]!.custom).not.toHaveProperty("coursera_item_id");
    lms.addUser({ userId: "bo", email: "bo@uni.example", contextId: lms.contextId });
    const launched = await lms.launch({
      userId: "bo",
      contextId: lms.contextId,
      linkId: published.links[0]!.id,
      loginMethod: "POST",
    });
    expect(launched.status).toBe(302);
    expect(launched.steps[0]).toMatchObject({ method: "POST", status: 302 });
    const human = expectOk(await box.gg4l(["learners", "show", "bo@uni.example", "--offline"]));
    expect(human.stdout).toContain(`lms users\tbo (canvas ${lms.issuer}, from launch)`);
    const row = human.stdout.split("\n").find((line) => line.startsWith("Python for Data Analysis\t"));
    expect(row?.split("\t")).toEqual([
      "Python for Data Analysis",
      lms.contextId,
      expect.any(String),
      "-",
      "connected (course)",
      lms.lineitemsUrl,
      expect.stringMatching(/^\d{4}-/),
    ]);
    const shown = parseJson<LearnerShow>(
      await box.gg4l(["learners", "show", "bo@uni.example", "--offline", "--json"]),
    );
    expect(shown.links).toEqual([
      expect.objectContaining({
        connected: true,
        lineItemUrl: null,
        lineItemsUrl: lms.lineitemsUrl,
        gradeSync: "course",
      }),
    ]);
  });

  it("R1: a link published under another option still signs the learner in but is not connected; the log says so", async () => {
    const { box, lms, serve } = await setup("moodle", "assignment");
    const early = await publishOverHttp(lms, { program: "Data Science", course: "Statistics Essentials" });
    const late = await publishOverHttp(lms, { program: "Data Science", course: "Statistics Essentials" });
    lms.addUser({ userId: "cy", email: "cy@uni.example", contextId: lms.contextId });
    expect(
      (await lms.launch({ userId: "cy", contextId: lms.contextId, linkId: early.links[0]!.id })).status,
    ).toBe(302);
    expectOk(await box.gg4l(["settings", "set", "grade-sync", "final", "--yes"]));

    // Launched before the change (marked stale by it), and never launched before it.
    for (const link of [early.links[0]!, late.links[0]!]) {
      const launched = await lms.launch({ userId: "cy", contextId: lms.contextId, linkId: link.id });
      expect(launched.status).toBe(302);
      expect(launched.headers.location).toMatch(/^https:\/\/www\.coursera\.org\/learn\//);
    }
    const shown = parseJson<LearnerShow>(
      await box.gg4l(["learners", "show", "cy@uni.example", "--offline", "--json"]),
    );
    const byId = new Map(shown.links.map((l) => [l.resourceLinkId, l]));
    expect(byId.get(early.links[0]!.id)).toMatchObject({ stale: true, connected: false });
    expect(byId.get(late.links[0]!.id)).toMatchObject({
      stale: true,
      connected: false,
      lineItemUrl: null,
      lineItemsUrl: null,
    });
    expect(shown.diagnosis.join("\n")).toMatch(/is stale .*republish it/);
    await expect
      .poll(() => serve.log())
      .toMatch(
        /launch .*grading=stale note="published under grade-sync \\"assignment\\", the LMS now uses \\"final\\": the learner is signed in, the link is not connected for grading"/,
      );
  });

  it("a full program shows a page saying so and what the institution can do; the launch is recorded without a license", async () => {
    const { box, lms } = await setup("blackboard", "final");
    const published = await publishOverHttp(lms, {
      program: "Cloud Computing",
      course: "Hands-on Networking",
    });
    const linkId = published.links[0]!.id;
    expect(suite.fake.control.licenses().find((p) => p.name === "Cloud Computing")!.available).toBe(1);
    for (const who of ["dee", "eli"])
      lms.addUser({ userId: who, email: `${who}@uni.example`, contextId: lms.contextId });

    expect((await lms.launch({ userId: "dee", contextId: lms.contextId, linkId })).status).toBe(302);
    const full = await lms.launch({ userId: "eli", contextId: lms.contextId, linkId });
    expect(full.status).toBe(409);
    expect(full.body).toContain("No Coursera license left");
    expect(full.body).toContain("Cloud Computing");
    expect(full.body).toContain("ask your institution&#39;s Coursera admin to free or add licenses");
    expect(full.body).not.toContain("gg4l");
    expect(suite.fake.control.licenses().find((p) => p.name === "Cloud Computing")!.available).toBe(0);

    const shown = parseJson<LearnerShow>(
      await box.gg4l(["learners", "show", "eli@uni.example", "--offline", "--json"]),
    );
    expect(shown.licenses).toBe(0);
    expect(shown.sso.linked).toBe(true);
    expect(shown.diagnosis.join("\n")).toMatch(/holds no program license: the program may be full/);
  });
});

describe("valid launch variants of §2.2", () => {
  it("accepts instructors, several roles, unknown roles, no role, e-mail only, names only and no personal data", async () => {
    const { box, lms, serve } = await setup("d2l", "final");
    const published = await publishOverHttp(lms, {
      program: "Data Science",
      course: "Python for Data Analysis",
    });
    const linkId = published.links[0]!.id;
    const variants: Array<AddUserInput & { userId: string }> = [
      { userId: "v-instructor", email: "inst@uni.example", roles: ["Instructor"] },
      { userId: "v-many", email: "many@uni.example", roles: ["Learner", "Mentor", "TeachingAssistant"] },
      {
        userId: "v-unknown-role",
        email: "odd@uni.example",
        roles: ["Learner", "http://example.edu/roles#Auditor"],
      },
      { userId: "v-no-role", email: "none@uni.example", roles: [] },
      { userId: "v-email-only", email: "only@uni.example" },
      { userId: "v-names-only", givenName: "Nia", familyName: "Names" },
      { userId: "v-no-pii" },
    ];
    for (const user of variants) {
      const { userId } = user;
      lms.addUser({ ...user, contextId: lms.contextId });
      const launched = await lms.launch({ userId, contextId: lms.contextId, linkId });
      expect(launched.status, `${userId}: ${launched.body}`).toBe(user.email ? 302 : 403);
      if (!user.email) expect(launched.body).toContain("Your LMS did not share your e-mail address");
    }
    // R11: without an e-mail nobody is bound and no license taken; the learner sees what to ask for.
    const withEmail = variants.filter((v) => v.email !== undefined).length;
    const host = new URL(lms.issuer).host;
    const missing = await box.gg4l(["learners", "show", `${host}:v-no-pii`, "--offline", "--json"]);
    expect(missing.code).toBe(3);
    await expect.poll(() => serve.log().match(/ launch /g)?.length).toBe(withEmail);
    await expect.poll(() => serve.log().match(/ launch-refused .*reason=no-email/g)?.length).toBe(2);
  });
});
