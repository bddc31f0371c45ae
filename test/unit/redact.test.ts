import { describe, expect, it } from "vitest";
import {
  maskIdentifier,
  maskSecret,
  redact,
  redactKeeping,
  registerSecret,
  typedValues,
} from "../../src/base/redact.js";

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

  it("hides e-mails whatever they look like: encoded, quoted, IP-literal, dotless, non-ASCII", () => {
    const cases: Array<[string, string]> = [
      // URL-encoded, non-ASCII, as --debug printed a Coursera gradebook query (observed)
      [
        "http GET https://api/ent/gradebooks?q=search&emailOrExternalId=j%C3%B6hn.d%C5%93%40%C3%BCni.edu → 200",
        "http GET https://api/ent/gradebooks?q=search&emailOrExternalId=j…@üni.edu → 200",
      ],
      [
        "DELETE /memberships/j%C3%B6hn.d%C5%93%40%C3%BCni.edu?x=1",
        "DELETE /memberships/j…%40%C3%BCni.edu?x=1",
      ],
      ["DELETE /memberships/ana%2540uni.edu", "DELETE /memberships/a…%40uni.edu"],
      ["DELETE /memberships/ANA%40UNI.EDU", "DELETE /memberships/A…%40UNI.EDU"],
      // quoted local part, IP-literal domains, a dotless host (the audit kept evil.one@localhost)
      ['to "quoted name"@uni.edu now', 'to "…@uni.edu now'],
      ["ana@[127.0.0.1] and bob@[IPv6:2001:db8::1]", "a…@[127.0.0.1] and b…@[IPv6:2001:db8::1]"],
      ['["evil.one@localhost"]', '["e…@localhost"]'],
      // non-ASCII, with punctuation around it
      ["Error: jöhn.dœ@üni.edu: not found.", "Error: j…@üni.edu: not found."],
      ["<ana+tag@sub.uni.edu>", "<a…@sub.uni.edu>"],
      // by what the value is: an email field or parameter that does not look like one
      ['{"email":"no-at-sign","name":"Ana"}', '{"email":"n…","name":"Ana"}'],
      ["users?externalId=ext-4411&x=1", "users?externalId=e…&x=1"],
    ];
    for (const [input, output] of cases) expect(redact(input), input).toBe(output);
    // Nothing else is touched, and masking twice changes nothing.
    expect(redact("node 20.1 at 50% (40 done)")).toBe("node 20.1 at 50% (40 done)");
    expect(redact(redact('"quoted name"@uni.edu'))).toBe('"…@uni.edu');
    expect(maskIdentifier("ext-4411")).toBe("e…");
    expect(maskIdentifier("j%C3%B6hn%40uni.edu")).toBe("j…@uni.edu");
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

describe("redactKeeping: what the operator typed is quoted back", () => {
  const typed = typedValues(["learners", "show", "ghost@nowhere.edu", "--learner=cleo@uni.edu"]);

  it("keeps the typed e-mails, as arguments and as --flag=value, wherever the message puts them", () => {
    expect(redactKeeping('no learner "ghost@nowhere.edu" in tenant "fsu"', typed)).toBe(
      'no learner "ghost@nowhere.edu" in tenant "fsu"',
    );
    expect(redactKeeping("1 of 1 failed (ghost@nowhere.edu: no such learner)", typed)).toBe(
      "1 of 1 failed (ghost@nowhere.edu: no such learner)",
    );
    expect(redactKeeping("only cleo@uni.edu", typed)).toBe("only cleo@uni.edu");
  });

  it("masks every e-mail that came from elsewhere, a state's look-alike included", () => {
    expect(redactKeeping('"ghost" matches 2 learners: ghost@uni.edu, ghost.b@nowhere.edu', typed)).toBe(
      '"ghost" matches 2 learners: g…@uni.edu, g…@nowhere.edu',
    );
    // A URL-encoded form is part of a request line, never what the operator typed.
    expect(redactKeeping("GET /users?q=ghost%40nowhere.edu", typed)).toBe("GET /users?q=g…%40nowhere.edu");
    expect(redactKeeping("?emailOrExternalId=ana%40uni.edu", typed)).toBe("?emailOrExternalId=a…@uni.edu");
  });

  it("plain redact keeps nothing", () => {
    expect(redact('no learner "ghost@nowhere.edu"')).toBe('no learner "g…@nowhere.edu"');
  });
});
