/**
 * Shared by the `gg4l serve` tests: a prepared state (tenant, pulled programs, refreshed
 * courses) copied per test, the fake LMS registered on both sides, the `gg4l serve --json`
 * process, the content picker driven over plain HTTP, and readings of the state.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SignJWT } from "jose";
import { request } from "undici";
import { afterAll, beforeAll } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { tenantAddArgs } from "../../fixtures/fake-coursera/tenant.js";
import {
  type PickerChoices,
  type Published,
  publishThroughPicker,
} from "../../fixtures/fake-lms/instructor.js";
import { lmsRegisterArgs } from "../../fixtures/fake-lms/registration.js";
import type { FakeLms } from "../../fixtures/fake-lms/server.js";
import { binPath, type RunResult, runGg4l } from "../helpers/gg4l.js";
import { makeToolKey, serveJwks, type TestToolKey } from "../helpers/tool-key.js";

export interface Box {
  dir: string;
  db: string;
  gg4l: (args: string[], input?: string) => Promise<RunResult>;
  cleanup(): void;
}

function boxAt(dir: string): Box {
  const db = join(dir, "state.db");
  return {
    dir,
    db,
    gg4l: (args, input) => runGg4l(args, { env: { GG4L_DB: db }, input }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function expectOk(result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`gg4l exited ${result.code}\n${result.stderr}${result.stdout}`);
  return result;
}

/** A state with tenant "fsu" on the fake Coursera, programs pulled, `active` activated and their courses refreshed. */
export async function prepareState(fake: FakeCoursera, active: string[]): Promise<Box> {
  const box = boxAt(mkdtempSync(join(tmpdir(), "gg4l-serve-")));
  expectOk(await box.gg4l(["init"]));
  expectOk(await box.gg4l(tenantAddArgs(fake, "fsu", "FSU"), fake.clientSecret));
  expectOk(await box.gg4l(["programs", "pull"]));
  expectOk(await box.gg4l(["programs", "activate", ...active]));
  expectOk(await box.gg4l(["courses", "refresh", "--all"]));
  return box;
}

/** A fresh copy of a prepared state (database, tool key, secrets). */
export function copyState(template: Box): Box {
  const box = boxAt(mkdtempSync(join(tmpdir(), "gg4l-serve-")));
  for (const suffix of [".db", ".db-wal", ".db-shm", ".key.json", ".secrets.json"]) {
    const from = join(template.dir, `state${suffix}`);
    if (!existsSync(from)) continue;
    const to = join(box.dir, `state${suffix}`);
    copyFileSync(from, to);
    chmodSync(to, 0o600);
  }
  return box;
}

export async function registerLms(
  box: Box,
  lms: FakeLms,
  gradeSync: "assignment" | "course" | "final",
  deploymentId = lms.deploymentId,
) {
  expectOk(await box.gg4l(lmsRegisterArgs({ ...lms, deploymentId }, gradeSync)));
}

export interface ToolUrlsJson {
  baseUrl: string;
  loginUrl: string;
  launchUrl: string;
  deepLinkUrl: string;
  jwksUrl: string;
}

export interface Serve {
  urls: ToolUrlsJson;
  child: ChildProcess;
  /** Everything the server logged so far. */
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `gg4l serve --json --port 0` and waits for its one JSON line. */
export function startServe(
  box: Box,
  args: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<Serve> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GG4L_")) env[k] = v;
  Object.assign(env, { GG4L_DB: box.db }, extraEnv);
  const child = spawn(process.execPath, [binPath, "serve", "--json", "--port", "0", ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new Error(`gg4l serve ${why}\nstdout: ${stdout}\nstderr: ${stderr}`));
    void exited.then(({ code }) => fail(`exited ${code} before listening`));
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      try {
        const urls = JSON.parse(stdout.slice(0, newline)) as ToolUrlsJson;
        resolve({
          urls,
          child,
          log: () => stderr,
          stop: (signal = "SIGTERM") => {
            child.kill(signal);
            return exited;
          },
        });
      } catch {
        fail("printed no JSON line");
      }
    });
  });
}

/** Points the fake LMS's tool registration at the running server. */
export function connectLms(lms: FakeLms, urls: ToolUrlsJson): void {
  lms.updateRegistration({
    toolLoginUrl: urls.loginUrl,
    toolJwksUrl: urls.jwksUrl,
    toolRedirectUris: [urls.launchUrl],
    toolTargetLinkUri: urls.launchUrl,
    toolDeepLinkUri: urls.deepLinkUrl,
  });
}

export interface StateCounts {
  launches: number;
  lmsUsers: number;
  links: number;
  memberships: number;
  learners: number;
}

