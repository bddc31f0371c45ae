/**
 * The one table of what a failure means for a sync run (src/core/sync/failures.ts): a test
 * per row, with the errors the clients really raise for each LMS's answer.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, RemoteError } from "../../src/base/errors.js";
import { ClassroomError } from "../../src/clients/classroom/errors.js";
import type { HttpResponse } from "../../src/clients/http.js";
import { AgsError, agsErrorFor, LtiTokenError } from "../../src/clients/lti/errors.js";
import type { LtiPlatformKind } from "../../src/clients/lti/registration.js";
import { BREAKER_THRESHOLD, CircuitBreaker } from "../../src/core/sync/breaker.js";
import { classifyFailure, FAILURE_TABLE } from "../../src/core/sync/failures.js";

const answer = (status: number, body: string, contentType = "application/json"): HttpResponse => ({
  url: "https://lms.example/scores",
  status,
  headers: { "content-type": contentType },
  body,
  attempts: 1,
});
const scoreAnswer = (kind: LtiPlatformKind, status: number, body: string) =>
  agsErrorFor(kind, "scores", "post a score", answer(status, body));
const levelOf = (error: unknown) => classifyFailure(error).level;
const network = (code: string) =>
  new RemoteError(`cannot reach https://lms.example: ${code}`, {
    cause: Object.assign(new Error(code), { code }),
  });

describe("run-level: the run stops, exit 4", () => {
  it("the state failed", () => {
    expect(levelOf(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }))).toBe(
      "run",
    );
  });
  it("the token endpoint refuses our assertion", () => {
    const refused = new LtiTokenError("Canvas refused the client assertion", {
      hint: "",
      retryable: false,
      status: 400,
    });
    expect(levelOf(refused)).toBe("run");
  });
  it("a freshly issued token is refused too", () => {
    const error = new AgsError("post a score: Canvas refused a freshly issued token too (HTTP 401)", {
      kind: "config",
      status: 401,
    });
    expect(classifyFailure(error)).toMatchObject({ level: "run", status: 401 });
  });
  it("a scope the run needs is missing", () => {
    expect(levelOf(new AgsError("no score scope", { kind: "config", errorCode: "missing_scope" }))).toBe(
      "run",
    );
  });
  it("Classroom refuses gg4l itself", () => {
    expect(levelOf(new ClassroomError("not a teacher", { kind: "config", status: 403 }))).toBe("run");
  });
  it("the registration or a setting is gone", () => {
    expect(levelOf(new ConfigError("no LMS registration for tenant uni"))).toBe("run");
  });
});

describe("host-level: the item fails and the circuit breaker counts it", () => {
  it("the token endpoint does not answer", () => {
    expect(levelOf(new LtiTokenError("token endpoint 503", { hint: "", retryable: true, status: 503 }))).toBe(
      "host",
    );
  });
  it("5xx after the HTTP layer's retries", () => {
    for (const status of [500, 502, 503, 504])
      expect(levelOf(scoreAnswer("moodle", status, "down"))).toBe("host");
  });
  it("connection refused, reset, timeouts", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"])
      expect(classifyFailure(network(code))).toMatchObject({ level: "host", status: null });
  });
});

describe("throttled: the run slows down and tries again", () => {
  it("429, and Canvas's 403 rate limit", () => {
    expect(levelOf(scoreAnswer("canvas", 429, ""))).toBe("throttled");
    expect(levelOf(scoreAnswer("canvas", 403, "403 Forbidden (Rate Limit Exceeded)"))).toBe("throttled");
  });
});

describe("item-level: that item fails with the LMS's status and words, the run goes on", () => {
  const cases: Array<[LtiPlatformKind, number, string]> = [
    ["canvas", 400, '{"errors":{"type":"bad_request","message":"This assignment is locked"}}'],
    ["moodle", 400, "[]"],
    ["moodle", 403, "Not allowed in context"],
    ["d2l", 403, '{"detail":"User in requested score is not enrolled in the org unit"}'],
    ["d2l", 404, '{"detail":"User in requested score does not exist"}'],
    ["canvas", 404, '{"errors":{"type":"not_found","message":"The specified resource does not exist."}}'],
    ["moodle", 409, "Refusing score with an earlier timestamp for item 3 and user 4"],
    ["canvas", 412, '{"errors":{"type":"precondition_failed","message":"Tool does not own the line item"}}'],
    ["canvas", 415, '{"errors":{"message":"unsupported media type"}}'],
    ["canvas", 422, '{"errors":{"message":"User not found in course or is not a student"}}'],
    ["blackboard", 400, '{"status":400,"message":"User could not be found: u1"}'],
  ];
  for (const [kind, status, body] of cases) {
    it(`${kind} ${status}`, () => {
      const verdict = classifyFailure(scoreAnswer(kind, status, body));
      expect(verdict).toMatchObject({ level: "item", status });
      expect(verdict.message).toContain(`HTTP ${status}`);
    });
  }
  it("a column refused or gone (on the line-items route)", () => {
    for (const status of [400, 403, 404, 412])
      expect(levelOf(agsErrorFor("canvas", "lineitems", "create a line item", answer(status, "no")))).toBe(
        "item",
      );
  });
  it("a 2xx answer the client cannot use (HTML login page, wrong media type)", () => {
    const html = new AgsError("post a score: Moodle answered 200 with an HTML page", {
      kind: "invalid-request",
      status: 200,
      errorCode: "unexpected_body",
    });
    expect(classifyFailure(html)).toMatchObject({ level: "item", status: 200 });
    expect(levelOf(new RemoteError("post a score: the answer is not JSON", { status: 200 }))).toBe("item");
  });
  it("Classroom refusals about one learner or course work", () => {
    for (const kind of ["learner", "precondition", "not-found", "project", "invalid-request"] as const)
      expect(levelOf(new ClassroomError("refused", { kind, status: 400 }))).toBe("item");
  });
  it("anything else: an error a client learns to raise later is an item failure", () => {
    expect(levelOf(new Error("something new"))).toBe("item");
    expect(levelOf(new RemoteError("truncated body"))).toBe("item");
  });
  it("the last row matches everything", () => {
    expect(FAILURE_TABLE.at(-1)!.matches(undefined)).toBe(true);
  });
});

describe("the circuit breaker", () => {
  it(`opens after ${BREAKER_THRESHOLD} items in a row at one host, and any answer closes the count`, () => {
    const breaker = new CircuitBreaker(() => "2026-12-04T02:00:05.000Z");
    const url = "https://lms.example/mod/lti/services.php/2/lineitems/7/lineitem";
    for (let i = 0; i < BREAKER_THRESHOLD - 1; i++)
      breaker.failed(url, "ECONNREFUSED", "2026-12-04T02:00:00.000Z");
    breaker.answered(url);
    expect(breaker.streak(url)).toBe(0);
    for (let i = 0; i < BREAKER_THRESHOLD - 1; i++)
      breaker.failed(url, "ECONNREFUSED", "2026-12-04T02:00:06.000Z");
    // Another host's failures do not count for this one.
    breaker.failed("https://other.example/x", "ECONNREFUSED", "2026-12-04T02:00:06.000Z");
    expect(breaker.open).toBe(false);
    breaker.failed(url, "cannot reach https://lms.example: ECONNREFUSED", "2026-12-04T02:00:07.000Z");
    expect(breaker.open).toBe(true);
    // Since the last answer: the close of the first streak.
    expect(breaker.reason()).toBe(
      "the LMS at lms.example has not answered since 2026-12-04T02:00:05.000Z: cannot reach https://lms.example: ECONNREFUSED",
    );
  });
});
