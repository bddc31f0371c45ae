import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { clientForFake } from "../../fixtures/fake-coursera/testing.js";
import { ExitCode, RemoteError } from "../../src/base/errors.js";
import { redact } from "../../src/base/redact.js";
import { CourseraApiError } from "../../src/clients/coursera/errors.js";
import { renewMargin } from "../../src/clients/coursera/token.js";

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

const tokenRequests = () => fake.requests().filter((r) => r.path === "/oauth2/client_credentials/token");
const unauthorized = () => fake.requests().filter((r) => r.status === 401);

async function rejection(promise: Promise<unknown>): Promise<CourseraApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CourseraApiError);
  return error as CourseraApiError;
}

describe("CourseraClient tokens", () => {
  it("mints one token by HTTP Basic and reuses it for every call", async () => {
    const { client } = clientForFake(fake, { pageSize: 10 });
    await client.programs().all();
    await client.users().all();
    await client.getOrg();
    expect(tokenRequests()).toHaveLength(1);
    expect(tokenRequests()[0]!.auth).toBe("basic");
  });

  it("re-mints once when a token expires mid-pull (short-lived token knob), and loses no page", async () => {
    fake.configure({ tokenLifetimeSec: 2 });
    const { client } = clientForFake(fake, { pageSize: 7 });
    const seen: string[] = [];
    let pages = 0;
    for await (const page of client.users().pages()) {
      for (const u of page) seen.push(u.externalId);
      // After the second page the fake's clock passes the token's 2 s lifetime.
      if (++pages === 2) fake.advanceClock(3_000);
    }
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
    expect(tokenRequests()).toHaveLength(2);
    expect(unauthorized()).toHaveLength(1);
    expect(unauthorized()[0]!.query.start).toBe("14");
  });

  it("re-mints once when the token is revoked between two pages", async () => {
    const { client } = clientForFake(fake, { pageSize: 7 });
    let pages = 0;
    let n = 0;
    for await (const page of client.users().pages()) {
      n += page.length;
      if (++pages === 3) fake.revokeTokens();
    }
    expect(n).toBe(40);
    expect(tokenRequests()).toHaveLength(2);
    expect(unauthorized()).toHaveLength(1);
  });

  it("renews a cached token shortly before it expires, without waiting for a 401", async () => {
    fake.configure({ tokenLifetimeSec: 600 });
    let clock = Date.now();
    const { client } = clientForFake(fake, { pageSize: 7, now: () => clock });
    let pages = 0;
    for await (const _page of client.users().pages()) {
      if (++pages === 2) clock += 600_000 - renewMargin(600_000) + 1;
    }
    expect(tokenRequests()).toHaveLength(2);
    expect(unauthorized()).toHaveLength(0);
  });

  it("shares one mint between concurrent first calls", async () => {
    const { client } = clientForFake(fake);
    await Promise.all([client.programs().all(), client.users().all(), client.getOrg()]);
    expect(tokenRequests()).toHaveLength(1);
  });
});

describe("CourseraClient auth and permission errors", () => {
  it("wrong client secret: exit 4, names the tenant and the fix, never prints the secret", async () => {
    const { client } = clientForFake(fake, { clientSecret: "definitely-not-the-secret" });
    const error = await rejection(client.programs().all());
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(
      /Coursera refused the client credentials of tenant fake-uni .*HTTP 401 invalid_client/,
    );
    expect(error.hint).toMatch(/client id \(API Key\) and client secret of tenant fake-uni/);
    expect(`${error.message} ${error.hint}`).not.toContain("definitely-not-the-secret");
    expect(redact("secret=definitely-not-the-secret")).not.toContain("definitely-not-the-secret");
  });

  it("a token answer of JSON null (200): exit 4 naming the token URL to check, not an unexpected failure", async () => {
    fake.addFault({ kind: "nullJson", scope: "token" });
    const { client } = clientForFake(fake, { pageSize: 10 });
    const error = (await client
      .programs()
      .all()
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as RemoteError;
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.message).toMatch(/without an access_token/);
    expect(error.hint).toMatch(/token URL/);
  });

  it("a 403 that survives a fresh token (app without the Business API): exit 4 after one re-mint", async () => {
    fake.configure({ forbidden: true });
    const { client } = clientForFake(fake);
    const error = await rejection(client.programs().all());
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.errorCode).toBe("FORBIDDEN");
    expect(error.message).toMatch(/Coursera refused listing programs for tenant fake-uni/);
    expect(error.hint).toMatch(/check the Coursera client id\/secret and org id of tenant fake-uni/);
    expect(tokenRequests()).toHaveLength(2);
  });

  it("an org id the credentials do not belong to: exit 4", async () => {
    const { client } = clientForFake(fake, { orgId: "NotOurOrg0000000000000" });
    const error = await rejection(client.getOrg());
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.message).toMatch(/not allowed to read org NotOurOrg0000000000000/);
  });

  it("an unknown program: exit 3 naming it", async () => {
    const { client } = clientForFake(fake);
    const error = await rejection(client.enrollmentReports({ programId: "NoSuchProgram" }).all());
    expect(error.exitCode).toBe(ExitCode.notFound);
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/Coursera has no program NoSuchProgram in org/);
    expect(error.hint).toMatch(/gg4l programs pull/);
  });
});
