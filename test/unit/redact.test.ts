import { describe, expect, it } from "vitest";
import { maskSecret, redact, registerSecret } from "../../src/base/redact.js";

describe("redact", () => {
  it("hides JWTs, bearer tokens, secret parameters and learner e-mails", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";
    expect(redact(`Authorization: Bearer abc.def-123`)).toBe("Authorization: Bearer [redacted]");
    expect(redact(`client_assertion=${jwt}&grant_type=x`)).toBe("client_assertion=[redacted]&grant_type=x");
    expect(redact(`token ${jwt} end`)).toBe("token [jwt] end");
    expect(redact("GET /users?email=ana.garcia@uni.edu")).toBe("GET /users?email=a…@uni.edu");
    expect(redact("DELETE /programs/p1/memberships/ana.garcia%40uni.edu")).toBe(
      "DELETE /programs/p1/memberships/a…%40uni.edu",
    );
  });

  it("hides registered secrets wherever they appear", () => {
    registerSecret("hunter2-very-secret");
    expect(redact("secret is hunter2-very-secret!")).toBe("secret is [secret]!");
  });

  it("masks a secret to its last four characters", () => {
    expect(maskSecret("abcdefghijkl")).toBe("****ijkl");
    expect(maskSecret("short")).toBe("****");
    expect(maskSecret(undefined)).toBeNull();
  });
});
