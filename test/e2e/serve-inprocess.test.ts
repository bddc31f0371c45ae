/**
 * The tool server started in process through its core function, with a clock the test turns:
 * login states and content pickers expire, the platform JWKS is cached and fetched again on an
 * unknown kid (once per cooldown), and behind an https public URL the cookies are Secure and
 * SameSite=None.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { noPrompter } from "../../src/cli/io/prompter.js";
import { type Context, createContext } from "../../src/core/context.js";
import { contentItems } from "../../src/core/publish/index.js";
import { startToolServer, type ToolServer } from "../../src/server/server.js";
import type { CourseRow, ItemRow } from "../../src/store/courses.js";
import { openState } from "../../src/store/db.js";
import type { ProgramSummary } from "../../src/store/programs.js";
import { makeToolKey, type TestToolKey } from "../helpers/tool-key.js";
import {
  type Box,
  copyState,
  manualLogin,
  parsePicker,
  postForm,
  postLaunch,
  prepareState,
  registerTestPlatform,
  type TestPlatform,
} from "./serve-helpers.js";

const LTI = "https://purl.imsglobal.org/spec/lti/claim";
let fake: FakeCoursera;
let template: Box;
let courseTarget: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeCoursera({ dataset: "small" });
  template = await prepareState(fake, ["Data Science"]);
  const programId = fake.control.licenses().find((p) => p.name === "Data Science")!.programId;
  const courses = JSON.parse(
    (await template.gg4l(["courses", "list", "--program", programId, "--json"])).stdout,
  );
  courseTarget = {
    coursera_program_id: programId,
    coursera_course_id: courses[0].id,
    gg4l_grade_sync: "final",
  };
}, 60_000);
afterAll(async () => {
  template.cleanup();
  await fake.close();
});

/** A JWKS on loopback whose keys the test changes, counting how often it is read. */
async function rotatingJwks() {
  const keys: TestToolKey[] = [await makeToolKey()];
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: keys.map((k) => k.file.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    keys,
    fetches: () => fetches,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Harness {
  box: Box;
  ctx: Context;
  server: ToolServer;
  log: string[];
  clock: { ms: number };
  platform: TestPlatform;
  jwks: Awaited<ReturnType<typeof rotatingJwks>>;
  login(): Promise<Awaited<ReturnType<typeof manualLogin>>>;
  idToken(nonce: string, key?: TestToolKey, overrides?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

async function harness(publicUrl?: string): Promise<Harness> {
  const box = copyState(template);
  const jwks = await rotatingJwks();
  const platform: TestPlatform = {
    issuer: "https://platform.test",
    clientId: "tool-x",
    deploymentId: "dep-x",
    kid: jwks.keys[0]!.key.kid,
    jwksUrl: jwks.url,
    stranger: jwks.keys[0]!,
    sign: async () => "",
    close: jwks.close,
  };
  await registerTestPlatform(box, platform);
  const clock = { ms: Date.parse("2026-03-02T10:00:00Z") };
  const log: string[] = [];
  const ctx = createContext({
    env: {},
    dbPath: box.db,
    tenantFlag: undefined,
    osUser: "tester",
    now: () => new Date(clock.ms),
    logger: { debug: () => {}, info: (m) => log.push(m), warn: (m) => log.push(m) },
    prompter: noPrompter,
    canPrompt: false,
    readStdin: async () => "",
    openState,
  });
  const server = await startToolServer(ctx, { host: "127.0.0.1", port: 0, publicUrl, jwksCooldownMs: 5_000 });
  const origin = `http://127.0.0.1:${server.port}`;
  const local = { ...server.urls, loginUrl: `${origin}/lti/login`, launchUrl: `${origin}/lti/launch` };
  return {
    box,
    ctx,
    server,
    log,
    clock,
    platform,
    jwks,
    login: () =>
      manualLogin(local, {
        iss: platform.issuer,
        login_hint: "u-1",
        target_link_uri: server.urls.launchUrl,
        client_id: platform.clientId,
      }),
    idToken: (nonce, key = jwks.keys[0]!, overrides = {}) => {
      const now = Math.floor(clock.ms / 1000);
      return new SignJWT({
        iss: platform.issuer,
        aud: platform.clientId,
        sub: "u-1",
        email: "u1@uni.example",
        iat: now,
        exp: now + 300,
        nonce,
        [`${LTI}/message_type`]: "LtiResourceLinkRequest",
        [`${LTI}/version`]: "1.3.0",
        [`${LTI}/deployment_id`]: platform.deploymentId,
        [`${LTI}/target_link_uri`]: server.urls.launchUrl,
        [`${LTI}/roles`]: [],
        [`${LTI}/resource_link`]: { id: "rl-1" },
        [`${LTI}/custom`]: courseTarget,
        ...overrides,
      })
        .setProtectedHeader({ alg: "RS256", kid: key.key.kid })
        .sign(key.key.privateKey);
    },
    close: async () => {
      await server.close();
      await jwks.close();
      ctx.close();
      box.cleanup();
    },
  };
}

const localLaunch = (h: Harness) => ({
  ...h.server.urls,
  launchUrl: `http://127.0.0.1:${h.server.port}/lti/launch`,
});

async function launchWith(h: Harness, key?: TestToolKey) {
  const start = await h.login();
  return postLaunch(
    localLaunch(h),
    { id_token: await h.idToken(start.nonce, key), state: start.state },
    start.cookie,
  );
}

describe("expiry", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  it("a login state expires after ten minutes", async () => {
    const start = await h.login();
    h.clock.ms += 10 * 60_000 + 1_000;
    const token = await h.idToken(start.nonce);
    const late = await postLaunch(localLaunch(h), { id_token: token, state: start.state }, start.cookie);
    expect(late.status).toBe(403);
    expect(late.body).toContain("the login state is expired");
    expect(h.log.join("\n")).toMatch(/launch-refused status=403 reason=state-expired/);
  });

  it("a content picker expires after thirty minutes, and a finished one cannot answer again", async () => {
    const DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
    const picker = async () => {
      const start = await h.login();
      const token = await h.idToken(start.nonce, undefined, {
        [`${LTI}/message_type`]: "LtiDeepLinkingRequest",
        [`${LTI}/resource_link`]: undefined,
        [DL]: {
          deep_link_return_url: "https://platform.test/return",
          accept_types: ["ltiResourceLink"],
          accept_presentation_document_targets: ["iframe"],
        },
      });
      const page = await postLaunch(localLaunch(h), { id_token: token, state: start.state }, start.cookie);
      expect(page.status).toBe(200);
      return parsePicker(page.body);
    };
    const deepLinkUrl = `http://127.0.0.1:${h.server.port}/lti/deep-link`;
    const stale = await picker();
    expect(stale.heading).toBe("Choose a course");
    h.clock.ms += 30 * 60_000 + 1_000;
    const expired = await postForm(deepLinkUrl, [...stale.hidden, ["course", stale.options[0]!.value]]);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain("this content picker has expired or was already used");

    const fresh = await picker();
    const answer = await postForm(deepLinkUrl, [...fresh.hidden, ["course", fresh.options[0]!.value]]);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('name="JWT"');
    const again = await postForm(deepLinkUrl, [...fresh.hidden, ["course", fresh.options[0]!.value]]);
    expect(again.status).toBe(410);
  });
});

describe("platform keys", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  it("are cached, fetched again once on an unknown kid (a rotation), at most once per cooldown, and after ten minutes", async () => {
    expect((await launchWith(h)).status).toBe(302);
    expect((await launchWith(h)).status).toBe(302);
    expect(h.jwks.fetches()).toBe(1);

    // The platform rotates to a second key; within the cooldown the tool does not ask again.
    const rotated = await makeToolKey();
    h.jwks.keys.push(rotated);
    h.clock.ms += 1_000;
    const early = await launchWith(h, rotated);
    expect(early.status).toBe(403);
    expect(early.body).toContain("no platform key matches");
    expect(h.jwks.fetches()).toBe(1);
    h.clock.ms += 5_000;
    expect((await launchWith(h, rotated)).status).toBe(302);
    expect(h.jwks.fetches()).toBe(2);

    // A kid the platform never published: one more fetch, then refused.
    h.clock.ms += 5_000;
    const forged = await makeToolKey();
    expect((await launchWith(h, forged)).status).toBe(403);
    expect(h.jwks.fetches()).toBe(3);
    expect((await launchWith(h, forged)).status).toBe(403);
    expect(h.jwks.fetches()).toBe(3);

    h.clock.ms += 10 * 60_000;
    expect((await launchWith(h)).status).toBe(302);
    expect(h.jwks.fetches()).toBe(4);
  });
});

describe("behind an https public URL", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness("https://lti.uni.example/tool");
  });
  afterAll(() => h.close());

  it("names the public URLs, sends Secure SameSite=None cookies, and answers with or without the path prefix", async () => {
    expect(h.server.urls).toEqual({
      baseUrl: "https://lti.uni.example/tool",
      loginUrl: "https://lti.uni.example/tool/lti/login",
      launchUrl: "https://lti.uni.example/tool/lti/launch",
      deepLinkUrl: "https://lti.uni.example/tool/lti/deep-link",
      jwksUrl: "https://lti.uni.example/tool/.well-known/jwks.json",
    });
    const start = await h.login();
    expect(start.status).toBe(302);
    expect(start.setCookie).toMatch(
      /^gg4l_state_[\w-]+=1; Path=\/tool\/lti\/; Max-Age=600; HttpOnly; Secure; Partitioned; SameSite=None$/,
    );
    expect(new URL(start.location).searchParams.get("redirect_uri")).toBe(
      "https://lti.uni.example/tool/lti/launch",
    );
    const prefixed = await request(`http://127.0.0.1:${h.server.port}/tool/.well-known/jwks.json`);
    expect(prefixed.statusCode).toBe(200);
    expect(((await prefixed.body.json()) as { keys: unknown[] }).keys).toHaveLength(1);
  });
});