export function readState<T>(box: Box, read: (db: Database.Database) => T): T {
  const db = new Database(box.db, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export function stateCounts(box: Box): StateCounts {
  return readState(box, (db) => {
    const count = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      launches: count("launches"),
      lmsUsers: count("lms_users"),
      links: count("links"),
      memberships: count("memberships"),
      learners: count("learners"),
    };
  });
}

export { parsePicker, postForm } from "../../fixtures/fake-lms/instructor.js";
export type { Published };

/** An instructor adds content through gg4l's picker over plain HTTP. */
export function publishOverHttp(
  lms: FakeLms,
  choose: PickerChoices,
  userId = lms.seeded.instructorId,
): Promise<Published> {
  return publishThroughPicker(lms, choose, userId);
}

export interface LearnerShow {
  externalId: string;
  memberships: Array<{ programId: string }>;
  licenses: number;
  sso: { linked: boolean; launches: Array<{ resourceLinkId: string; programId: string | null }> };
  lmsUsers: Array<{ issuer: string; lmsKind: string; sub: string; source: string }>;
  links: Array<{
    resourceLinkId: string;
    connected: boolean;
    stale: boolean;
    lineItemUrl: string | null;
    lineItemsUrl: string | null;
    nrpsUrl: string | null;
    courseId: string | null;
    itemId: string | null;
    gradeSync: string;
  }>;
  diagnosis: string[];
}

/** A platform the test signs id_tokens for itself (a JWKS on loopback), for payloads the fake LMS cannot make. */
export interface TestPlatform {
  issuer: string;
  clientId: string;
  deploymentId: string;
  kid: string;
  jwksUrl: string;
  /** A key the platform never published. */
  stranger: TestToolKey;
  sign(claims: Record<string, unknown>, opts?: { kid?: string; key?: TestToolKey }): Promise<string>;
  close(): Promise<void>;
}

export async function startTestPlatform(): Promise<TestPlatform> {
  const [key, stranger] = await Promise.all([makeToolKey(), makeToolKey()]);
  const jwks = await serveJwks(key.jwks);
  return {
    issuer: "https://platform.test",
    clientId: "tool-x",
    deploymentId: "dep-x",
    kid: key.key.kid,
    jwksUrl: jwks.url,
    stranger,
    sign: (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: opts.kid ?? key.key.kid })
        .sign((opts.key ?? key).key.privateKey),
    close: jwks.close,
  };
}

export async function registerTestPlatform(
  box: Box,
  platform: TestPlatform,
  gradeSync = "final",
): Promise<void> {
  expectOk(
    await box.gg4l([
      "lms",
      "register",
      "--kind",
      "canvas",
      "--issuer",
      platform.issuer,
      "--client-id",
      platform.clientId,
      "--deployment-id",
      platform.deploymentId,
      "--auth-url",
      `${platform.issuer}/auth`,
      "--token-url",
      `${platform.issuer}/token`,
      "--jwks-url",
      platform.jwksUrl,
      "--grade-sync",
      gradeSync,
    ]),
  );
}

export interface ManualLogin {
  status: number;
  state: string;
  nonce: string;
  /** The Cookie header a browser would send back. */
  cookie: string;
  setCookie: string;
  location: string;
  body: string;
}

/** Login initiation as a browser would start it, without following the redirect. */
export async function manualLogin(urls: ToolUrlsJson, params: Record<string, string>): Promise<ManualLogin> {
  const res = await request(`${urls.loginUrl}?${new URLSearchParams(params)}`);
  const body = await res.body.text();
  const location = String(res.headers.location ?? "");
  const setCookie = String(res.headers["set-cookie"] ?? "");
  const query = location ? new URL(location).searchParams : new URLSearchParams();
  return {
    status: res.statusCode,
    state: query.get("state") ?? "",
    nonce: query.get("nonce") ?? "",
    cookie: setCookie.split(";")[0] ?? "",
    setCookie,
    location,
    body,
  };
}

export async function postLaunch(urls: ToolUrlsJson, form: Record<string, string>, cookie?: string) {
  const res = await request(urls.launchUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

type Closable = { close(): Promise<void> } | { cleanup(): void };

export interface ServeSuite {
  /** The fake Coursera every test of the file shares. */
  readonly fake: FakeCoursera;
  /** A state with the programs pulled and their courses refreshed, copied per test. */
  readonly template: Box;
  /** Closes (or cleans up) what a test opened when the file ends, last opened first. */
  keep(...things: Closable[]): void;
}

/** Registers the file's hooks: one fake Coursera and one prepared state for all its tests. */
export function serveSuite(programs: string[] = ["Data Science", "Cloud Computing"]): ServeSuite {
  const opened: Closable[] = [];
  let fake: FakeCoursera | undefined;
  let template: Box | undefined;
  beforeAll(async () => {
    fake = await startFakeCoursera({ dataset: "small" });
    template = await prepareState(fake, programs);
  }, 60_000);
  afterAll(async () => {
    for (const o of opened.reverse()) "close" in o ? await o.close() : o.cleanup();
    template?.cleanup();
    await fake?.close();
  });
  return {
    get fake() {
      if (!fake) throw new Error("serveSuite: the fake Coursera starts in beforeAll");
      return fake;
    },
    get template() {
      if (!template) throw new Error("serveSuite: the template state is made in beforeAll");
      return template;
    },
    keep: (...things) => void opened.push(...things),
  };
}
