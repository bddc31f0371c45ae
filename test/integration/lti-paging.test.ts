/** Link-header paging: the tolerant parser, and every LMS dialect followed to the last page. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartFakeLmsOptions, startFakeLms } from "../../fixtures/fake-lms/server.js";
import type { FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import { AgsClient } from "../../src/clients/lti/ags.js";
import { AgsError } from "../../src/clients/lti/errors.js";
import { nextLink, parseLinkHeader } from "../../src/clients/lti/link-header.js";
import { NrpsClient } from "../../src/clients/lti/nrps.js";
import { ServiceTokenProvider } from "../../src/clients/lti/token.js";
import { fastRetries, makeToolKey, registrationOf, type TestToolKey } from "../helpers/tool-key.js";

describe("parseLinkHeader", () => {
  const base = "https://lms.example/api/items?type_id=1";

  it("reads RFC 8288 quotes, several rels, spacing and single quotes", () => {
    const header =
      '<https://lms.example/p2>; rel="next", <https://lms.example/p9> ;rel = "last  prev",<https://lms.example/p1>;rel=\'first\'';
    expect(parseLinkHeader(header, base)).toEqual([
      { url: "https://lms.example/p2", rels: ["next"] },
      { url: "https://lms.example/p9", rels: ["last", "prev"] },
      { url: "https://lms.example/p1", rels: ["first"] },
    ]);
  });

  it("reads Moodle's typographic quotes, as UTF-8 text or as the latin1 bytes undici hands over, and &amp;", () => {
    const moodle =
      "<https://m.example/lineitems?type_id=1&amp;limit=2&amp;from=2>; rel=“next”, <https://m.example/lineitems?type_id=1&amp;limit=2&amp;from=0>; rel=“first”";
    const expected = "https://m.example/lineitems?type_id=1&limit=2&from=2";
    expect(nextLink(moodle, base)).toBe(expected);
    expect(nextLink(Buffer.from(moodle, "utf8").toString("latin1"), base)).toBe(expected);
  });

  it("resolves relative URLs, accepts unquoted rels and keeps commas inside URLs", () => {
    expect(nextLink('</api/items?page=2>; rel="next"', base)).toBe("https://lms.example/api/items?page=2");
    expect(nextLink("<https://lms.example/x?ids=1,2>; rel=next", base)).toBe("https://lms.example/x?ids=1,2");
    expect(nextLink('<https://lms.example/x>; title="next"', base)).toBeUndefined();
    expect(nextLink(undefined, base)).toBeUndefined();
  });
});

let toolKey: TestToolKey;
const opened: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  toolKey = await makeToolKey();
});
afterAll(async () => {
  for (const o of opened) await o.close();
});

async function setup(kind: FakeLmsKind, options: Partial<StartFakeLmsOptions> = {}) {
  const lms = await startFakeLms({ kind, toolPublicJwk: toolKey.file.publicJwk, ...options });
  opened.push(lms);
  const { http, sleep, retry } = fastRetries();
  const reg = registrationOf(lms);
  const tokens = new ServiceTokenProvider(reg, toolKey.key, { http, sleep, retry });
  const ags = new AgsClient(reg, tokens, { http, sleep, retry });
  const labels = ["A", "B", "C", "D", "E"];
  for (const label of labels) lms.addLineItem({ contextId: lms.contextId, label, scoreMaximum: 10 });
  const pages = () => lms.requests().filter((r) => r.route === "lineitems" && r.method === "GET");
  return { lms, ags, tokens, reg, labels, pages, http };
}

describe("line item container paging", () => {
  it("Moodle: follows rel=“next” with &amp; through three pages of limit/from", async () => {
    const { lms, ags, labels, pages } = await setup("moodle");
    const items = await ags.listLineItems(lms.lineitemsUrl, { limit: 2 });
    expect(items.map((i) => i.label)).toEqual(labels);
    expect(pages().map((r) => new URL(r.path, lms.origin).searchParams.get("from"))).toEqual([
      null,
      "2",
      "4",
    ]);
  });

  it.each([
    ["canvas", {}],
    ["blackboard", {}],
    ["d2l", { linkDialect: "relative" }],
    ["schoology", { linkDialect: "unquoted" }],
    ["buzz", { linkDialect: "curly" }],
    ["moodle", {}],
  ] as const)("%s: follows a server-capped three-page container (%j)", async (kind, options) => {
    const { lms, ags, labels, pages } = await setup(kind, { maxPageSize: 2, ...options });
    expect((await ags.listLineItems(lms.lineitemsUrl)).map((i) => i.label)).toEqual(labels);
    expect(pages()).toHaveLength(3);
  });

  it("keeps the filters of the first request and the paging of the LMS", async () => {
    const { lms, ags } = await setup("canvas", { maxPageSize: 1 });
    for (const n of [1, 2, 3])
      lms.addLineItem({ contextId: lms.contextId, label: `Tagged ${n}`, scoreMaximum: 1, tag: "final" });
    const items = await ags.listLineItems(lms.lineitemsUrl, { tag: "final" });
    expect(items.map((i) => i.label)).toEqual(["Tagged 1", "Tagged 2", "Tagged 3"]);
  });

  it("stops with a clear error when the LMS's next link leads back to a page already read", async () => {
    const { reg, tokens, http } = await setup("canvas");
    const server = createServer((req, res) => {
      res.setHeader("content-type", "application/vnd.ims.lis.v2.lineitemcontainer+json");
      res.setHeader("link", `<${req.url}>; rel="next"`);
      res.end("[]");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    opened.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lineitems`;
    const error = await new AgsClient(reg, tokens, { http }).listLineItems(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgsError);
    expect(error).toMatchObject({ errorCode: "paging_loop" });
  });
});

describe("results and memberships paging", () => {
  it("reads every result page", async () => {
    const { lms, ags } = await setup("blackboard", { maxPageSize: 2 });
    const item = await ags.createLineItem(lms.lineitemsUrl, { label: "Paged", scoreMaximum: 10 });
    const learners = ["p1", "p2", "p3", "p4", "p5"];
    for (const userId of learners) {
      lms.addUser({ userId, contextId: lms.contextId });
      await ags.postScore(item.id, {
        userId,
        scoreGiven: 5,
        scoreMaximum: 10,
        timestamp: new Date(),
        activityProgress: "Completed",
        gradingProgress: "FullyGraded",
      });
    }
    const results = await ags.getResults(item.id);
    expect(results.map((r) => r.userId)).toEqual(learners);
    expect(lms.requests().filter((r) => r.route === "results")).toHaveLength(3);
  });

  it.each(["canvas", "moodle", "d2l"] as const)(
    "%s: reads every NRPS page and filters by role",
    async (kind) => {
      const { lms, reg, tokens, http } = await setup(kind);
      for (const userId of ["m1", "m2"])
        lms.addUser({ userId, email: `${userId}@example.edu`, contextId: lms.contextId });
      const nrps = new NrpsClient(reg, tokens, { http });
      const all = await nrps.listMembers(lms.membershipsUrl, { limit: 2 });
      expect(all.context.id).toBe(lms.contextId);
      expect(all.members.map((m) => m.user_id)).toEqual([
        "seed-instructor",
        "seed-learner-1",
        "seed-learner-2",
        "m1",
        "m2",
      ]);
      expect(lms.requests().filter((r) => r.route === "memberships")).toHaveLength(3);
      const learners = await nrps.listMembers(lms.membershipsUrl, { role: "Learner" });
      expect(learners.members.map((m) => m.user_id)).toEqual([
        "seed-learner-1",
        "seed-learner-2",
        "m1",
        "m2",
      ]);
      expect(learners.members[2]).toMatchObject({ email: "m1@example.edu", status: "Active" });
    },
  );
});
