import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { noPrompter } from "../../src/cli/io/prompter.js";
import { createContext } from "../../src/core/context.js";
import { planEntries, preparePlan, type SyncFilters, streamPlan } from "../../src/core/sync/plan.js";
import { openState } from "../../src/store/db.js";
import { dropPlan } from "../../src/store/plan.js";
import { decisionWorld, toState } from "../helpers/decision-world.js";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";

/**
 * A dry run's --json decides, lists, counts and hashes its plan in one pass, with SQLite
 * writing the entries (core/sync/plan.ts streamPlan). --verbose and --plan-out build the plan
 * table and make each entry in JavaScript (planEntries). Both must give the same plan: the
 * same entries, byte for byte as JSON.stringify writes them, and the same summary and
 * fingerprint, through every kind of post and skip, awkward names and numbers, filters, and
 * plans larger than one chunk.
 */
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function contextOn(dbPath: string) {
  return createContext({
    env: {},
    dbPath,
    tenantFlag: undefined,
    osUser: "tester",
    logger: { debug: () => {}, info: () => {}, warn: () => {} },
    prompter: noPrompter,
    canPrompt: false,
    readStdin: async () => "",
    openState,
  });
}

const separated = (texts: string[]) => texts.map((t, i) => `${i === 0 ? "\n    " : ",\n    "}${t}`).join("");

/** The plan as --verbose and --plan-out make it: the plan table, entries made in JavaScript. */
function listed(dbPath: string, filters: SyncFilters) {
  const ctx = contextOn(dbPath);
  try {
    const { summary } = preparePlan(ctx, filters, { order: "listing" });
    const items = separated([...planEntries(ctx)].map((e) => JSON.stringify(e)));
    dropPlan(ctx.state().db);
    return { summary, items };
  } finally {
    ctx.close();
  }
}

