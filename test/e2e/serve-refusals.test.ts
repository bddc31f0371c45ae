/**
 * What `gg4l serve` refuses (LTI §1.5, the certification "bad" payloads of §2.1 and the extra
 * tool-side negatives): each gets an error page and a 4xx status, is logged without personal
 * data, and leaves nothing recorded — no launch, LMS user, link, learner or membership, and
 * no license taken at Coursera.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { type FakeLms, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { INVALID_LAUNCHES, type InvalidLaunch } from "../../fixtures/fake-lms/types.js";
import {
  type Box,
  connectLms,
  copyState,
  expectOk,
  manualLogin,
  postLaunch,
  prepareState,
  publishOverHttp,
  registerLms,
  registerTestPlatform,
  type Serve,
  startServe,
  startTestPlatform,
  stateCounts,
  type TestPlatform,
} from "./serve-helpers.js";

let fake: FakeCoursera;
let template: Box;

beforeAll(async () => {
  fake = await startFakeCoursera({ dataset: "small" });
  template = await prepareState(fake, ["Data Science"]);
}, 60_000);
afterAll(async () => {
  template.cleanup();
  await fake.close();
});

const licenses = () => fake.control.licenses().map((p) => p.used);

/** Runs `attempt` and checks it changed nothing: the state's rows and Coursera's licenses. */
async function nothingRecorded<T>(box: Box, attempt: () => Promise<T>): Promise<T> {
  const before = { state: stateCounts(box), licenses: licenses() };
  const result = await attempt();
  expect({ state: stateCounts(box), licenses: licenses() }).toEqual(before);
  return result;
}

