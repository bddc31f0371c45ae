/**
 * Every status-code path of §4.11 reaching the right client outcome: accepted, stale, or an
 * AgsError whose kind says retry, refresh, learner, not-found, config or invalid request.
 */
import { describe, expect, it } from "vitest";
import type { StartFakeLmsOptions } from "../../fixtures/fake-lms/server.js";
import type { FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import { RemoteError } from "../../src/base/errors.js";
import { AgsClient, type LineItem, lineItemServiceUrl, type Score } from "../../src/clients/lti/ags.js";
import { AgsError, classifyServiceStatus, UnacknowledgedError } from "../../src/clients/lti/errors.js";
import { ServiceTokenProvider } from "../../src/clients/lti/token.js";
import { fakeLmsPool } from "../helpers/fake-lms-pool.js";
import { fastRetries, registrationOf } from "../helpers/tool-key.js";

const lmsPool = fakeLmsPool();

async function setup(kind: FakeLmsKind, options: Partial<StartFakeLmsOptions> = {}) {
  const lms = await lmsPool.open(kind, options);
  const retries = fastRetries();
  const reg = registrationOf(lms);
  const tokens = new ServiceTokenProvider(reg, lmsPool.key.key, {
    http: retries.http,
    sleep: retries.sleep,
    retry: retries.retry,
  });
  const ags = new AgsClient(reg, tokens, { http: retries.http, sleep: retries.sleep, retry: retries.retry });
  const item: LineItem = await ags.createLineItem(lms.lineitemsUrl, {
    label: "Quiz",
    scoreMaximum: 10,
    resourceId: "quiz-1",
  });
  const tokenRequests = () => lms.requests().filter((r) => r.route === "token").length;
  return { lms, ags, item, tokenRequests, ...retries };
}

function score(userId: string, scoreGiven: number, timestamp: Date | string = new Date()): Score {
  return {
    userId,
    scoreGiven,
    scoreMaximum: 10,
    timestamp,
    activityProgress: "Completed",
    gradingProgress: "FullyGraded",
  };
}

async function agsError(promise: Promise<unknown>): Promise<AgsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AgsError);
    return error as AgsError;
  }
  throw new Error("expected an AgsError");
}

