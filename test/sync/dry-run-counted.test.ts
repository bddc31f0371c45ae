import { afterEach, describe, expect, it } from "vitest";
import { decisionWorld, toState } from "../helpers/decision-world.js";
import type { World } from "../helpers/sync-world.js";

/**
 * A dry run that shows only the summary counts its plan without storing it (store/plan.ts
 * countPlan); --verbose builds and lists the whole plan, then prints the same summary. Both
 * must decide alike: through every skip reason and kind of post these states reach, the
 * counted summary is the listed run's summary, line for line.
 */
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function expectCountedAsListed(w: World, ...args: string[]): Promise<string> {
  const counted = await w.ok(["sync", "grades", "--dry-run", ...args]);
  const listed = await w.ok(["sync", "grades", "--dry-run", "--verbose", ...args]);
  expect(counted.stdout.trim().length).toBeGreaterThan(0);
  expect(listed.stdout.endsWith(counted.stdout)).toBe(true);
  // The listing itself is there, above the summary.
  expect(listed.stdout.length).toBeGreaterThan(counted.stdout.length);
  return counted.stdout;
}

describe("a dry run that only counts", () => {
  it("decides every grade as the listed dry run does, whatever the reason and settings", async () => {
    const d = await decisionWorld();
    world = d.w;
    const w = world;
    const { ana } = d.learners;

    // New posts; kept out: test learner, never launched, no grade, no connected link.
    const first = await expectCountedAsListed(w);
    expect(first).toMatch(/never launched/);
    expect(first).toMatch(/test learner/);
    // sync daily --dry-run counts too: after pulling the same grades, the same summary.
    expect((await w.ok(["sync", "daily", "--dry-run"])).stdout).toBe(first);
    await expectCountedAsListed(w, "--learner", ana);

    // After a run: unchanged (incremental on), then changed.
    await toState(d, "changed");
    const later = await expectCountedAsListed(w);
    expect(later).toMatch(/unchanged/);
    expect(later).toMatch(/changed score/);

    // Incremental off: the unchanged ones are posted again.
    await toState(d, "incremental-off");
    expect(await expectCountedAsListed(w)).toMatch(/re-posted/);

    // No-SSO on: roster eligibility instead of launches.
    await toState(d, "no-sso");
    await expectCountedAsListed(w, "--offline");

    // The program deactivated: every grade kept out.
    await toState(d, "program-inactive");
    expect(await expectCountedAsListed(w, "--offline")).toMatch(/not active/);
  });
});
