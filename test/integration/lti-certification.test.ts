/**
 * The platform-side AGS sequence of the 1EdTech certification suite (§2.4), run by the client
 * against every personality of the fake LMS over loopback, after real OIDC launches.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MiniTool, startMiniTool } from "../../fixtures/fake-lms/mini-tool.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { FAKE_LMS_KINDS } from "../../fixtures/fake-lms/types.js";
import { AgsClient } from "../../src/clients/lti/ags.js";
import { AGS_SCOPE } from "../../src/clients/lti/constants.js";
import { ServiceTokenProvider } from "../../src/clients/lti/token.js";
import { fastRetries, makeToolKey, registrationOf, type TestToolKey } from "../helpers/tool-key.js";

let toolKey: TestToolKey;
beforeAll(async () => {
  toolKey = await makeToolKey();
});

describe.each(FAKE_LMS_KINDS)("%s: certification AGS sequence", (kind) => {
  let lms: FakeLms;
  let tool: MiniTool;

  beforeAll(async () => {
    tool = await startMiniTool();
    lms = await startFakeLms({ kind, toolPublicJwk: toolKey.file.publicJwk, toolLoginUrl: tool.loginUrl });
    tool.configure(lms);
  });
  afterAll(async () => {
    await lms.close();
    await tool.close();
  });

  it("creates and reads line items in two contexts, posts scores and reads results with scope-limited tokens", async () => {
    const learner = lms.seeded.learnerIds[0]!;
    const first = await lms.launch({ userId: learner, contextId: lms.contextId, linkId: lms.seeded.linkId });
    expect(first.status).toBe(200);
    const containerA: string = JSON.parse(first.body).ags.lineitems;
    expect(containerA).toBe(lms.lineitemsUrl);

    const { http } = fastRetries();
    const reg = registrationOf(lms);
    const tokens = new ServiceTokenProvider(reg, toolKey.key, { http });
    const lineItems = new AgsClient(reg, tokens, {
      http,
      scopes: [AGS_SCOPE.lineitem, AGS_SCOPE.lineitemReadonly],
    });

    const item1 = await lineItems.createLineItem(containerA, {
      label: "Cert item 1",
      scoreMaximum: 10,
      resourceId: "cert-1",
      tag: "grade",
    });
    expect(await lineItems.getLineItem(item1.id)).toMatchObject({
      id: item1.id,
      label: "Cert item 1",
      scoreMaximum: 10,
      resourceId: "cert-1",
      tag: "grade",
    });
    const item2 = await lineItems.createLineItem(containerA, { label: "Cert item 2", scoreMaximum: 20 });

    const other = lms.addContext({ contextId: `${kind}-cert-2` });
    lms.addUser({ userId: learner, contextId: other.id });
    const { link } = lms.addLink({ contextId: other.id, title: "Second course link" });
    const second = await lms.launch({ userId: learner, contextId: other.id, linkId: link.id });
    expect(second.status).toBe(200);
    const containerB: string = JSON.parse(second.body).ags.lineitems;
    expect(containerB).not.toBe(containerA);
    const item3 = await lineItems.createLineItem(containerB, { label: "Cert item 3", scoreMaximum: 5 });

    const scores = new AgsClient(reg, tokens, { http, scopes: [AGS_SCOPE.score] });
    await expect(scores.listLineItems(containerA)).rejects.toMatchObject({
      errorCode: "scope_not_requested",
    });
    const base = { userId: learner, activityProgress: "Completed", gradingProgress: "FullyGraded" } as const;
    expect(
      await scores.postScore(item3.id, { ...base, scoreGiven: 4, scoreMaximum: 5, timestamp: new Date() }),
    ).toMatchObject({
      outcome: "accepted",
    });
    expect(
      await scores.postScore(item1.id, { ...base, scoreGiven: 7, scoreMaximum: 10, timestamp: new Date() }),
    ).toMatchObject({
      outcome: "accepted",
    });

    const results = new AgsClient(reg, tokens, { http, scopes: [AGS_SCOPE.resultReadonly] });
    expect(await results.getResults(item3.id)).toEqual([
      expect.objectContaining({ userId: learner, resultScore: 4, resultMaximum: 5 }),
    ]);
    expect(await results.getResults(item1.id)).toEqual([
      expect.objectContaining({ userId: learner, resultScore: 7, resultMaximum: 10 }),
    ]);

    expect((await lineItems.listLineItems(containerA)).map((i) => i.id)).toEqual([item1.id, item2.id]);
    expect((await lineItems.listLineItems(containerB)).map((i) => i.id)).toEqual([item3.id]);
    const granted = lms
      .requests()
      .filter((r) => r.route === "token")
      .map((r) => r.status);
    expect(granted).toEqual([200, 200, 200]);
    expect(lms.gradebook(other.id).lineItems[0]!.grades).toEqual([
      expect.objectContaining({ userId: learner, score: 4 }),
    ]);
  });
});
