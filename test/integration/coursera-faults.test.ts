import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { clientForFake } from "../../fixtures/fake-coursera/testing.js";
import { RemoteError } from "../../src/base/errors.js";
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

async function rejection(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RemoteError);
  return error as RemoteError;
}

describe("CourseraClient on a misbehaving Coursera", () => {
  it("honours Retry-After on 429 (the delay asked for is the server's) and gets every page", async () => {
    fake.addFault({ kind: "rateLimit", count: 2, retryAfterSec: 7, path: "/users" });
    const { client, log } = clientForFake(fake, { pageSize: 10 });
    const users = await client.users().all();
    expect(users).toHaveLength(40);
    expect(log.httpRetries).toEqual([429, 429]);
    expect(log.httpDelays).toEqual([7000, 7000]);
  });

  it("retries 5xx answers with backoff", async () => {
    fake.addFault({ kind: "serverError", count: 2, status: 502 });
    fake.addFault({ kind: "serverError", count: 1, status: 504, path: "/programs" });
    const { client, log } = clientForFake(fake);
    const programs = await client.programs().all();
    expect(programs).toHaveLength(3);
    expect(log.httpRetries).toEqual([502, 502, 504]);
    expect(log.httpDelays.every((ms) => ms >= 0 && ms < 1000)).toBe(true);
  });

  it("retries a dropped connection on a GET", async () => {
    fake.addFault({ kind: "drop", path: "/programs" });
    const { client, log } = clientForFake(fake);
    expect(await client.programs().all()).toHaveLength(3);
    expect(log.httpRetries).toHaveLength(1);
    expect(typeof log.httpRetries[0]).toBe("string");
  });

  it("gives up after the retries with a message naming what kept failing", async () => {
    fake.addFault({ kind: "serverError", count: 10, status: 503 });
    const { client, log } = clientForFake(fake, { retries: 2 });
    const error = await rejection(client.programs().all());
    expect(error).toBeInstanceOf(CourseraApiError);
    expect(error.status).toBe(503);
    expect(error.errorCode).toBe("SERVICE_UNAVAILABLE");
    expect(error.message).toMatch(
      /Coursera kept failing while listing programs \(HTTP 503 SERVICE_UNAVAILABLE: .*, 3 attempts\)/,
    );
    expect(error.hint).toMatch(/retry later/);
    expect(log.httpRetries).toEqual([503, 503]);
  });

  it("turns malformed JSON into a RemoteError that says so", async () => {
    fake.addFault({ kind: "malformedJson", path: "/programs" });
    const { client } = clientForFake(fake);
    const error = await rejection(client.programs().all());
    expect(error.message).toMatch(
      /^Coursera listing programs: http:\/\/127\.0\.0\.1:\d+ answered HTTP 200 with malformed JSON$/,
    );
    expect(error.hint).toMatch(/truncated or invalid body/);
  });

  it("turns an HTML page (200 from a login page or proxy) into a RemoteError that says so", async () => {
    fake.addFault({ kind: "html", status: 200, path: "/users" });
    const { client } = clientForFake(fake);
    const error = await rejection(client.users().all());
    expect(error.message).toMatch(/answered HTTP 200 with an HTML page instead of JSON/);
    expect(error.hint).toMatch(/base URL/);
  });

  it("names an HTML error page that outlasts the retries", async () => {
    fake.addFault({ kind: "html", status: 503, count: 5 });
    const { client } = clientForFake(fake, { retries: 1 });
    const error = await rejection(client.programs().all());
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/HTTP 503 \(an HTML page\)/);
  });

  it("retries the token request itself on 5xx", async () => {
    fake.addFault({ kind: "serverError", scope: "token" });
    const { client, log } = clientForFake(fake);
    expect(await client.programs().all()).toHaveLength(3);
    expect(log.httpRetries).toEqual([503]);
  });

  it("survives a slow reply", async () => {
    fake.addFault({ kind: "delay", ms: 50, path: "/programs" });
    const { client } = clientForFake(fake);
    expect(await client.programs().all()).toHaveLength(3);
    expect(fake.requests().find((r) => r.path.endsWith("/programs"))!.fault).toBe("delay");
  });
});