function streamed(dbPath: string, filters: SyncFilters) {
  const ctx = contextOn(dbPath);
  try {
    const plan = streamPlan(ctx, filters);
    const items = Buffer.concat([...plan.items].map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
    const summary = plan.summary();
    dropPlan(ctx.state().db);
    return { summary, items: items.toString("utf8") };
  } finally {
    ctx.close();
  }
}

/** In process and through the CLI, the streamed plan is the listed one; returns how many entries. */
async function expectStreamedAsListed(
  w: World,
  filters: SyncFilters = {},
  args: string[] = [],
): Promise<number> {
  const expected = listed(w.box.db, filters);
  const got = streamed(w.box.db, filters);
  const [a, b] = [got.items.split(",\n    "), expected.items.split(",\n    ")];
  expect(a.filter((entry, i) => entry !== b[i]).slice(0, 3)).toEqual([]);
  expect(got.items).toBe(expected.items);
  expect(JSON.stringify(got.summary)).toBe(JSON.stringify(expected.summary));
  expect(got.summary.fingerprint).toMatch(/^[0-9a-f]{32}$/);

  const cli = await w.ok(["sync", "grades", "--dry-run", "--json", ...args]);
  expect(
    cli.stdout.startsWith(`{\n  "dryRun": true,\n  "items": [${expected.items}\n  ],\n  "summary": `),
  ).toBe(true);
  const out = JSON.parse(cli.stdout) as { summary: unknown; items: unknown[] };
  expect(out.summary).toEqual(expected.summary);
  return out.items.length;
}

/** Doubles whose shortest form is awkward, whole ones, tiny and huge ones, and a few thousand random ones. */
function awkwardScores(n: number): number[] {
  const fixed = [0, 100, 0.1, 0.7, 77.7, 99.99, 2 / 3, 1 / 3, 0.1 + 0.2, 83.33333333333334, 90.0562918668986];
  const more = [1e-5, 1e-7, 5e-324, 1e21, 1e15, 123456789.5, 999999999.999999, -0.5, -12.25, 4.35, 1.005];
  let seed = 7;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const out = [...fixed, ...more];
  while (out.length < n) {
    const k = out.length % 4;
    out.push(
      k === 0
        ? Math.round(random() * 1000) / 10
        : k === 1
          ? Math.round(random() * 10000) / 100
          : k === 2
            ? random() * 10 ** (Math.floor(random() * 12) - 4)
            : Math.round(random() * 100),
    );
  }
  return out;
}

function onState<T>(w: World, body: (db: Database.Database) => T): T {
  const db = new Database(w.box.db);
  try {
    return body(db);
  } finally {
    db.close();
  }
}

describe("a dry run's --json", () => {
  it("lists, counts and hashes the plan the plan table holds, byte for byte, whatever the reason and settings", async () => {
    const d = await decisionWorld();
    world = d.w;
    const w = world;
    const { course } = d;
    const [item1, item2, item3] = d.items;
    const { ana, ben } = d.learners;

    // Names JSON must escape, and more grades than a chunk holds (store/plan.ts JSON_CHUNK), in a
    // linked column (never launched) and in an item no link points at: every awkward number.
    const scores = awkwardScores(9000);
    onState(w, (db) => {
      db.prepare("UPDATE courses SET name = ? WHERE course_id = ?").run(
        'Data "Science"\t— été 😀 \\ /',
        course.id,
      );
      db.prepare("UPDATE items SET name = ? WHERE course_id = ? AND item_id = ?").run(
        "Quiz\n2: \u2028 <b>",
        course.id,
        item1.id,
      );
      const programId = db.prepare("SELECT program_id FROM coursera_grades LIMIT 1").pluck().get() as string;
      const insert = db.prepare(
        `INSERT INTO coursera_grades (tenant_id, external_id, course_id, item_id, program_id, grade)
         SELECT id, ?, ?, ?, ?, ? FROM tenants`,
      );
      scores.forEach((score, i) => {
        const learner =
          i % 3 === 0 ? `\u{1F600}${i}@x.edu` : i % 3 === 1 ? `l${i}"q"@x.edu` : `\uFF21${i}@x.edu`;
        insert.run(learner, course.id, i % 2 ? item1.id : item3.id, programId, score);
      });
      // The posts' scores, awkward too.
      db.prepare("UPDATE coursera_grades SET grade = ? WHERE external_id = ? AND item_id = ?").run(
        83.33333333333334,
        ana,
        item1.id,
      );
      db.prepare("UPDATE coursera_grades SET grade = ? WHERE external_id = ? AND item_id = ?").run(
        0.1 + 0.2,
        ben,
        item2.id,
      );
    });
    expect(await expectStreamedAsListed(w)).toBeGreaterThan(9000);
    expect(await expectStreamedAsListed(w, { learner: ana }, ["--learner", ana])).toBeLessThan(100);
    await expectStreamedAsListed(w, { course: course.id }, ["--course", course.id]);

    // After a run: unchanged (incremental on), then changed, with the ledger's previous scores.
    await toState(d, "changed");
    await expectStreamedAsListed(w);
    await toState(d, "incremental-off");
    await expectStreamedAsListed(w);
    await toState(d, "no-sso");
    await expectStreamedAsListed(w, {}, ["--offline"]);
    await toState(d, "program-inactive");
    await expectStreamedAsListed(w, {}, ["--offline"]);
  }, 120_000);

  it("lists Option B's columns to create and the final grade's comment as the plan table does", async () => {
    for (const gradeSync of ["course", "final"] as const) {
      world = await syncWorld({ kind: "moodle", gradeSync });
      const w = world;
      const course: Course = w.courses.find((c) => c.items.length >= 2)!;
      const [ana, ben] = w.members as [string, string];
      w.setGrade(ana, course.id, { items: { [course.items[0]!.id]: 12.5 }, course: 88.8, completed: true });
      w.setGrade(ben, course.id, { items: { [course.items[1]!.id]: 1 / 3 }, course: 40, completed: false });
      const link = w.publish({ courseId: course.id });
      w.launch(ana, link, { courseId: course.id });
      await w.ok(["sync", "daily", "--dry-run"]);
      expect(await expectStreamedAsListed(w)).toBeGreaterThan(0);
      await world.close();
      world = undefined;
    }
  }, 120_000);

  it("with --plan-out, saves the plan it lists: one fingerprint", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course: Course = w.courses.find((c) => c.items.length >= 1)!;
    const ana = w.members[0]!;
    w.setGrade(ana, course.id, { items: { [course.items[0]!.id]: 70.5 } });
    const link = w.publish({ courseId: course.id, itemId: course.items[0]!.id });
    w.launch(ana, link, { courseId: course.id, itemId: course.items[0]!.id });
    await w.ok(["sync", "daily", "--dry-run"]);
    const file = `${w.box.dir}/plan.json`;
    const out = JSON.parse(
      (await w.ok(["sync", "grades", "--dry-run", "--json", "--plan-out", file])).stdout,
    ) as { summary: { fingerprint: string }; planFile: string; items: Array<{ action: string }> };
    const saved = JSON.parse(readFileSync(file, "utf8")) as {
      fingerprint: string;
      items: unknown[];
    };
    expect(out.planFile).toBe(file);
    expect(saved.fingerprint).toBe(out.summary.fingerprint);
    expect(saved.items).toEqual(out.items.filter((e) => e.action !== "skip"));
  }, 60_000);
});
