/**
 * The embedded sandbox: the fake Coursera and a fake LMS on loopback, gg4l serve's tool
 * endpoints, and a gg4l state with tenant "sandbox" registered against both. Used by
 * `gg4l sandbox demo` and `gg4l sandbox start`; needs no credentials.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type FakeClassroom, startFakeClassroom } from "../../fixtures/fake-classroom/server.js";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import type { FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import { keyPathFor, readToolKeyFile } from "../base/keys.js";
import { type Context, createContext, type Logger } from "../core/context.js";
import { init } from "../core/init.js";
import { registerLms } from "../core/lms.js";
import type { Env } from "../core/paths.js";
import type { Prompter } from "../core/prompter.js";
import { storeCourseraSecret } from "../core/secrets.js";
import { addTenant } from "../core/tenants.js";
import { startToolServer, type ToolServer } from "../server/server.js";
import { openState } from "../store/db.js";
import type { GradeSyncOption } from "../store/lms.js";

export const SANDBOX_TENANT = "sandbox";

export type SandboxLms = FakeLmsKind | "google-classroom";

/** The sandbox's learners: new to the program, so their first visit takes a license. */
export const SANDBOX_LEARNERS = [
  { email: "amina.okafor@sandbox.edu", test: false },
  { email: "lucas.martin@sandbox.edu", test: false },
  { email: "mei.tanaka@sandbox.edu", test: false },
  { email: "sofia.rossi@sandbox.edu", test: false },
  { email: "test.student@sandbox.edu", test: true },
] as const;

export interface SandboxOptions {
  lms: SandboxLms;
  gradeSync: GradeSyncOption;
  /** Keep the state here; a throw-away folder otherwise. */
  dbPath?: string;
  dataset: "small" | "demo";
  osUser: string;
  prompter: Prompter;
  logger?: Logger;
}

export interface SandboxWorld {
  ctx: Context;
  dbPath: string;
  throwaway: boolean;
  coursera: FakeCoursera;
  /** The fake LMS and gg4l serve's endpoints, for the LTI kinds. */
  lms?: FakeLms;
  tool?: ToolServer;
  /** The fake Classroom API, for google-classroom. */
  classroom?: FakeClassroom;
  close(): Promise<void>;
}

const quiet: Logger = { debugEnabled: false, debug: () => {}, info: () => {}, warn: () => {} };

export async function startSandbox(opts: SandboxOptions): Promise<SandboxWorld> {
  const throwaway = opts.dbPath === undefined;
  const dir = throwaway ? mkdtempSync(join(tmpdir(), "gg4l-sandbox-")) : undefined;
  const dbPath = opts.dbPath ?? join(dir!, "sandbox.db");
  // The sandbox's own environment: nothing of the caller's GG4L_* settings leaks in.
  const env: Env = { HOME: process.env.HOME };
  const ctx = createContext({
    env,
    dbPath,
    tenantFlag: SANDBOX_TENANT,
    osUser: opts.osUser,
    logger: opts.logger ?? quiet,
    prompter: opts.prompter,
    canPrompt: false,
    readStdin: async () => "",
    openState,
  });
  const started: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of started.reverse()) await stop().catch(() => {});
    ctx.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await init(ctx);
    const coursera = await startFakeCoursera({ dataset: opts.dataset });
    started.push(() => coursera.close());
    await addTenant(ctx, {
      slug: SANDBOX_TENANT,
      name: "Sandbox University",
      courseraOrg: coursera.orgId,
      courseraUrl: coursera.baseUrl,
      courseraClientId: coursera.clientId,
      secretFromStdin: false,
    });
    storeCourseraSecret(dbPath, SANDBOX_TENANT, coursera.clientSecret);
    if (opts.lms === "google-classroom") {
      const keyFile = join(dirname(dbPath), "sandbox-classroom-sa.json");
      const classroom = await startFakeClassroom({ keyFile, students: SANDBOX_LEARNERS.map((l) => l.email) });
      started.push(async () => {
        await classroom.close();
        rmSync(keyFile, { force: true });
      });
      registerLms(ctx, {
        kind: "google-classroom",
        serviceAccountKey: keyFile,
        teacher: classroom.teacher,
        apiUrl: classroom.apiUrl,
        tokenUrl: classroom.tokenUrl,
        gradeSync: opts.gradeSync,
      });
      return { ctx, dbPath, throwaway, coursera, classroom, close };
    }
    const tool = await startToolServer(ctx, { host: "127.0.0.1", port: 0 });
    started.push(() => tool.close());
    const lms = await startFakeLms({
      kind: opts.lms,
      toolPublicJwk: readToolKeyFile(keyPathFor(dbPath)).publicJwk,
      toolLoginUrl: tool.urls.loginUrl,
      toolRedirectUris: [tool.urls.launchUrl],
      toolTargetLinkUri: tool.urls.launchUrl,
      toolDeepLinkUri: tool.urls.deepLinkUrl,
    });
    started.push(() => lms.close());
    registerLms(ctx, {
      kind: opts.lms,
      issuer: lms.issuer,
      clientId: lms.clientId,
      deploymentId: lms.deploymentId,
      authUrl: lms.authUrl,
      tokenUrl: lms.tokenUrl,
      jwksUrl: lms.jwksUrl,
      tokenAudience: lms.tokenAudience,
      gradeSync: opts.gradeSync,
    });
    return { ctx, dbPath, throwaway, coursera, lms, tool, close };
  } catch (error) {
    await close();
    throw error;
  }
}
