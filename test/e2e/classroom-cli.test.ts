/**
 * `gg4l lms register --kind google-classroom`, `lms show`, `lms check`, `settings` and the
 * standalone fake Classroom, through the built binary.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeClassroom, startFakeClassroom } from "../../fixtures/fake-classroom/index.js";
import { lmsRegisterArgs } from "../../fixtures/fake-lms/registration.js";
import { startFakeLms } from "../../fixtures/fake-lms/server.js";
import { parseJson, repoRoot, sandboxState } from "../helpers/gg4l.js";

let box: ReturnType<typeof sandboxState> | undefined;
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  box?.cleanup();
  box = undefined;
});

async function tenant(): Promise<ReturnType<typeof sandboxState>> {
  box = sandboxState();
  expect((await box.gg4l(["init"])).code).toBe(0);
  expect((await box.gg4l(["tenant", "add", "uni", "--name", "Uni", "--coursera-org", "o"])).code).toBe(0);
  return box;
}

async function classroom(): Promise<{
  b: ReturnType<typeof sandboxState>;
  fake: FakeClassroom;
  keyFile: string;
}> {
  const b = await tenant();
  const keyFile = join(b.dir, "downloaded-key.json");
  const fake = await startFakeClassroom({ keyFile });
  closers.push(() => fake.close());
  return { b, fake, keyFile };
}

/** A registered tenant whose service account was delegated a read-only scope only. */
async function narrowDelegation(): Promise<{ b: ReturnType<typeof sandboxState>; fake: FakeClassroom }> {
  const b = await tenant();
  const keyFile = join(b.dir, "narrow.json");
  const fake = await startFakeClassroom({
    keyFile,
    delegatedScopes: ["https://www.googleapis.com/auth/classroom.courses.readonly"],
  });
  closers.push(() => fake.close());
  expect((await b.gg4l(["lms", "register", ...fake.registerArgs(keyFile, "assignment")])).code).toBe(0);
  return { b, fake };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("lms register --kind google-classroom", () => {
  it("stores the service-account key 0600 beside the state and never prints it", async () => {
    const { b, fake, keyFile } = await classroom();
    const reg = await b.gg4l([
      "lms",
      "register",
      ...fake.registerArgs(keyFile, "assignment"),
      "--course-teacher",
      `${fake.courseId}=${fake.teacher}`,
      "--json",
    ]);
    expect(reg.code).toBe(0);
    const view = parseJson<{
      kind: string;
      issuer: string;
      clientId: string;
      deploymentId: string;
      tokenUrl: string;
      gradeSync: string;
      classroom: {
        apiUrl: string;
        serviceAccount: string;
        projectId: string;
        keyId: string;
        keyFile: string;
        defaultTeacher: string;
        courseTeachers: Record<string, string>;
        classroomReturn: boolean;
      };
    }>(reg);
    expect(view).toMatchObject({
      kind: "google-classroom",
      issuer: "https://classroom.google.com/a/school.test",
      clientId: fake.serviceAccountEmail,
      deploymentId: fake.projectId,
      tokenUrl: fake.tokenUrl,
      gradeSync: "assignment",
      classroom: {
        apiUrl: fake.apiUrl,
        serviceAccount: fake.serviceAccountEmail,
        projectId: fake.projectId,
        defaultTeacher: fake.teacher,
        courseTeachers: { [fake.courseId]: fake.teacher },
        classroomReturn: false,
      },
    });
    expect(view.classroom.keyId).toMatch(/^\*\*\*\*.{4}$/);
    expect(view.classroom.keyFile).toBe(join(b.dir, "state.classroom-uni.key.json"));
    expect(mode(view.classroom.keyFile)).toBe(0o600);
    expect(JSON.parse(readFileSync(view.classroom.keyFile, "utf8")).private_key).toBe(
      fake.serviceAccountKey.private_key,
    );

    const secretBits = [
      fake.serviceAccountKey.private_key.split("\n")[1]!,
      fake.serviceAccountKey.private_key_id,
      "PRIVATE KEY",
    ];
    const outputs = [
      reg,
      await b.gg4l(["lms", "show"]),
      await b.gg4l(["lms", "show", "--json"]),
      await b.gg4l(["audit", "--json"]),
      await b.gg4l(["lms", "check", "--debug"]),
    ];
    for (const out of outputs)
      for (const bit of secretBits) expect(out.stdout + out.stderr).not.toContain(bit);
    const human = await b.gg4l(["lms", "show"]);
    expect(human.stdout).toMatch(/service account\s+gg4l-sync@gg4l-fake-project/);
    expect(human.stdout).toMatch(/mode 0600/);

    // A key file readable by others is refused when used.
    const { chmodSync } = await import("node:fs");
    chmodSync(view.classroom.keyFile, 0o644);
    const loose = await b.gg4l(["lms", "check"]);
    expect(loose.code).toBe(4);
    expect(loose.stdout + loose.stderr).toMatch(/readable by others/);

    // Removing the tenant removes its key: no service-account secret is left behind.
    expect((await b.gg4l(["tenant", "remove", "uni", "--yes"])).code).toBe(0);
    expect(existsSync(view.classroom.keyFile)).toBe(false);
  });

  it("validates the flags per kind with usage errors, and a file that is no key as a configuration error", async () => {
    const { b, fake, keyFile } = await classroom();
    const lti = await b.gg4l([
      "lms",
      "register",
      "--kind",
      "moodle",
      "--issuer",
      "https://moodle.uni.edu",
      "--grade-sync",
      "course",
    ]);
    expect(lti.code).toBe(2);
    expect(lti.stderr).toMatch(
      /--kind moodle needs --client-id <id>, --deployment-id <id>, --auth-url <url>, --token-url <url>, --jwks-url <url>/,
    );
    const cases: Array<[string[], number, RegExp]> = [
      [
        ["--kind", "google-classroom", "--teacher", fake.teacher, "--grade-sync", "final"],
        2,
        /--service-account-key <file> is required/,
      ],
      [
        ["--kind", "google-classroom", "--service-account-key", keyFile, "--grade-sync", "final"],
        2,
        /needs a teacher to act as/,
      ],
      [
        [
          "--kind",
          "google-classroom",
          "--service-account-key",
          keyFile,
          "--teacher",
          "not-an-email",
          "--grade-sync",
          "final",
        ],
        2,
        /--teacher "not-an-email" is not an e-mail/,
      ],
      [
        [
          "--kind",
          "google-classroom",
          "--service-account-key",
          keyFile,
          "--course-teacher",
          "oops",
          "--grade-sync",
          "final",
        ],
        2,
        /--course-teacher "oops" is not <classroom course id>=<teacher e-mail>/,
      ],
      [
        [
          "--kind",
          "google-classroom",
          "--service-account-key",
          keyFile,
          "--teacher",
          fake.teacher,
          "--client-id",
          "x",
          "--grade-sync",
          "final",
        ],
        2,
        /--client-id is for LTI 1\.3 kinds/,
      ],
      [
        ["--kind", "canvas", "--service-account-key", keyFile, "--grade-sync", "final"],
        2,
        /--service-account-key is for --kind google-classroom only/,
      ],
      [
        [
          "--kind",
          "google-classroom",
          "--service-account-key",
          join(b.dir, "missing.json"),
          "--teacher",
          fake.teacher,
          "--grade-sync",
          "final",
        ],
        2,
        /--service-account-key .*missing\.json: ENOENT/,
      ],
      [
        [
          "--kind",
          "google-classroom",
          "--service-account-key",
          keyFile,
          "--teacher",
          fake.teacher,
          "--api-url",
          "ftp://x",
          "--grade-sync",
          "final",
        ],
        2,
        /--api-url must be an http\(s\) URL/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const result = await b.gg4l(["lms", "register", ...args]);
      expect(result.code, args.join(" ")).toBe(code);
      expect(result.stderr).toMatch(message);
    }
    const notAKey = join(b.dir, "client-secret.json");
    writeFileSync(notAKey, JSON.stringify({ installed: { client_id: "x", client_secret: "y" } }));
    const wrong = await b.gg4l([
      "lms",
      "register",
      "--kind",
      "google-classroom",
      "--service-account-key",
      notAKey,
      "--teacher",
      fake.teacher,
      "--grade-sync",
      "final",
    ]);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/is not a Google service-account key file/);
    expect((await b.gg4l(["lms", "show"])).code).toBe(3);
  });

  it("an LTI registration keeps working as before, and knows nothing of classroom-return", async () => {
    const b = await tenant();
    const lms = await startFakeLms({
      kind: "moodle",
      toolPublicJwk: JSON.parse(readFileSync(`${b.dir}/state.key.json`, "utf8")).publicJwk,
    });
    closers.push(() => lms.close());
    expect((await b.gg4l(lmsRegisterArgs(lms, "assignment"))).code).toBe(0);
    const show = parseJson<Record<string, unknown>>(await b.gg4l(["lms", "show", "--json"]));
    expect(show.classroom).toBeUndefined();
    expect(show).toMatchObject({ kind: "moodle", issuer: lms.issuer, jwksUrl: lms.jwksUrl });
    expect(
      parseJson<{ classroomReturn: boolean }>(await b.gg4l(["settings", "show", "--json"])).classroomReturn,
    ).toBe(false);
    const set = await b.gg4l(["settings", "set", "classroom-return", "on"]);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/classroom-return is a Google Classroom setting; tenant "uni" uses moodle/);
    const check = await b.gg4l(["lms", "check", "--classroom-course", "1"]);
    expect(check.code).toBe(2);
  });
});

