import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { clientForFake } from "../../fixtures/fake-coursera/testing.js";
import { epochMs } from "../../src/clients/coursera/wire.js";

let fake: FakeCoursera;
beforeAll(async () => {
  fake = await startFakeCoursera({ dataset: "small" });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

const Y2000 = Date.UTC(2000, 0, 1);

describe("CourseraClient reads", () => {
  it("reads the organization, over the /ent base URL and the legacy one", async () => {
    const { client } = clientForFake(fake);
    expect(await client.getOrg()).toEqual({
      id: fake.orgId,
      name: "Fake State University",
      slug: "fake-state-university",
      description: "A small organization for tests.",
    });
    const { client: legacy } = clientForFake(fake, { baseUrl: `${fake.legacyBaseUrl}/` });
    expect((await legacy.getOrg()).id).toBe(fake.orgId);
    expect(fake.requests().map((r) => r.path)).toContain(`/api/businesses.v1/${fake.orgId}`);
  });

  it("lists programs with their license counts", async () => {
    const { client } = clientForFake(fake);
    const programs = await client.programs().all();
    expect(programs.map((p) => [p.name, p.licenseCount])).toEqual(
      fake.control.licenses().map((l) => [l.name, l.licenseCap]),
    );
    expect(programs[0]).toMatchObject({
      slug: "data-science",
      state: "ACTIVE",
      url: "https://www.coursera.org/programs/data-science",
    });
    expect(fake.requests().find((r) => r.path.endsWith("/programs"))!.query.excludeContent).toBe("true");
  });

  it("lists the contents of programs: shared courses once, guided projects and specializations told apart", async () => {
    const { client } = clientForFake(fake);
    const ids = (await client.programs().all()).map((p) => p.id);
    const contents = await client.contents(ids).all();
    const courses = contents.filter((c) => c.type === "Course");
    expect(courses).toHaveLength(8);
    expect(courses.find((c) => c.name === "Statistics Essentials")!.programIds).toEqual([ids[0], ids[1]]);
    expect(courses.find((c) => c.name === "Deploy a Web App on a Virtual Machine")!.courseType).toBe(
      "GuidedProject",
    );
    const spec = contents.find((c) => c.type === "Specialization")!;
    expect(spec.courseIds).toHaveLength(2);
    expect(spec.courseIds.every((id) => courses.some((c) => c.id === id))).toBe(true);
    expect(fake.requests().at(-1)!.query).toMatchObject({ q: "byProgramIds", programIds: ids.join(",") });
  });

  it("learns a course's gradable items from its gradebook, and reports unknown items as null", async () => {
    const { client } = clientForFake(fake);
    const program = fake.control.store.programs[0]!;
    const course = fake.control.store.courses[program.courseIndexes[0]!]!;
    const items = await client.courseItems(course.id);
    expect(items!.map((i) => [i.id, i.name, i.type, i.order, i.weight])).toEqual(
      course.items.map((i) => [i.id, i.name, i.type, i.order, i.weight]),
    );
    expect(items![0]).not.toHaveProperty("grade");
    const fresh = fake.control.addCourse({ programId: program.id, name: "Nobody Here Yet", items: 3 });
    expect(await client.courseItems(fresh.content.contentId)).toBeNull();
    expect(fake.requests().at(-1)!.query).toEqual({
      q: "search",
      courseId: fresh.content.contentId,
      start: "0",
      limit: "1",
    });
  });

  it("lists courses with items for several programs, a course added to an active program included", async () => {
    const { client } = clientForFake(fake);
    const ids = fake.control.store.programs.map((p) => p.id);
    const added = fake.control.addCourse({ programId: ids[1]!, name: "Data Ethics", items: 2 });
    const courses = await client.coursesWithItems(ids, { concurrency: 3 });
    expect(courses.map((c) => c.name)).toContain("Data Ethics");
    expect(courses.find((c) => c.id === added.content.contentId)!.items).toBeNull();
    const known = courses.filter((c) => c.items !== null);
    expect(known.length).toBeGreaterThanOrEqual(7);
    for (const c of known) expect(c.items!.reduce((s, i) => s + (i.weight ?? 0), 0)).toBe(100);
  });

  it("reads gradebooks by program with item grades, and sees a grade changed through the admin API", async () => {
    const { client } = clientForFake(fake);
    const program = fake.control.store.programs[0]!;
    const rows = await client.gradebooks({ programId: program.id }).all();
    expect(rows.length).toBeGreaterThan(5);
    const row = rows[0]!;
    expect(row.programId).toBe(program.id);
    expect(row.items.length).toBeGreaterThan(0);
    expect(row.enrolledAt).toBeGreaterThan(Y2000);

    const items = row.items.map((i) => ({ itemId: i.id, grade: 88 }));
    const res = await fetch(`${fake.origin}/_fake/grades`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        externalId: row.externalId,
        courseId: row.courseId,
        programId: program.id,
        items,
      }),
    });
    expect(res.status).toBe(200);
    const [after] = await client
      .gradebooks({ courseId: row.courseId, emailOrExternalId: row.externalId })
      .all();
    expect(after).toMatchObject({ overallGrade: 88, isCompleted: true, overallProgress: 100 });
    expect(after!.completedAt).toBeGreaterThan(Y2000);
    expect(after!.items.every((i) => i.grade === 88 && i.passed)).toBe(true);
  });

  it("reads enrollment reports org-wide, by program and for one learner, with ms timestamps", async () => {
    const { client } = clientForFake(fake);
    const program = fake.control.store.programs[1]!;
    const all = await client.enrollmentReports().all();
    const mine = await client.enrollmentReports({ programId: program.id }).all();
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((r) => r.programId === program.id)).toBe(true);
    expect(all.filter((r) => r.programId === program.id)).toEqual(mine);
    const one = mine[0]!;
    const learnerRows = await client
      .enrollmentReports({ programId: program.id, externalId: one.externalId })
      .all();
    expect(learnerRows.every((r) => r.externalId === one.externalId)).toBe(true);
    for (const r of all) {
      expect(r.enrolledAt).toBeGreaterThan(Y2000);
      if (r.grade !== null) expect(r.grade).toBeLessThanOrEqual(1);
      expect(r.isCompleted).toBe(r.completedAt !== null);
    }
    const withSpecs = await client
      .enrollmentReports({ programId: fake.control.store.programs[0]!.id, includeSpecializations: true })
      .all();
    expect(withSpecs.some((r) => r.contentType === "Specialization")).toBe(true);
  });

  it("maps users with their program ids, and refuses a learner filter without a program", async () => {
    const { client } = clientForFake(fake);
    const users = await client.users().all();
    expect(users).toHaveLength(40);
    const member = users.find((u) => u.programIds.length > 0)!;
    expect(member.membershipState).toBe("MEMBER");
    expect(member.joinedAt).toBeGreaterThan(Y2000);
    expect(() => client.enrollmentReports({ externalId: member.externalId })).toThrow(/need the program id/);
    expect(() => client.gradebooks({})).toThrow(/need a program id, a course id or a learner/);
  });
});

describe("epoch timestamps", () => {
  it("keeps milliseconds, converts what can only be seconds, and rejects the rest", () => {
    expect(epochMs(1568138449555)).toBe(1568138449555);
    expect(epochMs(1568138449)).toBe(1568138449000);
    expect(epochMs(12345)).toBeNull();
    expect(epochMs("1568138449555")).toBeNull();
    expect(epochMs(null)).toBeNull();
  });
});
