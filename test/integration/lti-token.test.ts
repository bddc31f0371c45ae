/** Service tokens: caching, granted scopes, and each refusal of the fake reported clearly by the client. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLms, type StartFakeLmsOptions, startFakeLms } from "../../fixtures/fake-lms/server.js";
import type { FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import type { ToolKey } from "../../src/base/keys.js";
import { AgsClient } from "../../src/clients/lti/ags.js";
import { AGS_SCOPE, NRPS_SCOPE } from "../../src/clients/lti/constants.js";
import { AgsError, LtiTokenError } from "../../src/clients/lti/errors.js";
import type { LtiRegistration } from "../../src/clients/lti/registration.js";
import { type ServiceTokenOptions, ServiceTokenProvider } from "../../src/clients/lti/token.js";
import {
  fastRetries,
  makeToolKey,
  registrationOf,
  serveJwks,
  type TestToolKey,
} from "../helpers/tool-key.js";

let toolKey: TestToolKey;
let otherKey: TestToolKey;
const opened: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  [toolKey, otherKey] = await Promise.all([makeToolKey(), makeToolKey()]);
});
afterAll(async () => {
  for (const o of opened) await o.close();
});

async function fake(kind: FakeLmsKind, options: Partial<StartFakeLmsOptions> = {}): Promise<FakeLms> {
  const lms = await startFakeLms({ kind, toolPublicJwk: toolKey.file.publicJwk, ...options });
  opened.push(lms);
  return lms;
}

function provider(
  lms: FakeLms,
  options: ServiceTokenOptions & { reg?: Partial<LtiRegistration>; key?: ToolKey } = {},
): ServiceTokenProvider {
  const { http, sleep, retry } = fastRetries();
  return new ServiceTokenProvider(registrationOf(lms, options.reg), options.key ?? toolKey.key, {
    http,
    sleep,
    retry,
    ...options,
  });
}

async function tokenError(promise: Promise<unknown>): Promise<LtiTokenError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LtiTokenError);
    return error as LtiTokenError;
  }
  throw new Error("expected an LtiTokenError");
}

const tokenCalls = (lms: FakeLms) => lms.requests().filter((r) => r.route === "token").length;

describe("token cache", () => {
  it("keeps one token per scope set until shortly before it expires", async () => {
    let clock = Date.now();
    const lms = await fake("canvas", { clock: () => clock });
    const tokens = provider(lms, { now: () => clock });
    const [a, b] = await Promise.all([
      tokens.getToken([AGS_SCOPE.score, AGS_SCOPE.resultReadonly]),
      tokens.getToken([AGS_SCOPE.resultReadonly, AGS_SCOPE.score]),
    ]);
    expect(a.accessToken).toBe(b.accessToken);
    expect(tokenCalls(lms)).toBe(1);
    expect([...a.scopes].sort()).toEqual([AGS_SCOPE.resultReadonly, AGS_SCOPE.score]);
    await tokens.getToken([AGS_SCOPE.lineitem]);
    expect(tokenCalls(lms)).toBe(2);
    clock += 3_540_000 - 1;
    expect((await tokens.getToken([AGS_SCOPE.score, AGS_SCOPE.resultReadonly])).accessToken).toBe(
      a.accessToken,
    );
    clock += 2;
    expect((await tokens.getToken([AGS_SCOPE.score, AGS_SCOPE.resultReadonly])).accessToken).not.toBe(
      a.accessToken,
    );
    expect(tokenCalls(lms)).toBe(3);
  });
});

describe("granted scopes", () => {
  it("takes the intersection the LMS grants and names the missing scope before calling", async () => {
    const lms = await fake("canvas", { permittedScopes: [AGS_SCOPE.lineitemReadonly, AGS_SCOPE.score] });
    const { http } = fastRetries();
    const tokens = provider(lms);
    const ags = new AgsClient(registrationOf(lms), tokens, { http });
    expect(await ags.listLineItems(lms.lineitemsUrl)).toEqual([]);
    const error = await ags
      .createLineItem(lms.lineitemsUrl, { label: "x", scoreMaximum: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgsError);
    expect(error).toMatchObject({ kind: "config", errorCode: "missing_scope", exitCode: 4 });
    expect((error as AgsError).message).toBe(
      `create a line item: Canvas did not grant the scope ${AGS_SCOPE.lineitem} (granted: ${AGS_SCOPE.lineitemReadonly} ${AGS_SCOPE.score})`,
    );
    expect((error as AgsError).hint).toMatch(/developer key/);
    expect(lms.requests().filter((r) => r.route === "lineitems" && r.method === "POST")).toEqual([]);
  });

  it("reports a request for no permitted scope as invalid_scope", async () => {
    const lms = await fake("blackboard", { permittedScopes: [AGS_SCOPE.score] });
    const error = await tokenError(provider(lms).getToken([NRPS_SCOPE]));
    expect(error).toMatchObject({ errorCode: "invalid_scope", status: 400, exitCode: 4, retryable: false });
    expect(error.hint).toMatch(/enable the Assignment and Grade Services/);
  });
});

describe("assertion checks", () => {
  it("refuses a replayed jti (Canvas) and says why; Moodle accepts it, as observed", async () => {
    const canvas = await fake("canvas");
    const sameJti = provider(canvas, { newJti: () => "always-the-same" });
    await sameJti.getToken([AGS_SCOPE.score]);
    const error = await tokenError(sameJti.getToken([AGS_SCOPE.lineitem]));
    expect(error.message).toBe(
      "Canvas refused the service token request (HTTP 400 invalid_client: the assertion's jti was already used (replayed assertion))",
    );
    expect(error.hint).toMatch(/fresh one/);
    expect(error).toMatchObject({ exitCode: 4, retryable: false });

    const moodle = await fake("moodle");
    const lax = provider(moodle, { newJti: () => "always-the-same" });
    await lax.getToken([AGS_SCOPE.score]);
    await expect(lax.getToken([AGS_SCOPE.lineitem])).resolves.toMatchObject({ scopes: [AGS_SCOPE.lineitem] });
  });

  it("refuses an expired assertion and points at the clock", async () => {
    const lms = await fake("d2l");
    const error = await tokenError(
      provider(lms, { now: () => Date.now() - 3_600_000 }).getToken([AGS_SCOPE.score]),
    );
    expect(error.lmsMessage).toBe("the client assertion has expired (exp is in the past)");
    expect(error.hint).toMatch(/clock/);
  });

  it("refuses an assertion for another audience; D2L's fixed audience is the default", async () => {
    const d2l = await fake("d2l");
    await expect(provider(d2l).getToken([AGS_SCOPE.score])).resolves.toBeDefined();
    const error = await tokenError(
      provider(d2l, { reg: { tokenAudience: d2l.tokenUrl } }).getToken([AGS_SCOPE.score]),
    );
    expect(error.lmsMessage).toMatch(
      /aud .* is not the audience this platform expects \(https:\/\/api.brightspace.com\/auth\/token\)/,
    );
    expect(error.hint).toMatch(/D2L expects https:\/\/api.brightspace.com\/auth\/token/);

    const blackboard = await fake("blackboard");
    const foreign = await tokenError(
      provider(blackboard, { reg: { tokenAudience: "https://elsewhere.example/token" } }).getToken([
        AGS_SCOPE.score,
      ]),
    );
    expect(foreign.hint).toMatch(/token audience/);

    const moodle = await fake("moodle");
    await expect(
      provider(moodle, { reg: { tokenAudience: "https://elsewhere.example/token" } }).getToken([
        AGS_SCOPE.score,
      ]),
    ).resolves.toBeDefined();
  });

  it("refuses an assertion signed with a key the LMS does not hold, from a static key or a JWKS URL", async () => {
    const lms = await fake("schoology");
    const error = await tokenError(provider(lms, { key: otherKey.key }).getToken([AGS_SCOPE.score]));
    expect(error.lmsMessage).toBe("no registered tool key matches the assertion's kid");
    expect(error.hint).toMatch(/tool's current JWKS/);

    const jwks = await serveJwks(toolKey.jwks);
    opened.push(jwks);
    const byUrl = await fake("buzz", { toolPublicJwk: undefined, toolJwksUrl: jwks.url });
    await expect(provider(byUrl).getToken([AGS_SCOPE.score])).resolves.toBeDefined();
    const forged = { ...otherKey.key, kid: toolKey.key.kid };
    const bad = await tokenError(provider(byUrl, { key: forged }).getToken([AGS_SCOPE.score]));
    expect(bad.lmsMessage).toBe(
      "the client assertion signature does not verify with the registered tool key",
    );
  });

  it("Moodle: reads a JSON token labelled text/html; a refusal without description gets a general hint", async () => {
    const lms = await fake("moodle");
    await expect(provider(lms).getToken([AGS_SCOPE.score])).resolves.toMatchObject({
      scopes: [AGS_SCOPE.score],
    });
    const error = await tokenError(provider(lms, { key: otherKey.key }).getToken([AGS_SCOPE.score]));
    expect(error.message).toBe("Moodle refused the service token request (HTTP 400 invalid_client)");
    expect(error.hint).toMatch(/client id, token URL and token audience/);
  });

  it("names an unknown client id", async () => {
    const lms = await fake("canvas");
    const error = await tokenError(
      provider(lms, { reg: { clientId: "nobody" } }).getToken([AGS_SCOPE.score]),
    );
    expect(error.lmsMessage).toBe("unknown client_id nobody");
  });
});

describe("token endpoint failures", () => {
  it("retries 5xx with a fresh assertion each time, then gives up with a retryable error", async () => {
    const lms = await fake("canvas");
    lms.addFaults({ route: "token", type: "status", status: 503, times: 2 });
    const { http, sleep, retry, delays } = fastRetries();
    const tokens = new ServiceTokenProvider(registrationOf(lms), toolKey.key, { http, sleep, retry });
    await expect(tokens.getToken([AGS_SCOPE.score])).resolves.toBeDefined();
    expect(delays).toHaveLength(2);
    expect(tokenCalls(lms)).toBe(3);

    lms.addFaults({ route: "token", type: "status", status: 503, times: 10 });
    const error = await tokenError(tokens.getToken([AGS_SCOPE.lineitem]));
    expect(error).toMatchObject({ status: 503, retryable: true, exitCode: 1 });
  });

  it("names an HTML page where a token was expected", async () => {
    const lms = await fake("blackboard");
    lms.addFaults({ route: "token", type: "html", status: 200 });
    const error = await tokenError(provider(lms).getToken([AGS_SCOPE.score]));
    expect(error.message).toBe(
      "the Blackboard token endpoint answered HTTP 200 with an HTML page instead of a token",
    );
  });
});
