/** gg4l doctor's license checks (R5): programs near their cap, test learners holding licenses. */
import { afterEach, describe, expect, it } from "vitest";
import { syncWorld, type World } from "../helpers/sync-world.js";
import { readDoctor } from "./doctor-helpers.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const doctor = async (w: World) => readDoctor(await w.gg4l(["doctor", "--json"]));

/** Coursera changes the program's license cap; the next pull brings it into the state. */
async function setCap(w: World, cap: number): Promise<void> {
  w.coursera.control.store.setLicenseCap(w.programId, cap);
  await w.ok(["programs", "pull"]);
}

describe("gg4l doctor: licenses", () => {
  it("passes with licenses to spare, warns at 90% used and fails with no license left (exit 1)", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const used = world.members.length;
    expect(used).toBeGreaterThanOrEqual(9);

    await setCap(world, used * 2);
    expect((await doctor(world)).row("licenses")).toMatchObject({
      status: "pass",
      message: "licenses to spare in all 1 active program(s)",
    });

    await setCap(world, used + 1);
    const near = await doctor(world);
    expect(near.row("licenses")).toMatchObject({
      status: "warn",
      message: `program Data Science uses ${used} of ${used + 1} licenses (${Math.floor((100 * used) / (used + 1))}%)`,
    });
    expect(near.code).toBe(0);

    await setCap(world, used);
    const full = await doctor(world);
    expect(full.row("licenses")).toMatchObject({
      status: "fail",
      message: `no licenses left in program Data Science: remove test learners or buy more (${used} of ${used} used)`,
    });
    expect(full.row("licenses").fix).toMatch(/remove test learners .* or buy more licenses/);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/doctor check\(s\) failed: licenses/);
  });
});

describe("gg4l doctor: test learners", () => {
  it("warns with the count per program and the command that frees them; passes once they are removed", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    expect((await doctor(w)).row("test-learners")).toMatchObject({
      status: "pass",
      message: "no test learner holds a license",
    });

    const [a, b] = w.members as [string, string];
    await w.ok(["learners", "mark-test", a, b]);
    const d = await doctor(w);
    // A learner may hold a license in a second program too: each program is counted apart.
    expect(d.row("test-learners")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(/^\d+ test learner\(s\) hold licenses: .*Data Science 2/),
    });
    expect(d.row("test-learners").fix).toContain(
      `gg4l learners remove --test --program ${w.programId} --confirm ${w.programId}`,
    );
    expect(JSON.stringify(d.rows)).not.toContain(a);

    // The fix is the commands to run: running them frees every test license.
    const commands = [...d.row("test-learners").fix!.matchAll(/`gg4l (learners remove [^`]+)`/g)].map((m) =>
      m[1]!.split(" "),
    );
    expect(commands.length).toBeGreaterThanOrEqual(1);
    for (const args of commands) await w.ok(args);
    expect((await doctor(w)).row("test-learners")).toMatchObject({
      status: "pass",
      message: "no test learner holds a license",
    });
  });
});