describe("content items of the deep-linking answer", () => {
  const program = { programId: "p-1", name: "Data Science" } as ProgramSummary;
  const course = { courseId: "c-1", name: "Statistics" } as CourseRow;
  const items = [
    { itemId: "i-1", name: "Quiz 1" },
    { itemId: "i-2", name: "Quiz 2" },
  ] as ItemRow[];
  const opts = { launchUrl: "https://tool.example/lti/launch", acceptLineItem: true, newWindow: false };

  it("carry the line item each option needs: one per item (assignment), one per course (final), none (course)", () => {
    expect(contentItems({ program, course, items }, { ...opts, gradeSync: "assignment" })).toEqual([
      {
        type: "ltiResourceLink",
        title: "Statistics: Quiz 1",
        text: "Coursera, Data Science",
        url: opts.launchUrl,
        custom: {
          coursera_program_id: "p-1",
          coursera_course_id: "c-1",
          coursera_item_id: "i-1",
          gg4l_grade_sync: "assignment",
        },
        lineItem: { scoreMaximum: 100, label: "Statistics: Quiz 1", resourceId: "i-1", tag: "coursera-item" },
      },
      expect.objectContaining({
        title: "Statistics: Quiz 2",
        lineItem: expect.objectContaining({ resourceId: "i-2" }),
      }),
    ]);
    expect(contentItems({ program, course, items: null }, { ...opts, gradeSync: "final" })).toEqual([
      expect.objectContaining({
        title: "Statistics",
        custom: { coursera_program_id: "p-1", coursera_course_id: "c-1", gg4l_grade_sync: "final" },
        lineItem: {
          scoreMaximum: 100,
          label: "Statistics (final grade)",
          resourceId: "c-1",
          tag: "coursera-final",
        },
      }),
    ]);
    const optionB = contentItems({ program, course, items: null }, { ...opts, gradeSync: "course" });
    expect(optionB).toHaveLength(1);
    expect(optionB[0]).not.toHaveProperty("lineItem");
  });

  it("leave the line item out when the LMS does not accept one, and open in a new window when it can", () => {
    const [item] = contentItems(
      { program, course, items: null },
      { ...opts, gradeSync: "final", acceptLineItem: false, newWindow: true },
    );
    expect(item).not.toHaveProperty("lineItem");
    expect(item).toMatchObject({ window: { targetName: "_blank" } });
  });
});
