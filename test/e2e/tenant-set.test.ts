/** `gg4l tenant set`: edit a tenant in place instead of removing and re-adding it. */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseJson, sandboxState } from "../helpers/gg4l.js";

const SECRET = "s3cr3t-value-4711";
let box: ReturnType<typeof sandboxState>;
beforeEach(async () => {
  box = sandboxState();
  expect((await box.gg4l(["init"])).code).toBe(0);
  expect((await box.gg4l(["tenant", "add", "uni-x", "--name", "X", "--coursera-org", "org-1"])).code).toBe(0);
});
afterEach(() => box.cleanup());

interface TenantJson {
  slug: string;
  name: string;
  courseraOrg: string;
  courseraUrl: string;
  courseraClientId: string | null;
  courseraSecret: string | null;
  courseraSecretSource: string;
  changed: string[];
}

describe("tenant set", () => {
  it("changes the name, URL, client id and secret; the slug and org stay; --json says what changed", async () => {
    const result = await box.gg4l(
      [
        "tenant",
        "set",
        "uni-x",
        "--name",
        "University of X",
        "--coursera-url",
        "http://127.0.0.1:9/",
        "--coursera-client-id",
        "cid-9",
        "--coursera-secret-stdin",
        "--json",
      ],
      { input: SECRET },
    );
    expect(result.code).toBe(0);
    const json = parseJson<TenantJson>(result);
    expect(json).toMatchObject({
      slug: "uni-x",
      name: "University of X",
      courseraOrg: "org-1",
      courseraUrl: "http://127.0.0.1:9",
      courseraClientId: "cid-9",
      courseraSecretSource: "file",
      changed: ["name", "courseraUrl", "courseraClientId", "courseraSecret"],
    });
    expect(json.courseraSecret).not.toContain(SECRET);
    expect(readFileSync(`${box.dir}/state.secrets.json`, "utf8")).toContain(SECRET);
    expect(result.stderr).not.toContain(SECRET);
    const shown = parseJson<TenantJson>(await box.gg4l(["tenant", "show", "uni-x", "--json"]));
    expect(shown).toMatchObject({ name: "University of X", courseraClientId: "cid-9" });
    const audit = parseJson<Array<{ command: string; args: string[] }>>(await box.gg4l(["audit", "--json"]));
    expect(audit.map((row) => row.command)).toContain("tenant set");
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it("the same values again: exit 0 and nothing changed", async () => {
    const again = await box.gg4l(["tenant", "set", "uni-x", "--name", "X"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already had those values; nothing changed/);
  });

  it("nothing to change, an empty value or a bad URL is a usage error (2); an unknown tenant is 3", async () => {
    const none = await box.gg4l(["tenant", "set", "uni-x"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing to change/);
    expect((await box.gg4l(["tenant", "set", "uni-x", "--name", " "])).code).toBe(2);
    expect((await box.gg4l(["tenant", "set", "uni-x", "--coursera-url", "not a url"])).code).toBe(2);
    const unknown = await box.gg4l(["tenant", "set", "uni-q", "--name", "Q"]);
    expect(unknown.code).toBe(3);
    const kept = parseJson<TenantJson>(await box.gg4l(["tenant", "show", "uni-x", "--json"]));
    expect(kept).toMatchObject({ name: "X", courseraUrl: "https://api.coursera.org" });
  });

  it("a missing client id names tenant set as the fix", async () => {
    const pull = await box.gg4l(["programs", "pull"], { env: { GG4L_COURSERA_CLIENT_SECRET: "x" } });
    expect(pull.code).toBe(4);
    expect(pull.stderr).toMatch(/gg4l tenant set uni-x --coursera-client-id <id>/);
  });
});
