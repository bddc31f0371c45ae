import { afterEach, describe, expect, it } from "vitest";
import { parseJson } from "../helpers/gg4l.js";
import { plainLines, runOnTerminal } from "../helpers/pty.js";
import { type Course, syncWorld, type World } from "../helpers/sync-world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Item {
  action: string;
  kind?: string;
  courseId: string;
  courseName: string | null;
  itemId: string | null;
  itemName: string | null;
  externalId?: string;
  because?: string;
}

/** The ITEM cell: the course and item by name, as a person reads them. */
const place = (e: Item) => {
  const course = e.courseName ?? e.courseId;
  return e.itemId ? `${course} — ${e.itemName ?? e.itemId}` : course;
};

describe("sync grades --dry-run --verbose: the plan as a table", () => {
  it("piped: a tab-separated row per entry in the --json order; on a terminal: a header, aligned, the reason cut to fit", async () => {
    world = await syncWorld({ kind: "moodle", gradeSync: "assignment" });
    const w = world;
    const course: Course = w.courses.find((c) => c.items.length >= 2)!;
    const [item1, item2] = course.items as [Course["items"][0], Course["items"][0]];
    const [ana, ben] = w.members as [string, string];
    w.setGrade(ana, course.id, { items: { [item1.id]: 91, [item2.id]: 72 } });
    w.setGrade(ben, course.id, { items: { [item1.id]: 64, [item2.id]: 55 } });
    const link1 = w.publish({ courseId: course.id, itemId: item1.id });
    w.publish({ courseId: course.id, itemId: item2.id });
    w.launch(ana, link1, { courseId: course.id, itemId: item1.id });
    await w.ok(["sync", "daily", "--dry-run"]);

    const { items } = parseJson<{ items: Item[] }>(await w.ok(["sync", "grades", "--dry-run", "--json"]));
    const piped = (await w.ok(["sync", "grades", "--dry-run", "--verbose"])).stdout.trimEnd().split("\n");
    // The plan's rows, then the summary's (the same table as without --verbose).
    expect(piped.length).toBeGreaterThan(items.length);
    expect(piped.slice(0, items.length).map((line) => line.split("\t"))).toEqual(
      items.map((e) => [
        e.action === "create-column" ? "create column" : e.action,
        place(e),
        e.externalId ?? "-",
        expect.any(String),
        e.action === "post" ? "new score" : (e.because ?? expect.any(String)),
      ]),
    );
    expect(piped[0]!.split("\t")).toEqual([
      "post",
      `${course.name} — ${item1.name}`,
      ana,
      "91/100",
      "new score",
    ]);
    expect(piped.slice(0, items.length).some((l) => l.startsWith("skip\t") && l.includes(ben))).toBe(true);

    const width = 200;
    const screen = plainLines(
      (
        await runOnTerminal(["sync", "grades", "--dry-run", "--verbose"], {
          env: { GG4L_DB: w.box.db },
          columns: width,
        })
      ).screen,
    ).filter((line) => line.trim() !== "");
    const header = screen.findIndex((line) => /^ACTION +ITEM +LEARNER +SCORE +WHY$/.test(line));
    expect(header).toBeGreaterThanOrEqual(0);
    const rows = screen.slice(header + 1, header + 1 + items.length);
    // Columns start where the header's do; no rule between rows.
    const at = (name: string) => screen[header]!.indexOf(name);
    expect(rows).toHaveLength(items.length);
    rows.forEach((row, i) => {
      expect(row.length).toBeLessThanOrEqual(width);
      expect(row.slice(at("ITEM")).startsWith(place(items[i]!))).toBe(true);
      expect(row.slice(at("LEARNER")).startsWith(items[i]!.externalId ?? "-")).toBe(true);
      expect(row[at("WHY") - 1]).toBe(" ");
    });
    expect(screen.some((line) => /^[-─=+|\s]{10,}$/.test(line))).toBe(false);
    // The skip reason is longer than the line: cut with an ellipsis, the learner whole.
    const skip = rows.find((row) => row.startsWith("skip"))!;
    expect(skip).toMatch(/…$/);
    expect(skip).toContain(ben);
  });
});