describe("settings and lms check for Classroom", () => {
  it("settings set classroom-return on|off, shown in settings show", async () => {
    const { b, fake, keyFile } = await classroom();
    expect((await b.gg4l(["lms", "register", ...fake.registerArgs(keyFile, "course")])).code).toBe(0);
    expect(
      parseJson<{ classroomReturn: boolean; lms: string }>(await b.gg4l(["settings", "show", "--json"])),
    ).toMatchObject({ classroomReturn: false, lms: "google-classroom" });
    const on = parseJson<{ setting: string; value: boolean; changed: boolean }>(
      await b.gg4l(["settings", "set", "classroom-return", "on", "--json"]),
    );
    expect(on).toEqual({
      tenant: "uni",
      setting: "classroom-return",
      value: true,
      changed: true,
      forStudents: expect.stringMatching(/when their turned-in work is returned/),
    });
    expect(
      parseJson<{ classroomReturn: boolean }>(await b.gg4l(["settings", "show", "--json"])).classroomReturn,
    ).toBe(true);
    expect((await b.gg4l(["settings", "show"])).stdout).toMatch(/classroom-return\s+on/);
    const again = await b.gg4l(["settings", "set", "classroom-return", "on"]);
    expect(again.stderr).toMatch(/already on/);
    expect((await b.gg4l(["settings", "set", "classroom-return", "maybe"])).code).toBe(2);
    expect((await b.gg4l(["settings", "set", "colour", "on"])).stderr).toMatch(/no setting "colour"/);
    expect((await b.gg4l(["settings", "set", "classroom-return", "off"])).code).toBe(0);
    expect(
      parseJson<{ classroomReturn: boolean }>(await b.gg4l(["settings", "show", "--json"])).classroomReturn,
    ).toBe(false);
    // The other settings still work as subcommands.
    expect((await b.gg4l(["settings", "set", "incremental", "off"])).code).toBe(0);
  });

  it("lms check passes for a good registration: key, delegated token, teacher, roster, course work", async () => {
    const { b, fake, keyFile } = await classroom();
    expect((await b.gg4l(["lms", "register", ...fake.registerArgs(keyFile, "assignment")])).code).toBe(0);
    const noCourse = parseJson<{
      ok: boolean;
      checks: Array<{ check: string; status: string; message: string }>;
    }>(await b.gg4l(["lms", "check", "--json"]));
    expect(noCourse.ok).toBe(true);
    expect(noCourse.checks.map((c) => [c.check, c.status])).toEqual([
      ["service-account-key", "pass"],
      [`token ${fake.teacher}`, "pass"],
      ["courses", "pass"],
      ["course-work", "skip"],
    ]);
    expect(noCourse.checks[2]!.message).toContain(fake.courseId);
    const result = await b.gg4l(["lms", "check", "--classroom-course", fake.courseId, "--json"]);
    expect(result.code).toBe(0);
    const body = parseJson<{
      ok: boolean;
      contextUrl: string;
      checks: Array<{ check: string; status: string }>;
    }>(result);
    expect(body.contextUrl).toBe(`${fake.apiUrl}/courses/${fake.courseId}`);
    expect(body.checks.map((c) => [c.check, c.status])).toEqual([
      ["service-account-key", "pass"],
      [`token ${fake.teacher}`, "pass"],
      [`course ${fake.courseId}`, "pass"],
      [`roster ${fake.courseId}`, "pass"],
      [`course-work ${fake.courseId}`, "pass"],
    ]);
  });

  it("lms check fails (exit 4) when the delegation lacks a scope, saying what the admin must do", async () => {
    const { b } = await narrowDelegation();
    const result = await b.gg4l(["lms", "check"]);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/token teacher@school\.test\s+fail/);
    expect(result.stdout).toMatch(/Domain-wide delegation/);
    expect(result.stderr).toMatch(/registration failed: token/);
  });
});

