/** `gg4l lms guide <kind>`: the LMS admin's checklist for each of the seven LMS kinds. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJson, sandboxState } from "../helpers/gg4l.js";
import { type Box, expectOk, startServe } from "./serve-helpers.js";

interface Guide {
  kind: string;
  lms: string;
  publicUrl: string | null;
  dynamicRegistration: boolean;
  values: Record<string, unknown>;
  sections: Array<{ title: string; steps: string[] }>;
}

const KINDS = ["moodle", "blackboard", "canvas", "d2l", "google-classroom", "schoology", "buzz"];
let box: ReturnType<typeof sandboxState>;
beforeAll(async () => {
  box = sandboxState();
  expectOk(await box.gg4l(["init"]));
});
afterAll(() => box?.cleanup());

const text = (g: Guide) => g.sections.flatMap((s) => [s.title, ...s.steps]).join("\n");

describe("gg4l lms guide", () => {
  it("has a guide for all seven kinds, with the tool's values and the hand-back command", async () => {
    for (const kind of KINDS) {
      const g = parseJson<Guide>(
        expectOk(
          await box.gg4l(["lms", "guide", kind, "--public-url", "https://lti.uni.example/", "--json"]),
        ),
      );
      expect(g.kind).toBe(kind);
      expect(g.sections.length).toBeGreaterThanOrEqual(5);
      if (kind === "google-classroom") {
        expect(g.publicUrl).toBeNull();
        expect(g.values.scopes).toBe(
          [
            "classroom.courses.readonly",
            "classroom.coursework.students",
            "classroom.rosters.readonly",
            "classroom.profile.emails",
          ]
            .map((s) => `https://www.googleapis.com/auth/${s}`)
            .join(","),
        );
        expect(text(g)).toMatch(/Domain-wide delegation/);
        expect(text(g)).toMatch(/--service-account-key <key\.json>/);
        continue;
      }
      expect(g.values).toEqual({
        loginUrl: "https://lti.uni.example/lti/login",
        launchUrl: "https://lti.uni.example/lti/launch",
        redirectUris: ["https://lti.uni.example/lti/launch"],
        deepLinkUrl: "https://lti.uni.example/lti/deep-link",
        jwksUrl: "https://lti.uni.example/.well-known/jwks.json",
        domain: "lti.uni.example",
      });
      expect(g.dynamicRegistration).toBe(["moodle", "canvas", "d2l"].includes(kind));
      expect(text(g)).toMatch(/e-mail|Email/);
      expect(text(g)).toContain(`gg4l lms register --kind ${kind} --issuer`);
      expect(text(g).includes(`gg4l lms register --dynamic --kind ${kind}`)).toBe(g.dynamicRegistration);
    }
  });

  it("Moodle's matches a real Moodle 4.5: e-mail Always, AGS with column management, NRPS, deep linking, one redirect URI", async () => {
    const r = expectOk(await box.gg4l(["lms", "guide", "moodle", "--public-url", "https://lti.uni.example"]));
    expect(r.stdout).toMatch(/^Connect Moodle to gg4l \(tool at https:\/\/lti\.uni\.example\)\n/);
    expect(r.stdout).toContain("Share launcher's email with tool: Always");
    expect(r.stdout).toContain("'Use this service for grade sync and column management'");
    expect(r.stdout).toContain("IMS LTI Names and Role Provisioning: 'Use this service to retrieve members'");
    expect(r.stdout).toContain("Content Selection URL: https://lti.uni.example/lti/deep-link");
    expect(r.stdout).toContain("Redirection URI(s) (only this one): https://lti.uni.example/lti/launch\n");
  });

  it("takes the public URL `gg4l serve --public-url` recorded; without one an LTI guide is a usage error", async () => {
    const fresh = sandboxState();
    try {
      expectOk(await fresh.gg4l(["init"]));
      const none = await fresh.gg4l(["lms", "guide", "canvas"]);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/needs --public-url <url>/);
      // startServe reads only the state path of its box.
      const serve = await startServe(fresh as unknown as Box, ["--public-url", "https://tool.uni.example"]);
      await serve.stop();
      const g = parseJson<Guide>(expectOk(await fresh.gg4l(["lms", "guide", "canvas", "--json"])));
      expect(g.publicUrl).toBe("https://tool.uni.example");
      expect((await fresh.gg4l(["lms", "guide", "sakai"])).code).toBe(2);
    } finally {
      fresh.cleanup();
    }
  });
});