describe("certification payloads from the fake LMS (§2.1)", () => {
  let box: Box;
  let lms: FakeLms;
  let serve: Serve;
  let linkId: string;
  const learner = "lee";

  beforeAll(async () => {
    fake.reset();
    box = copyState(template);
    lms = await startFakeLms({ kind: "blackboard" });
    await registerLms(box, lms, "final");
    serve = await startServe(box);
    connectLms(lms, serve.urls);
    linkId = (await publishOverHttp(lms, { course: "Statistics Essentials" })).links[0]!.id;
    lms.addUser({ userId: learner, email: "lee@uni.example", contextId: lms.contextId });
    // The valid launch of the same learner and link is accepted: the refusals below are about the payloads.
    const ok = await lms.launch({ userId: learner, contextId: lms.contextId, linkId });
    expect(ok.status).toBe(302);
  });
  afterAll(async () => {
    await serve.stop();
    await lms.close();
    box.cleanup();
  });

  const expected: Record<InvalidLaunch, { status: number; reason: string; page: RegExp }> = {
    "no-kid": { status: 403, reason: "no-kid", page: /no kid in the JWT header/ },
    "wrong-kid": { status: 403, reason: "unknown-kid", page: /no platform key matches the JWT&#39;s kid/ },
    "wrong-version": { status: 422, reason: "wrong-version", page: /Incorrect version, expected 1\.3\.0/ },
    "no-version": { status: 422, reason: "wrong-version", page: /Incorrect version, expected 1\.3\.0/ },
    "invalid-message": { status: 403, reason: "missing-claim", page: /it is not an LTI launch/ },
    "missing-claims": { status: 403, reason: "missing-claim", page: /it is not an LTI launch/ },
    "bad-timestamps": { status: 403, reason: "bad-timestamps", page: /expired or too old/ },
    "no-message-type": {
      status: 400,
      reason: "unknown-message-type",
      page: /unknown or missing message_type/,
    },
    "no-roles": { status: 400, reason: "no-roles", page: /Missing Roles Claim/ },
    "no-deployment-id": { status: 400, reason: "no-deployment-id", page: /Missing deployment_id/ },
    "no-resource-link": { status: 400, reason: "no-resource-link", page: /Missing Resource Link Id/ },
    "no-sub": { status: 400, reason: "no-sub", page: /Must have a user \(sub\)/ },
    "bad-signature": { status: 403, reason: "bad-signature", page: /signature does not verify/ },
    "wrong-aud": { status: 401, reason: "wrong-audience", page: /is not for this tool/ },
    "wrong-iss": { status: 403, reason: "wrong-issuer", page: /issuer is not https:\/\/blackboard\.com/ },
  };

  it.each(INVALID_LAUNCHES)("%s: refused with an error page, logged, nothing recorded", async (invalid) => {
    const logged = serve.log().length;
    const result = await nothingRecorded(box, () =>
      lms.launch({ userId: learner, contextId: lms.contextId, linkId, invalid }),
    );
    const want = expected[invalid];
    expect(result.status).toBe(want.status);
    expect(result.headers["content-type"]).toMatch(/^text\/html/);
    expect(result.body).toContain("The launch was refused");
    expect(result.body).toMatch(want.page);
    expect(result.headers).not.toHaveProperty("location");
    // The server's log arrives on its own pipe: wait for both lines.
    await expect.poll(() => serve.log().slice(logged).trim().split("\n").length).toBe(2);
    const lines = serve.log().slice(logged).trim().split("\n");
    expect(lines[0]).toMatch(/ login lms=blackboard issuer=https:\/\/blackboard\.com$/);
    expect(lines[1]).toMatch(
      new RegExp(` launch-refused status=${want.status} reason=${want.reason} message=`),
    );
    await expect.poll(() => serve.log()).not.toContain("lee@uni.example");
  });

  it("a link gg4l did not publish, or one of an inactive program, is refused with the fix named", async () => {
    const seeded = await nothingRecorded(box, () =>
      lms.launch({ userId: learner, contextId: lms.contextId, linkId: lms.seeded.linkId }),
    );
    expect(seeded.status).toBe(404);
    expect(seeded.body).toContain("this link was not published with gg4l");
    expect(seeded.body).toContain("add the content again with the gg4l content picker");

    expectOk(await box.gg4l(["programs", "deactivate", "Data Science"]));
    try {
      const inactive = await nothingRecorded(box, () =>
        lms.launch({ userId: learner, contextId: lms.contextId, linkId }),
      );
      expect(inactive.status).toBe(403);
      expect(inactive.body).toContain("the program &quot;Data Science&quot; is not active");
      // The page names whom to ask; the command to run is the operator's, in the log.
      expect(inactive.body).toContain("your institution&#39;s Coursera admin can fix it");
      expect(inactive.body).not.toContain("gg4l programs");
    } finally {
      expectOk(await box.gg4l(["programs", "activate", "Data Science"]));
    }
    await expect.poll(() => serve.log()).toMatch(/launch-refused status=404 reason=not-published/);
    await expect
      .poll(() => serve.log())
      .toMatch(/launch-refused status=403 reason=inactive-program .*fix="gg4l programs activate /);
  });

  it("an unknown issuer is refused at login, before any state is stored", async () => {
    const login = await nothingRecorded(box, () =>
      manualLogin(serve.urls, {
        iss: "https://unknown-lms.example",
        login_hint: learner,
        target_link_uri: serve.urls.launchUrl,
      }),
    );
    expect(login.status).toBe(400);
    expect(login.body).toContain("no LMS registration for issuer https://unknown-lms.example");
    expect(login.setCookie).toBe("");
    await expect.poll(() => serve.log()).toMatch(/login-refused status=400 reason=unknown-issuer/);
  });

  it("an unknown client_id or deployment is refused at login", async () => {
    const base = { iss: lms.issuer, login_hint: learner, target_link_uri: serve.urls.launchUrl };
    const client = await manualLogin(serve.urls, { ...base, client_id: "someone-else" });
    expect(client.status).toBe(400);
    expect(client.body).toContain("with client_id someone-else");
    const deployment = await manualLogin(serve.urls, {
      ...base,
      client_id: lms.clientId,
      lti_deployment_id: "deployment-nobody-knows",
    });
    expect(deployment.status).toBe(403);
    expect(deployment.body).toContain("from a deployment this registration does not know");
  });
});

describe("crafted id_tokens and replays", () => {
  let box: Box;
  let serve: Serve;
  let platform: TestPlatform;
  let claims: (nonce: string, overrides?: Record<string, unknown>) => Record<string, unknown>;

  const LTI = "https://purl.imsglobal.org/spec/lti/claim";
  const login = (extra: Record<string, string> = {}) =>
    manualLogin(serve.urls, {
      iss: platform.issuer,
      login_hint: "u-1",
      target_link_uri: serve.urls.launchUrl,
      client_id: platform.clientId,
      ...extra,
    });

  beforeAll(async () => {
    fake.reset();
    box = copyState(template);
    platform = await startTestPlatform();
    await registerTestPlatform(box, platform);
    serve = await startServe(box);
    const program = fake.control.licenses().find((p) => p.name === "Data Science")!.programId;
    const course = (await box.gg4l(["courses", "list", "--program", program, "--json"])).stdout;
    const courseId = (JSON.parse(course) as Array<{ id: string }>)[0]!.id;
    claims = (nonce, overrides = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const all: Record<string, unknown> = {
        iss: platform.issuer,
        aud: platform.clientId,
        sub: "u-1",
        iat: now,
        exp: now + 300,
        nonce,
        email: "u1@uni.example",
        [`${LTI}/message_type`]: "LtiResourceLinkRequest",
        [`${LTI}/version`]: "1.3.0",
        [`${LTI}/deployment_id`]: platform.deploymentId,
        [`${LTI}/target_link_uri`]: serve.urls.launchUrl,
        [`${LTI}/roles`]: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        [`${LTI}/resource_link`]: { id: "rl-1", title: "Week 1" },
        [`${LTI}/context`]: { id: "ctx-1" },
        [`${LTI}/custom`]: {
          coursera_program_id: program,
          coursera_course_id: courseId,
          gg4l_grade_sync: "final",
        },
        ...overrides,
      };
      for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
      return all;
    };
  });
  afterAll(async () => {
    await serve.stop();
    await platform.close();
    box.cleanup();
  });

  it("accepts the well-formed launch (the control), and refuses the same id_token and state posted again", async () => {
    const start = await login();
    expect(start.status).toBe(302);
    expect(start.setCookie).toMatch(
      /^gg4l_state_[\w-]+=1; Path=\/lti\/; Max-Age=600; HttpOnly; SameSite=Lax$/,
    );
    const idToken = await platform.sign(claims(start.nonce));
    const ok = await postLaunch(serve.urls, { id_token: idToken, state: start.state }, start.cookie);
    expect(ok.status).toBe(302);
    expect(ok.headers.location).toMatch(/^https:\/\/www\.coursera\.org\/learn\//);
    expect(ok.headers["set-cookie"]).toMatch(/Max-Age=0/);

    const replay = await nothingRecorded(box, () =>
      postLaunch(serve.urls, { id_token: idToken, state: start.state }, start.cookie),
    );
    expect(replay.status).toBe(403);
    expect(replay.body).toContain("already used (a replay?)");
    await expect.poll(() => serve.log()).toMatch(/launch-refused status=403 reason=state-used/);
  });

  it("refuses a replayed nonce: an id_token of an earlier login posted with a new state", async () => {
    const first = await login();
    const old = await platform.sign(claims(first.nonce));
    const second = await login();
    const result = await nothingRecorded(box, () =>
      postLaunch(serve.urls, { id_token: old, state: second.state }, second.cookie),
    );
    expect(result.status).toBe(403);
    expect(result.body).toContain("nonce is not the one issued for this login");
  });

  it("refuses a state that is not this browser's, or unknown", async () => {
    const mine = await login();
    const theirs = await login();
    const token = await platform.sign(claims(mine.nonce));
    for (const cookie of [undefined, theirs.cookie]) {
      const result = await nothingRecorded(box, () =>
        postLaunch(serve.urls, { id_token: token, state: mine.state }, cookie),
      );
      expect(result.status).toBe(403);
      expect(result.body).toContain("does not belong to this browser");
    }
    const forged = randomUUID();
    const unknown = await nothingRecorded(box, () =>
      postLaunch(serve.urls, { id_token: token, state: forged }, `gg4l_state_${forged}=1`),
    );
    expect(unknown.status).toBe(403);
    expect(unknown.body).toContain("the login state is unknown");
    await expect.poll(() => serve.log()).toMatch(/reason=state-mismatch/);
  });

  const cases: Array<{
    name: string;
    token: (nonce: string) => Promise<string>;
    status: number;
    page: RegExp;
  }> = [
    {
      name: "a bad signature (another key under the platform's kid)",
      token: (n) => platform.sign(claims(n), { key: platform.stranger }),
      status: 403,
      page: /signature does not verify/,
    },
    {
      name: "a wrong aud",
      token: (n) => platform.sign(claims(n, { aud: "other-tool", azp: undefined })),
      status: 401,
      page: /is not for this tool/,
    },
    {
      name: "several audiences with a wrong azp",
      token: (n) => platform.sign(claims(n, { aud: [platform.clientId, "other-tool"], azp: "other-tool" })),
      status: 401,
      page: /authorized party \(azp\) is not this tool/,
    },
    {
      name: "several audiences and no azp",
      token: (n) => platform.sign(claims(n, { aud: [platform.clientId, "other-tool"] })),
      status: 401,
      page: /several audiences but no authorized party/,
    },
    {
      name: "an unknown deployment",
      token: (n) => platform.sign(claims(n, { [`${LTI}/deployment_id`]: "dep-unknown" })),
      status: 403,
      page: /from a deployment this registration does not know/,
    },
    {
      name: "an unknown issuer in the token",
      token: (n) => platform.sign(claims(n, { iss: "https://impostor.example" })),
      status: 403,
      page: /issuer is not https:\/\/platform\.test/,
    },
    {
      name: "a JWT of two parts",
      token: async (n) => (await platform.sign(claims(n))).split(".").slice(0, 2).join("."),
      status: 400,
      page: /it must have 3 parts/,
    },
    {
      name: "an unsigned JWT (alg none)",
      token: async (n) =>
        `${Buffer.from(JSON.stringify({ alg: "none", kid: platform.kid })).toString("base64url")}.${Buffer.from(JSON.stringify(claims(n))).toString("base64url")}.`,
      status: 403,
      page: /only RS256 is accepted/,
    },
    {
      name: "a target_link_uri other than the login's",
      token: (n) => platform.sign(claims(n, { [`${LTI}/target_link_uri`]: "https://elsewhere.example/" })),
      status: 400,
      page: /signed target_link_uri differs/,
    },
  ];

  it.each(cases)("refuses $name", async ({ token, status, page }) => {
    const start = await login();
    const idToken = await token(start.nonce);
    const result = await nothingRecorded(box, () =>
      postLaunch(serve.urls, { id_token: idToken, state: start.state }, start.cookie),
    );
    expect(result.status).toBe(status);
    expect(result.body).toMatch(page);
    expect(result.headers).not.toHaveProperty("location");
  });

  it("accepts the valid variants of §2.2 the fake LMS cannot send: no context claim, a short role, an empty role", async () => {
    for (const overrides of [
      { [`${LTI}/context`]: undefined },
      { [`${LTI}/roles`]: ["Learner"] },
      { [`${LTI}/roles`]: [""], sub: "u-2", email: "u2@uni.example" },
    ]) {
      const start = await login();
      const idToken = await platform.sign(claims(start.nonce, overrides));
      const result = await postLaunch(serve.urls, { id_token: idToken, state: start.state }, start.cookie);
      expect(result.status, result.body).toBe(302);
    }
    // Valid, but without an e-mail (R11): accepted as a launch, yet nobody is bound.
    const start = await login();
    const idToken = await platform.sign(claims(start.nonce, { sub: "u-3", email: undefined }));
    const result = await nothingRecorded(box, () =>
      postLaunch(serve.urls, { id_token: idToken, state: start.state }, start.cookie),
    );
    expect(result.status, result.body).toBe(403);
    expect(result.body).toContain(
      "Canvas: set the Coursera developer key&#39;s privacy level to &quot;public&quot;",
    );
  });

  it("refuses an OIDC error answer from the platform, and a GET of the launch URL with launch parameters", async () => {
    const start = await login();
    const denied = await nothingRecorded(box, () =>
      postLaunch(
        serve.urls,
        { error: "login_required", error_description: "no session", state: start.state },
        start.cookie,
      ),
    );
    expect(denied.status).toBe(403);
    expect(denied.body).toContain("the LMS refused the sign-in: login_required (no session)");
    const { request } = await import("undici");
    // A GET carrying launch parameters is refused; a plain GET is Moodle's probe (issue 20).
    const get = await request(`${serve.urls.launchUrl}?id_token=x&state=${start.state}`);
    expect(get.statusCode).toBe(405);
    await get.body.text();
    const probe = await request(serve.urls.launchUrl);
    expect(probe.statusCode).toBe(200);
    await probe.body.text();
  });
});
