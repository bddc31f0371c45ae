import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { clientForFake } from "../../fixtures/fake-coursera/testing.js";
import { RemoteError } from "../../src/base/errors.js";
import { nextStart, Paged, parseOffset } from "../../src/clients/coursera/paging.js";

describe("paging rules", () => {
  it("follows next whatever total says", () => {
    expect(nextStart(0, 7, 7, { next: "7", total: 3 })).toBe(7);
    expect(nextStart(7, 7, 7, { next: 14 })).toBe(14);
  });

  it("stops when next is absent and total is present, even on a full page", () => {
    expect(nextStart(0, 7, 7, { total: 100 })).toBeNull();
  });

  it("with neither next nor total, continues after a full page and stops on a short or empty one", () => {
    expect(nextStart(14, 7, 7, {})).toBe(21);
    expect(nextStart(14, 7, 7, undefined)).toBe(21);
    expect(nextStart(21, 3, 7, {})).toBeNull();
    expect(nextStart(21, 0, 7, {})).toBeNull();
  });

  it("refuses cursors that do not advance or are not offsets", () => {
    expect(() => nextStart(7, 7, 7, { next: "7" })).toThrow(/does not advance/);
    expect(() => parseOffset("abc")).toThrow(RemoteError);
    expect(() => parseOffset(-1)).toThrow(/unsupported paging cursor/);
  });

  it("a Paged listing walks a server that gives neither next nor total until a short page", async () => {
    const data = Array.from({ length: 17 }, (_, i) => i);
    const starts: number[] = [];
    const paged = new Paged(async (start, limit) => {
      starts.push(start);
      return { elements: data.slice(start, start + limit), paging: {} };
    }, 5);
    expect(await paged.all()).toEqual(data);
    expect(starts).toEqual([0, 5, 10, 15]);
  });
});

describe("CourseraClient paging against the fake", () => {
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

  const usersRequests = () => fake.requests().filter((r) => r.path.endsWith("/users"));

  async function expectedUsers(): Promise<string[]> {
    const { client } = clientForFake(fake);
    return (await client.users().all()).map((u) => u.externalId);
  }

  for (const [label, config] of [
    ["with total on every page", { omitTotal: 0 }],
    ["without total on any page", { omitTotal: 1 }],
    ["with total on some pages", { omitTotal: 0.5 }],
    ["with next as a number", { omitTotal: 1, nextAsNumber: true }],
  ] as const) {
    it(`pulls all 40 users in 6 pages of 7 ${label}`, async () => {
      const expected = await expectedUsers();
      expect(expected).toHaveLength(40);
      fake.configure(config);
      fake.control.clearRequests();
      const { client } = clientForFake(fake, { pageSize: 7 });
      const pages: number[] = [];
      const seen: string[] = [];
      for await (const page of client.users().pages()) {
        pages.push(page.length);
        for (const user of page) seen.push(user.externalId);
      }
      expect(pages).toEqual([7, 7, 7, 7, 7, 5]);
      expect(seen).toEqual(expected);
      const requests = usersRequests();
      expect(requests.map((r) => r.query.start)).toEqual(["0", "7", "14", "21", "28", "35"]);
      expect(requests.every((r) => r.query.limit === "7")).toBe(true);
    });
  }

  it("asks for the maximum page size (1000) by default", async () => {
    const { client } = clientForFake(fake);
    await client.users().all();
    expect(usersRequests().map((r) => r.query.limit)).toEqual(["1000"]);
  });

  it("iterates elements lazily: stopping early fetches no further page", async () => {
    const { client } = clientForFake(fake, { pageSize: 7 });
    let n = 0;
    for await (const _user of client.users()) {
      if (++n === 9) break;
    }
    expect(usersRequests()).toHaveLength(2);
  });

  it("memberships across pages match the license counts of every program", async () => {
    fake.configure({ omitTotal: 1 });
    const { client } = clientForFake(fake, { pageSize: 6 });
    const memberships = await client.memberships().all();
    const byProgram = new Map<string, number>();
    for (const m of memberships) byProgram.set(m.programId, (byProgram.get(m.programId) ?? 0) + 1);
    for (const l of fake.control.licenses()) expect(byProgram.get(l.programId)).toBe(l.used);
    const cloud = fake.control.licenses()[2]!.programId;
    const onlyCloud = await client.memberships([cloud]).all();
    expect(onlyCloud.every((m) => m.programId === cloud)).toBe(true);
    expect(onlyCloud.map((m) => m.externalId).sort()).toEqual(
      fake.control
        .members(cloud)
        .map((m) => m.externalId)
        .sort(),
    );
  });

  it("pages grouped reports (gradebooks, enrollment reports) over three or more pages", async () => {
    const programId = fake.control.store.programs[0]!.id;
    const { client: whole } = clientForFake(fake);
    const { client: paged } = clientForFake(fake, { pageSize: 4 });
    const all = await whole.gradebooks({ programId }).all();
    let pages = 0;
    const walked = [];
    for await (const page of paged.gradebooks({ programId }).pages()) {
      pages++;
      walked.push(...page);
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(walked).toEqual(all);
    const reports = await paged.enrollmentReports().all();
    expect(reports).toEqual(await whole.enrollmentReports().all());
    expect(reports.length).toBeGreaterThan(12);
  });
});