describe("2xx answers", () => {
  it("counts 200 (Canvas, with a result URL), 202 and D2L's 204 as accepted", async () => {
    const canvas = await setup("canvas");
    const learner = canvas.lms.seeded.learnerIds[0]!;
    const accepted = await canvas.ags.postScore(canvas.item.id, score(learner, 8));
    expect(accepted).toMatchObject({ outcome: "accepted", status: 200 });
    expect(accepted.resultUrl).toMatch(/\/results\//);

    const moodle = await setup("moodle");
    moodle.lms.addFaults({ route: "scores", type: "status", status: 202, body: "" });
    expect(await moodle.ags.postScore(moodle.item.id, score(learner, 8))).toMatchObject({
      outcome: "accepted",
      status: 202,
    });

    const d2l = await setup("d2l");
    expect(await d2l.ags.postScore(d2l.item.id, score(learner, 8))).toMatchObject({
      outcome: "accepted",
      status: 204,
    });
    expect(d2l.lms.gradebook().lineItems[0]!.grades[0]).toMatchObject({ userId: learner, score: 8 });
  });

  it("reports Blackboard's 204 for an older score as stale: the LMS already has a newer score", async () => {
    const { lms, ags, item } = await setup("blackboard");
    const learner = lms.seeded.learnerIds[0]!;
    await ags.postScore(item.id, score(learner, 9, "2030-01-01T10:00:00.500Z"));
    const stale = await ags.postScore(item.id, score(learner, 3, "2030-01-01T10:00:00.100Z"));
    expect(stale).toMatchObject({ outcome: "stale", status: 204 });
    expect(stale.message).toMatch(/already has a newer score/);
    expect(lms.gradebook().lineItems[0]!.grades[0]).toMatchObject({ score: 9 });
  });
});

describe("400", () => {
  it("Canvas: a stale timestamp is reported as stale with Canvas's words", async () => {
    const { lms, ags, item } = await setup("canvas");
    const learner = lms.seeded.learnerIds[0]!;
    await ags.postScore(item.id, score(learner, 9, "2030-01-01T10:00:01.000Z"));
    const stale = await ags.postScore(item.id, score(learner, 3, "2030-01-01T10:00:00.000Z"));
    expect(stale.outcome).toBe("stale");
    expect(stale.status).toBe(400);
    expect(stale.message).toMatch(/newer score: Provided timestamp of .* before last updated timestamp/);
  });

  it("Moodle's 400 `[]` and Blackboard's 'User could not be found' are per-learner failures", async () => {
    const moodle = await setup("moodle");
    const notStudent = await agsError(
      moodle.ags.postScore(moodle.item.id, score(moodle.lms.seeded.instructorId, 5)),
    );
    expect(notStudent).toMatchObject({ kind: "learner", status: 400, lmsMessage: "[]", retryable: false });
    expect(notStudent.message).toBe("post a score: Moodle answered HTTP 400: []");

    const bb = await setup("blackboard");
    const unknown = await agsError(bb.ags.postScore(bb.item.id, score("ghost-user", 5)));
    expect(unknown).toMatchObject({ kind: "learner", status: 400 });
    expect(unknown.lmsMessage).toMatch(/User could not be found/);
  });

  it("a line item the LMS refuses as malformed is an invalid request (a gg4l bug)", async () => {
    const { lms, ags } = await setup("moodle");
    const error = await agsError(ags.createLineItem(lms.lineitemsUrl, { label: "Broken", scoreMaximum: 0 }));
    expect(error).toMatchObject({
      kind: "invalid-request",
      status: 400,
      lmsMessage: "No label or Score Maximum",
    });
  });
});

describe("401", () => {
  it("refreshes an expired token once and goes on", async () => {
    const { lms, ags, tokenRequests } = await setup("canvas");
    expect(tokenRequests()).toBe(1);
    lms.setFaults({ expireTokens: true });
    expect(await ags.listLineItems(lms.lineitemsUrl)).toHaveLength(1);
    expect(tokenRequests()).toBe(2);
    const statuses = lms
      .requests()
      .filter((r) => r.route === "lineitems")
      .map((r) => r.status);
    expect(statuses.slice(-2)).toEqual([401, 200]);
  });

  it("turns a 401 that survives a fresh token into a configuration error (exit 4)", async () => {
    const { lms, ags, tokenRequests } = await setup("canvas");
    lms.addFaults({ route: "lineitems", type: "status", status: 401, times: 2 });
    const error = await agsError(ags.listLineItems(lms.lineitemsUrl));
    expect(error).toMatchObject({ kind: "config", status: 401, exitCode: 4 });
    expect(error.message).toMatch(/refused a freshly issued token too/);
    expect(tokenRequests()).toBe(2);
  });
});

describe("403", () => {
  it("Moodle: a line item the tool does not own is a configuration error", async () => {
    const { lms, ags } = await setup("moodle");
    const foreign = lms.addLineItem({
      contextId: lms.contextId,
      label: "Teacher's column",
      scoreMaximum: 5,
      foreign: true,
    });
    const error = await agsError(ags.getLineItem(foreign.id));
    expect(error).toMatchObject({ kind: "config", status: 403, exitCode: 4 });
    expect(await ags.listLineItems(lms.lineitemsUrl)).toHaveLength(1);
  });

  it("D2L: a score for someone not enrolled as a learner is a per-learner failure", async () => {
    const { lms, ags, item } = await setup("d2l");
    const error = await agsError(ags.postScore(item.id, score(lms.seeded.instructorId, 5)));
    expect(error).toMatchObject({ kind: "learner", status: 403 });
    expect(error.lmsMessage).toBe("User in requested score is not enrolled in the org unit");
  });

  it("Canvas: '403 Forbidden (Rate Limit Exceeded)' is backed off and retried", async () => {
    const { lms, ags, item, delays } = await setup("canvas");
    lms.setFaults({ throttle: { limit: 1, cost: 1, refillPerSecond: 0, status: 403, recoverAfter: 2 } });
    await ags.getLineItem(item.id);
    expect(await ags.getLineItem(item.id)).toMatchObject({ id: item.id });
    expect(delays).toHaveLength(2);
    const statuses = lms
      .requests()
      .filter((r) => r.route === "lineitem")
      .map((r) => r.status);
    expect(statuses).toEqual([200, 403, 403, 200]);
  });
});

describe("404", () => {
  it("a deleted line item is not-found (exit 3); D2L's unknown user is a per-learner failure", async () => {
    const canvas = await setup("canvas");
    await canvas.ags.deleteLineItem(canvas.item.id);
    const gone = await agsError(
      canvas.ags.postScore(canvas.item.id, score(canvas.lms.seeded.learnerIds[0]!, 5)),
    );
    expect(gone).toMatchObject({ kind: "not-found", status: 404, exitCode: 3 });
    expect(gone.hint).toMatch(/launch the link again/);

    const d2l = await setup("d2l");
    const ghost = await agsError(d2l.ags.postScore(d2l.item.id, score("ghost-user", 5)));
    expect(ghost).toMatchObject({
      kind: "learner",
      status: 404,
      lmsMessage: "User in requested score does not exist",
    });
  });
});

describe("405, 415", () => {
  it.each([405, 415])("HTTP %i is an invalid request", async (status) => {
    const { lms, ags, item } = await setup("schoology");
    lms.addFaults({ route: "scores", type: "status", status });
    const error = await agsError(ags.postScore(item.id, score(lms.seeded.learnerIds[0]!, 5)));
    expect(error).toMatchObject({ kind: "invalid-request", status });
    expect(error.hint).toMatch(/gg4l bug/);
  });
});

describe("409", () => {
  it("Moodle: a second score in the same second (of Moodle's clock) is stale", async () => {
    const second = Math.floor(Date.now() / 1000) * 1000;
    const { lms, ags, item } = await setup("moodle", { clock: () => second + 300 });
    const learner = lms.seeded.learnerIds[0]!;
    expect((await ags.postScore(item.id, score(learner, 5, new Date(second + 100)))).outcome).toBe(
      "accepted",
    );
    const stale = await ags.postScore(item.id, score(learner, 6, new Date(second + 900)));
    expect(stale).toMatchObject({ outcome: "stale", status: 409 });
    expect(stale.message).toMatch(/Refusing score with an earlier timestamp/);
  });
});

describe("412, 422", () => {
  it("Canvas: a line item of another tool is a configuration error (412)", async () => {
    const { lms, ags } = await setup("canvas");
    const foreign = lms.addLineItem({
      contextId: lms.contextId,
      label: "Manual column",
      scoreMaximum: 5,
      foreign: true,
    });
    const error = await agsError(ags.postScore(foreign.id, score(lms.seeded.learnerIds[0]!, 5)));
    expect(error).toMatchObject({ kind: "config", status: 412 });
    expect(error.lmsMessage).toBe("The line item is not owned by this tool");
  });

  it("Canvas: a score for a non-student is a per-learner failure (422)", async () => {
    const { lms, ags, item } = await setup("canvas");
    const error = await agsError(ags.postScore(item.id, score(lms.seeded.instructorId, 5)));
    expect(error).toMatchObject({ kind: "learner", status: 422 });
    expect(error.lmsMessage).toBe("User not found in course or is not a student");
  });
});

describe("429 and 5xx", () => {
  it("honours Retry-After on a GET; a line item POST is not resent and says to retry later", async () => {
    const { lms, ags, delays } = await setup("buzz");
    lms.addFaults({ route: "lineitems", method: "GET", type: "status", status: 429, retryAfter: 2 });
    expect(await ags.listLineItems(lms.lineitemsUrl)).toHaveLength(1);
    expect(delays).toEqual([2000]);

    lms.addFaults({ route: "lineitems", method: "POST", type: "status", status: 429, retryAfter: 2 });
    const error = await agsError(ags.createLineItem(lms.lineitemsUrl, { label: "Again", scoreMaximum: 1 }));
    expect(error).toMatchObject({ kind: "retry", status: 429, retryable: true });
    expect(lms.requests().filter((r) => r.route === "lineitems" && r.method === "POST")).toHaveLength(2);
  });

  it("retries 5xx, resends a score POST so it is applied once, and gives up with a retry error", async () => {
    const { lms, ags, item, delays } = await setup("d2l");
    lms.addFaults({ route: "lineitems", method: "GET", type: "status", status: 503, times: 2 });
    expect(await ags.listLineItems(lms.lineitemsUrl)).toHaveLength(1);
    expect(delays).toHaveLength(2);

    lms.addFaults({ route: "scores", type: "status", status: 500 });
    const learner = lms.seeded.learnerIds[0]!;
    expect((await ags.postScore(item.id, score(learner, 7))).outcome).toBe("accepted");
    expect(lms.posts().filter((p) => p.userId === learner)).toHaveLength(1);

    lms.addFaults({ route: "lineitem", type: "status", status: 503, times: 10 });
    const error = await agsError(ags.getLineItem(item.id));
    expect(error).toMatchObject({ kind: "retry", status: 503 });
  });
});

describe("unusable answers", () => {
  it("names HTML error pages and malformed JSON; survives resets and slow replies", async () => {
    const { lms, ags, item, delays } = await setup("blackboard");
    lms.addFaults({ route: "lineitem", type: "html", status: 502, times: 10 });
    const html = await agsError(ags.getLineItem(item.id));
    expect(html).toMatchObject({ kind: "retry", status: 502, lmsMessage: "(an HTML page)" });

    lms.setFaults({ clear: true, faults: [{ route: "lineitems", type: "html", status: 200 }] });
    await expect(ags.listLineItems(lms.lineitemsUrl)).rejects.toThrow(/HTML page instead of JSON/);
    lms.addFaults({ route: "lineitems", type: "malformed" });
    const malformed = ags.listLineItems(lms.lineitemsUrl);
    await expect(malformed).rejects.toBeInstanceOf(RemoteError);
    await expect(malformed).rejects.toThrow(/malformed JSON/);

    delays.length = 0;
    lms.addFaults({ route: "lineitem", type: "reset" }, { route: "lineitem", type: "slow", delayMs: 20 });
    expect(await ags.getLineItem(item.id)).toMatchObject({ id: item.id });
    expect(delays).toHaveLength(1);
  });
});

describe("writes are acknowledged only as the LMS documents (R9)", () => {
  it("a score POST answered 200 with a login page is an unacknowledged item failure, not a delivery", async () => {
    for (const kind of ["moodle", "canvas", "d2l"] as const) {
      const { lms, ags, item } = await setup(kind);
      const learner = lms.seeded.learnerIds[0]!;
      lms.addFaults({ route: "scores", type: "login-page" });
      const error = await agsError(ags.postScore(item.id, score(learner, 7)));
      expect(error).toBeInstanceOf(UnacknowledgedError);
      const unacked = error as UnacknowledgedError;
      expect(unacked).toMatchObject({ kind: "unacknowledged", status: 200, retryable: false });
      expect(unacked.contentType).toBe("text/html; charset=utf-8");
      expect(unacked.bodyFirstLine).toBe("<!DOCTYPE html>");
      expect(unacked.message).toMatch(
        /did not acknowledge it \(HTTP 200, text\/html; charset=utf-8, "<!DOCTYPE html>"/,
      );
      expect(unacked.exitCode).toBe(1);
      // Nothing reached the gradebook, and a resend (the next run) is delivered.
      expect(lms.gradebook().lineItems[0]!.grades).toHaveLength(0);
      expect(await ags.postScore(item.id, score(learner, 7))).toMatchObject({ outcome: "accepted" });
    }
  });

  it("a 2xx score answer with a body under the wrong media type, or JSON that is not an object, is refused", async () => {
    const { lms, ags, item } = await setup("canvas");
    const learner = lms.seeded.learnerIds[0]!;
    lms.addFaults({ route: "scores", type: "malformed", status: 200, body: "OK", contentType: "text/plain" });
    await expect(ags.postScore(item.id, score(learner, 5))).rejects.toThrow(/HTTP 200, text\/plain, "OK"/);
    lms.addFaults({ route: "scores", type: "malformed", status: 200, body: "[]" });
    await expect(ags.postScore(item.id, score(learner, 5))).rejects.toBeInstanceOf(UnacknowledgedError);
    lms.addFaults({ route: "scores", type: "malformed", status: 200, body: '{"resultUrl": ' });
    await expect(ags.postScore(item.id, score(learner, 5))).rejects.toBeInstanceOf(UnacknowledgedError);
  });

  it("a line item create or update answered with a page, or without the item's id, is unacknowledged", async () => {
    const { lms, ags, item } = await setup("moodle");
    lms.addFaults({ route: "lineitems", method: "POST", type: "login-page", status: 201 });
    const created = await agsError(ags.createLineItem(lms.lineitemsUrl, { label: "Q2", scoreMaximum: 5 }));
    expect(created).toMatchObject({ kind: "unacknowledged", status: 201, bodyFirstLine: "<!DOCTYPE html>" });
    lms.addFaults({
      route: "lineitems",
      method: "POST",
      type: "malformed",
      status: 201,
      body: '{"label":"Q2"}',
    });
    await expect(
      ags.createLineItem(lms.lineitemsUrl, { label: "Q2", scoreMaximum: 5 }),
    ).rejects.toBeInstanceOf(UnacknowledgedError);
    lms.addFaults({ route: "lineitem", method: "PUT", type: "login-page" });
    await expect(ags.updateLineItem({ ...item, label: "Renamed" })).rejects.toBeInstanceOf(
      UnacknowledgedError,
    );
    lms.addFaults({ route: "lineitem", method: "DELETE", type: "login-page" });
    await expect(ags.deleteLineItem(item.id)).rejects.toBeInstanceOf(UnacknowledgedError);
  });
});

describe("classifyServiceStatus", () => {
  it.each([
    ["canvas", "lineitems", 500, "", "retry"],
    ["canvas", "lineitem", 403, "403 Forbidden (Rate Limit Exceeded)", "retry"],
    ["moodle", "scores", 401, "", "refresh-token"],
    ["moodle", "scores", 409, "", "stale"],
    ["canvas", "scores", 400, "Provided timestamp of a before last updated timestamp of b", "stale"],
    ["canvas", "scores", 400, "Provided timestamp of x not a valid timestamp", "invalid-request"],
    ["moodle", "scores", 400, "[]", "learner"],
    ["moodle", "scores", 400, "Incorrect score received", "invalid-request"],
    ["schoology", "scores", 400, "User u1 is not a student of this section", "learner"],
    ["canvas", "scores", 422, "The maximum number of allowed attempts has been reached", "learner"],
    ["d2l", "scores", 404, "User in requested score does not exist", "learner"],
    ["d2l", "scores", 404, "Line item not found", "not-found"],
    ["moodle", "lineitem", 403, "", "config"],
    ["canvas", "lineitems", 412, "", "config"],
    ["buzz", "lineitems", 415, "", "invalid-request"],
  ] as const)("%s %s HTTP %i %j → %s", (kind, route, status, message, expected) => {
    expect(classifyServiceStatus(kind, route, status, message)).toBe(expected);
  });

  it("derives /scores and /results from the line item's path, keeping its query (§4.4)", () => {
    const moodle = "https://m.example/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1";
    expect(lineItemServiceUrl(moodle, "scores")).toBe(
      "https://m.example/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=1",
    );
    expect(lineItemServiceUrl("https://c.example/api/lti/courses/1/line_items/2/", "results")).toBe(
      "https://c.example/api/lti/courses/1/line_items/2/results",
    );
  });
});