describe("gg4l doctor on a Google Classroom tenant", () => {
  type Doctor = { checks: Array<{ check: string; status: string; message: string; fix: string | null }> };
  const lmsRows = (d: Doctor) =>
    Object.fromEntries(d.checks.filter((c) => c.check.startsWith("lms-")).map((c) => [c.check, c]));

  it("checks the Classroom API in the lms-* rows: key and delegated token, then courses and course work", async () => {
    const { b, fake, keyFile } = await classroom();
    expect((await b.gg4l(["lms", "register", ...fake.registerArgs(keyFile, "assignment")])).code).toBe(0);
    const rows = lmsRows(parseJson<Doctor>(await b.gg4l(["doctor", "--json"])));
    expect(Object.keys(rows)).toEqual(["lms-jwks", "lms-token", "lms-scopes", "lms-nrps", "lms-line-items"]);
    expect(rows["lms-token"]).toMatchObject({ status: "pass", fix: null });
    expect(rows["lms-token"]!.message).toMatch(/service-account-key: .*; token .*delegated token/);
    // No course published yet: the teacher's courses are listed, their course work not checked.
    expect(rows["lms-line-items"]!.status).toBe("warn");
    expect(rows["lms-line-items"]!.message).toContain(fake.courseId);
    expect(rows["lms-line-items"]!.fix).toMatch(/classroom publish|--classroom-course/);
    expect(rows["lms-jwks"]!.fix).toMatch(/Classroom API/);
  });

  it("a delegation without the Classroom scopes fails lms-token with what the admin must do", async () => {
    const { b, fake } = await narrowDelegation();
    const result = await b.gg4l(["doctor", "--json"]);
    expect(result.code).toBe(1);
    const rows = lmsRows(parseJson<Doctor>(result));
    expect(rows["lms-token"]!.status).toBe("fail");
    expect(rows["lms-token"]!.fix).toMatch(/Domain-wide delegation/);
    expect(result.stdout).not.toContain(fake.teacher);
  });
});

