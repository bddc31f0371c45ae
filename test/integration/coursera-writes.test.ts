import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { clientForFake } from "../../fixtures/fake-coursera/testing.js";
import { ExitCode, RemoteError } from "../../src/base/errors.js";
import { CourseraApiError } from "../../src/clients/coursera/errors.js";

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

/** "Cloud Computing": one license left in the small dataset. */
const cloud = () => fake.control.licenses()[2]!;
const newcomer = (n: number) => ({
  externalId: `newcomer${n}@uni.example`,
  email: `newcomer${n}@uni.example`,
  fullName: `Newcomer ${n}`,
});

function writes(method: string, pathEnd: string) {
  return fake.requests().filter((r) => r.method === method && r.path.endsWith(pathEnd));
}
const membershipPosts = () => writes("POST", "/memberships");
const membershipGets = () =>
  fake.requests().filter((r) => r.method === "GET" && /\/memberships\/[^/]+$/.test(r.path));

async function rejection(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RemoteError);
  return error as RemoteError;
}

describe("memberships and licenses", () => {
  it("adds a member, taking the last license, then refuses the next with a clear license-cap error", async () => {
    const { client } = clientForFake(fake);
    const program = cloud();
    expect(program.available).toBe(1);
    const added = await client.addMember(program.programId, newcomer(1));
    expect(added.outcome).toBe("added");
    expect(added.membership).toMatchObject({
      programId: program.programId,
      externalId: "newcomer1@uni.example",
      state: "MEMBER",
    });
    expect(cloud().available).toBe(0);

    const error = await rejection(client.addMember(program.programId, newcomer(2)));
    expect(error).toBeInstanceOf(CourseraApiError);
    expect(error.errorCode).toBe("NO_AVAILABLE_LICENSES");
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      `no licenses left in program ${program.programId}: remove test learners or buy more`,
    );
    expect(error.hint).toMatch(/gg4l learners remove --test/);
    expect(error.exitCode).toBe(ExitCode.failure);
    // A refusal is not retried.
    expect(membershipPosts()).toHaveLength(2);
  });

  it("names the program when the caller knows its name, its id kept", async () => {
    const program = cloud();
    const { client } = clientForFake(fake, {
      names: {
        program: (id) => (id === program.programId ? "Cloud Computing" : undefined),
        course: () => undefined,
      },
    });
    await client.addMember(program.programId, newcomer(1));
    const error = await rejection(client.addMember(program.programId, newcomer(2)));
    expect(error.message).toBe(
      `no licenses left in program "Cloud Computing" (${program.programId}): remove test learners or buy more`,
    );
    expect(error.hint).toContain(`for program "Cloud Computing" (${program.programId})`);
  });

  it("removing a (test) learner frees their license for someone else", async () => {
    const { client } = clientForFake(fake);
    const program = cloud();
    await client.addMember(program.programId, newcomer(1));
    const testLearner = fake.control.members(program.programId).find((m) => m.isTest)!;
    expect(testLearner).toBeDefined();
    expect(await client.removeMember(program.programId, testLearner.externalId)).toEqual({
      outcome: "removed",
    });
    expect(cloud().available).toBe(1);
    expect(await client.getMembership(program.programId, testLearner.externalId)).toBeNull();
    expect((await client.addMember(program.programId, newcomer(2))).outcome).toBe("added");
    expect(await client.removeMember(program.programId, testLearner.externalId)).toEqual({
      outcome: "not-member",
    });
  });

  it("adding a current member is idempotent (already-member), with their membership", async () => {
    const { client } = clientForFake(fake);
    const program = cloud();
    const member = fake.control.members(program.programId)[0]!;
    const result = await client.addMember(program.programId, { externalId: member.externalId });
    expect(result.outcome).toBe("already-member");
    expect(result.membership.externalId).toBe(member.externalId);
    expect(result.membership.joinedAt).toBe(member.joinedAt);
  });

  it("reads one membership, or null for someone without a license", async () => {
    const { client } = clientForFake(fake);
    const program = cloud();
    const member = fake.control.members(program.programId)[0]!;
    expect(await client.getMembership(program.programId, member.externalId)).toMatchObject({
      externalId: member.externalId,
      state: "MEMBER",
    });
    expect(await client.getMembership(program.programId, "nobody@uni.example")).toBeNull();
    const error = await rejection(client.getMembership("NoSuchProgram", member.externalId));
    expect(error.exitCode).toBe(ExitCode.notFound);
  });
});

