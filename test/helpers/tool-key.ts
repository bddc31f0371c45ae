/**
 * The tool side of LTI tests: an in-memory tool key, a JWKS server for it, the registration a
 * fake LMS corresponds to, and HTTP/sleep options that make retries instant and observable.
 */

import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { importJWK, type JWK, SignJWT } from "jose";
import { request } from "undici";
import type { FakeLmsInfo } from "../../fixtures/fake-lms/server.js";
import { generateToolKeyFile, type ToolKey, type ToolKeyFile } from "../../src/base/keys.js";
import { HttpClient } from "../../src/clients/http.js";
import type { LtiRegistration } from "../../src/clients/lti/registration.js";

export interface TestToolKey {
  file: ToolKeyFile;
  key: ToolKey;
  jwks: { keys: JWK[] };
}

export async function makeToolKey(): Promise<TestToolKey> {
  const file = await generateToolKeyFile(new Date());
  const privateKey = (await importJWK(file.privateJwk, "RS256")) as ToolKey["privateKey"];
  return {
    file,
    key: { kid: file.kid, alg: "RS256", privateKey, publicJwk: file.publicJwk },
    jwks: { keys: [file.publicJwk] },
  };
}

/** Serves a JWKS on 127.0.0.1, the way `gg4l serve` publishes the tool's keys. */
export async function serveJwks(jwks: { keys: JWK[] }): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function registrationOf(lms: FakeLmsInfo, overrides: Partial<LtiRegistration> = {}): LtiRegistration {
  return {
    kind: lms.kind,
    issuer: lms.issuer,
    clientId: lms.clientId,
    deploymentId: lms.deploymentId,
    tokenUrl: lms.tokenUrl,
    jwksUrl: lms.jwksUrl,
    ...overrides,
  };
}

/** Retries without waiting; `delays` records every back-off the clients asked for. */
export function fastRetries(retries = 3) {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  const retry = { retries, baseDelayMs: 10, maxDelayMs: 5000 };
  return { delays, sleep, retry, http: new HttpClient({ sleep, retry }) };
}

/** A client assertion as a tool signs it, with knobs to make it wrong. */
export async function signAssertion(
  key: ToolKey,
  claims: { clientId: string; aud: string; jti?: string; iat?: number; exp?: number; sub?: string },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid })
    .setIssuer(claims.clientId)
    .setSubject(claims.sub ?? claims.clientId)
    .setAudience(claims.aud)
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime(claims.exp ?? now + 60)
    .setJti(claims.jti ?? randomUUID())
    .sign(key.privateKey);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON answers
  json(): any;
}

/** A plain HTTP call with undici, for tests of the fake's own rules. */
export async function raw(
  url: string,
  init: {
    method?: string;
    token?: string;
    accept?: string;
    contentType?: string;
    body?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.accept) headers.accept = init.accept;
  if (init.contentType) headers["content-type"] = init.contentType;
  const res = await request(url, { method: (init.method ?? "GET") as "GET", headers, body: init.body });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body) };
}

/** Posts to the token endpoint; returns the raw answer. */
export async function requestToken(
  lms: FakeLmsInfo,
  key: ToolKey,
  scopes: readonly string[],
  assertion?: string,
): Promise<RawResponse> {
  const clientAssertion =
    assertion ?? (await signAssertion(key, { clientId: lms.clientId, aud: lms.tokenAudience }));
  return raw(lms.tokenUrl, {
    method: "POST",
    contentType: "application/x-www-form-urlencoded",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: clientAssertion,
      scope: scopes.join(" "),
    }).toString(),
  });
}

/** An access token for these scopes, or a thrown error with the endpoint's answer. */
export async function accessToken(
  lms: FakeLmsInfo,
  key: ToolKey,
  scopes: readonly string[],
): Promise<string> {
  const res = await requestToken(lms, key, scopes);
  if (res.status !== 200) throw new Error(`token request refused: HTTP ${res.status} ${res.body}`);
  return res.json().access_token as string;
}