describe("standalone fake Classroom", () => {
  it("npm run fake:classroom's entry prints one JSON line with what lms register needs, and serves it", async () => {
    const b = await tenant();
    const keyOut = join(b.dir, "sa.json");
    const child = spawn(
      process.execPath,
      [join(repoRoot, "dist/fixtures/fake-classroom/main.js"), "--port", "0", "--json", "--key-out", keyOut],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    closers.push(async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("error", reject);
    });
    const info = JSON.parse(line) as Record<string, string>;
    expect(info).toMatchObject({
      serviceAccountKeyFile: keyOut,
      teacher: "teacher@school.test",
      domain: "school.test",
    });
    expect(info.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(mode(keyOut)).toBe(0o600);
    const reg = await b.gg4l([
      "lms",
      "register",
      "--kind",
      "google-classroom",
      "--service-account-key",
      keyOut,
      "--teacher",
      info.teacher!,
      "--api-url",
      info.apiUrl!,
      "--token-url",
      info.tokenUrl!,
      "--grade-sync",
      "final",
    ]);
    expect(reg.code).toBe(0);
    expect((await b.gg4l(["lms", "check", "--classroom-course", info.courseId!])).code).toBe(0);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses bad arguments with a usage message", async () => {
    const { parseStandaloneArgs, StandaloneUsageError } = await import(
      "../../fixtures/fake-classroom/standalone.js"
    );
    for (const [args, message] of [
      [["--port", "99999"], /--port must be/],
      [["--students", "ana,ben"], /--students takes e-mail addresses/],
      [["--quota-per-user", "0"], /--quota-per-user must be/],
      [["--verbose"], /Unknown option/],
    ] as Array<[string[], RegExp]>) {
      expect(() => parseStandaloneArgs(args)).toThrow(StandaloneUsageError);
      expect(() => parseStandaloneArgs(args)).toThrow(message);
    }
  });
});
