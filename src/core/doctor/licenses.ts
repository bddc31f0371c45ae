/** License checks: active programs near their cap (R5), and test learners holding licenses. */
import { listProgramSummaries } from "../../store/programs.js";
import { refusalCounts } from "../../store/refusals.js";
import { type Check, type CheckStatus, need, row, worst } from "./basis.js";

export const LICENSE_WARN_RATIO = 0.9;

export const licensesCheck: Check = {
  names: ["licenses"],
  async run({ state, tenant }) {
    const tenantId = need(tenant, "warn").id;
    const programs = listProgramSummaries(need(state, "warn").db, tenantId, { active: true }).filter(
      (p) => p.goneAt === null && p.licenseCount !== null,
    );
    let status: CheckStatus = "pass";
    const problems: string[] = [];
    for (const p of programs) {
      const total = p.licenseCount!;
      if (p.members >= total) {
        status = worst(status, "fail");
        problems.push(
          `no licenses left in program ${p.name}: remove test learners or buy more (${p.members} of ${total} used)`,
        );
      } else if (p.members >= total * LICENSE_WARN_RATIO) {
        status = worst(status, "warn");
        problems.push(
          `program ${p.name} uses ${p.members} of ${total} licenses (${Math.floor((100 * p.members) / total)}%)`,
        );
      }
    }
    if (status === "pass") {
      return [
        row(
          "licenses",
          "pass",
          programs.length === 0
            ? "no active program with a license cap"
            : `licenses to spare in all ${programs.length} active program(s)`,
        ),
      ];
    }
    return [
      row(
        "licenses",
        status,
        problems.join("; "),
        "remove test learners (`gg4l learners remove --test --program <id> --confirm <id>`) or buy more licenses; `gg4l licenses` shows the counts",
      ),
    ];
  },
};

/** R5: test learners holding licenses, and launches by test learners that were kept from taking one. */
export const testLearnersCheck: Check = {
  names: ["test-learners"],
  async run({ state, tenant }) {
    const tenantId = need(tenant, "warn").id;
    const db = need(state, "warn").db;
    const programs = listProgramSummaries(db, tenantId).filter((p) => p.goneAt === null && p.testMembers > 0);
    const refused = refusalCounts(db, tenantId, "test-learner");
    const launches = refused.reduce((sum, r) => sum + r.launches, 0);
    const kept =
      launches === 0
        ? ""
        : `${launches} launch(es) by test learners took no license (latest ${refused
            .map((r) => r.last)
            .sort()
            .at(-1)})`;
    if (programs.length === 0)
      return [
        row(
          "test-learners",
          "pass",
          kept ? `no test learner holds a license; ${kept}` : "no test learner holds a license",
        ),
      ];
    const total = programs.reduce((sum, p) => sum + p.testMembers, 0);
    return [
      row(
        "test-learners",
        "warn",
        `${total} test learner(s) hold licenses: ${programs.map((p) => `${p.name} ${p.testMembers}`).join(", ")}${kept ? `; ${kept}` : ""}`,
        programs
          .map((p) => `\`gg4l learners remove --test --program ${p.programId} --confirm ${p.programId}\``)
          .join("; ")
          .concat(" (add --dry-run first to see who)"),
      ),
    ];
  },
};