describe("writes are sent again only when a re-check proves they did not apply", () => {
  it("a 5xx after the add applied: the re-check finds the member, no second POST", async () => {
    fake.addFault({ kind: "serverError", path: "/memberships", method: "POST", afterApply: true });
    const { client, log } = clientForFake(fake);
    const result = await client.addMember(cloud().programId, newcomer(1));
    expect(result.outcome).toBe("confirmed");
    expect(result.membership.externalId).toBe("newcomer1@uni.example");
    expect(membershipPosts().map((r) => r.status)).toEqual([503]);
    expect(membershipGets().map((r) => r.status)).toEqual([200]);
    expect(log.writeDelays).toEqual([]);
    expect(cloud().available).toBe(0);
  });

  it("a connection dropped after the add applied: the re-check finds the member", async () => {
    fake.addFault({ kind: "drop", path: "/memberships", method: "POST", afterApply: true });
    const { client } = clientForFake(fake);
    const result = await client.addMember(cloud().programId, newcomer(1));
    expect(result.outcome).toBe("confirmed");
    expect(membershipPosts()).toHaveLength(1);
  });

  it("a 5xx before the add applied: the re-check finds nothing, so the POST is sent again", async () => {
    fake.addFault({ kind: "serverError", path: "/memberships", method: "POST" });
    const { client, log } = clientForFake(fake);
    const result = await client.addMember(cloud().programId, newcomer(1));
    expect(result.outcome).toBe("added");
    expect(membershipPosts().map((r) => r.status)).toEqual([503, 201]);
    expect(membershipGets().map((r) => r.status)).toEqual([404]);
    expect(log.writeDelays).toHaveLength(1);
    expect(cloud().available).toBe(0);
  });

  it("a 429 on a write is a refusal: sent again after Retry-After, no re-check needed", async () => {
    fake.addFault({ kind: "rateLimit", retryAfterSec: 4, path: "/memberships", method: "POST" });
    const { client, log } = clientForFake(fake);
    expect((await client.addMember(cloud().programId, newcomer(1))).outcome).toBe("added");
    expect(membershipPosts().map((r) => r.status)).toEqual([429, 201]);
    expect(membershipGets()).toHaveLength(0);
    expect(log.writeDelays).toEqual([4000]);
  });

  it("gives up after the write attempts, with the last error", async () => {
    fake.addFault({ kind: "serverError", count: 10, path: "/memberships", method: "POST" });
    const { client } = clientForFake(fake, { writeAttempts: 3 });
    const error = await rejection(client.addMember(cloud().programId, newcomer(1)));
    expect(error.status).toBe(503);
    expect(membershipPosts()).toHaveLength(3);
    expect(membershipGets()).toHaveLength(3);
  });

  it("a DELETE that applied but answered 5xx is confirmed by the re-check", async () => {
    const program = cloud();
    const member = fake.control.members(program.programId)[0]!;
    fake.addFault({ kind: "serverError", path: "/memberships/", method: "DELETE", afterApply: true });
    const { client } = clientForFake(fake);
    expect(await client.removeMember(program.programId, member.externalId)).toEqual({ outcome: "removed" });
    expect(writes("DELETE", encodeURIComponent(member.externalId)).map((r) => r.status)).toEqual([503]);
    expect(cloud().available).toBe(2);
  });

  it("a 200 HTML page is no acknowledgement: a removal is re-checked and sent again, an invitation fails saying what came back", async () => {
    const program = cloud();
    const member = fake.control.members(program.programId)[0]!;
    fake.addFault({ kind: "html", status: 200, path: "/memberships/", method: "DELETE" });
    const { client } = clientForFake(fake);
    expect(await client.removeMember(program.programId, member.externalId)).toEqual({ outcome: "removed" });
    expect(writes("DELETE", encodeURIComponent(member.externalId)).map((r) => r.status)).toEqual([200, 200]);
    expect(cloud().available).toBe(2);

    fake.addFault({ kind: "html", status: 200, path: "/invitations" });
    const error = await rejection(client.invite(program.programId, newcomer(1)));
    expect(error).toMatchObject({ status: 200, errorCode: "unacknowledged" });
    expect(error.message).toMatch(
      /Coursera did not acknowledge .*\(HTTP 200, text\/html; charset=utf-8, "<!DOCTYPE html>/,
    );
    expect(writes("POST", "/invitations")).toHaveLength(1);
  });

  it("an invitation that failed with 5xx is not sent again (nothing to re-check), and says so", async () => {
    fake.addFault({ kind: "serverError", path: "/invitations" });
    const { client } = clientForFake(fake);
    const error = await rejection(client.invite(cloud().programId, newcomer(1)));
    expect(error.status).toBe(503);
    expect(error.hint).toMatch(/may or may not have been sent.*running the command again is safe/);
    expect(writes("POST", "/invitations")).toHaveLength(1);
  });

  it("an invitation is sent and a repeat is deduplicated by Coursera", async () => {
    const { client } = clientForFake(fake);
    const first = await client.invite(cloud().programId, newcomer(1));
    expect(first).toMatchObject({
      externalId: "newcomer1@uni.example",
      state: "PENDING",
      programId: cloud().programId,
    });
    expect((await client.invite(cloud().programId, newcomer(1))).id).toBe(first.id);
  });
});

describe("program enrollments", () => {
  it("enrolls a member, treats a repeat as done, unenrolls, and re-checks after an ambiguous failure", async () => {
    const program = fake.control.store.programs[0]!;
    const member = fake.control.members(program.id)[0]!.externalId;
    const course = fake.control.addCourse({ programId: program.id, name: "Fresh Course", items: 2 }).content
      .contentId;
    const { client } = clientForFake(fake);
    const req = { externalId: member, contentId: course, action: "ENROLL" as const };
    expect(await client.setProgramEnrollment(program.id, req)).toMatchObject({
      state: "ENROLLED",
      contentId: course,
    });
    expect((await client.setProgramEnrollment(program.id, req)).state).toBe("ENROLLED");
    const reports = await client.enrollmentReports({ programId: program.id, externalId: member }).all();
    expect(reports.map((r) => r.contentId)).toContain(course);

    fake.addFault({ kind: "serverError", path: "/programEnrollments", afterApply: true });
    expect((await client.setProgramEnrollment(program.id, { ...req, action: "UNENROLL" })).state).toBe(
      "UNENROLLED",
    );
    expect(writes("POST", "/programEnrollments").map((r) => r.status)).toEqual([200, 400, 503]);
    const after = await client.enrollmentReports({ programId: program.id, externalId: member }).all();
    expect(after.map((r) => r.contentId)).not.toContain(course);
  });

  it("refuses to enroll someone who is not a member", async () => {
    const program = fake.control.store.programs[0]!;
    const { client } = clientForFake(fake);
    const error = await rejection(
      client.setProgramEnrollment(program.id, {
        externalId: "nobody@uni.example",
        contentId: fake.control.store.courses[0]!.id,
        action: "ENROLL",
      }),
    );
    expect(error.errorCode).toBe("NOT_MEMBER");
    expect(error.message).toMatch(/Coursera refused enrolling a learner in program .* \(HTTP 400 NOT_MEMBER/);
  });
});
