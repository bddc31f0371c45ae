import { describe, expect, it } from "vitest";
import type { GgError } from "../../src/base/errors.js";
import { resolveNamed } from "../../src/core/resolve.js";

const programs = [
  { id: "p1", name: "Data Science", slug: "data-science" },
  { id: "p2", name: "Data Engineering", slug: "data-eng" },
  { id: "p3", name: "Cloud Computing", slug: null },
];

function failure(typed: string): GgError {
  try {
    resolveNamed("program", typed, programs, "gg4l programs list");
  } catch (error) {
    return error as GgError;
  }
  throw new Error(`"${typed}" resolved`);
}

describe("naming a program or course", () => {
  it("by id, slug, exact name in any case, or a unique name prefix", () => {
    expect(resolveNamed("program", "p2", programs, "x").id).toBe("p2");
    expect(resolveNamed("program", "data-science", programs, "x").id).toBe("p1");
    expect(resolveNamed("program", "cloud computing", programs, "x").id).toBe("p3");
    expect(resolveNamed("program", "Data S", programs, "x").id).toBe("p1");
  });

  it("an ambiguous name is a usage error listing the candidates; an unknown one is not found", () => {
    const ambiguous = failure("Data");
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.message).toBe('"Data" matches 2 programs: Data Science (p1); Data Engineering (p2)');
    const unknown = failure("Astro");
    expect(unknown.exitCode).toBe(3);
    expect(unknown.hint).toContain("gg4l programs list");
  });
});
