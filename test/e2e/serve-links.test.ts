/**
 * Published links, one command away (`gg4l links list/show`, `learners show`), and staleness
 * that clears (R1): links published under an option are stale while the LMS uses another one,
 * and current again — connected on their next launch — when it switches back.
 */
import { describe, expect, it } from "vitest";
import { startFakeLms } from "../../fixtures/fake-lms/server.js";
import { parseJson } from "../helpers/gg4l.js";
import { gradeInput } from "../helpers/grades.js";
import {
  connectLms,
  copyState,
  expectOk,
  publishOverHttp,
  registerLms,
  serveSuite,
  startServe,
} from "./serve-helpers.js";

const suite = serveSuite();

interface LinkJson {
  id: number;
  lms: string;
  contextId: string;
  resourceLinkId: string;
  program: { id: string; name: string };
  course: { id: string; name: string };
  item: { id: string; name: string } | null;
  gradeSync: string;
  firstLaunchAt: string | null;
  lastLaunchAt: string | null;
  launches: number;
  learners: number;
  connected: boolean;
  notConnectedReason: string | null;
  stale: boolean;
  staleReason: string | null;
  columns: Array<{ url: string; createdBy: string; acknowledged: number }>;
}

describe("links and staleness", () => {
  it("lists and shows links; a grade-sync switch makes them stale and switching back brings them back", async () => {
    suite.fake.reset();
    const box = copyState(suite.template);
    const lms = await startFakeLms({ kind: "canvas" });
    await registerLms(box, lms, "assignment");
    const serve = await startServe(box);
    connectLms(lms, serve.urls);
    suite.keep(box, lms, { close: async () => void (await serve.stop()) });
    const published = await publishOverHttp(lms, {
      program: "Data Science",
      course: "Introduction to Data Science",
    });
    const link = published.links[0]!;
    const itemId = link.custom!.coursera_item_id!;
    const courseId = link.custom!.coursera_course_id!;
    const programId = link.custom!.coursera_program_id!;

    expect(parseJson<LinkJson[]>(await box.gg4l(["links", "list", "--json"]))).toEqual([]);
    lms.addUser({ userId: "ana", email: "ana@uni.example", contextId: lms.contextId });
    lms.addUser({ userId: "bea", email: "bea@uni.example", contextId: lms.contextId });
    expect((await lms.launch({ userId: "ana", contextId: lms.contextId, linkId: link.id })).status).toBe(302);

    const [listed] = parseJson<LinkJson[]>(await box.gg4l(["links", "list", "--json"]));
    expect(listed).toMatchObject({
      lms: "canvas",
      contextId: lms.contextId,
      resourceLinkId: link.id,
      program: { id: programId, name: "Data Science" },
      course: { id: courseId, name: "Introduction to Data Science" },
      item: { id: itemId },
      gradeSync: "assignment",
      launches: 1,
      learners: 1,
      connected: true,
      notConnectedReason: null,
      stale: false,
      staleReason: null,
      columns: [{ url: published.lineItems[0]!.id, createdBy: "lms", acknowledged: 0 }],
    });
    expect(listed!.firstLaunchAt).not.toBeNull();
    expect(parseJson<LinkJson>(await box.gg4l(["links", "show", String(listed!.id), "--json"]))).toEqual(
      listed,
    );
    expect(parseJson<LinkJson>(await box.gg4l(["links", "show", link.id, "--json"])).id).toBe(listed!.id);
    const unknown = await box.gg4l(["links", "show", "no-such-link"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('no published link "no-such-link"');
    for (const filter of [
      ["--program", "Data Science"],
      ["--course", courseId],
      ["--context", lms.contextId],
    ])
      expect(parseJson<LinkJson[]>(await box.gg4l(["links", "list", ...filter, "--json"]))).toHaveLength(1);
    expect(parseJson<LinkJson[]>(await box.gg4l(["links", "list", "--context", "other", "--json"]))).toEqual(
      [],
    );
    const piped = await box.gg4l(["links", "list"]);
    // Piped: tab-separated rows, untruncated, no header.
    expect(piped.stdout.split("\n")[0]).toMatch(
      new RegExp(
        `^${listed!.id}\t${lms.contextId}\tData Science\tIntroduction to Data Science › [^\t]+\tassignment\t1\t`,
      ),
    );
    expect(piped.stdout).toContain("\tconnected\t1");

    // A score the LMS acknowledged shows per column and per learner.
    suite.fake.control.setGrades([
      gradeInput("ana@uni.example", courseId, programId, { items: { [itemId]: 88 } }),
    ]);
    expectOk(await box.gg4l(["sync", "daily", "--json"]));
    const [synced] = parseJson<LinkJson[]>(await box.gg4l(["links", "list", "--json"]));
    expect(synced!.columns[0]!.acknowledged).toBe(1);
    const ana = parseJson<{
      publishedLinks: Array<{
        id: number;
        launched: boolean;
        eligible: boolean;
        columns: Array<{ lastScore: number }>;
      }>;
    }>(await box.gg4l(["learners", "show", "ana@uni.example", "--offline", "--json"]));
    expect(ana.publishedLinks).toEqual([
      expect.objectContaining({
        id: listed!.id,
        launched: true,
        eligible: true,
        columns: [expect.objectContaining({ lastScore: 88 })],
      }),
    ]);

    // R1: switching the option makes the link stale; switching back brings it back.
    const toCourse = parseJson<{ staleLinks: number; restoredLinks: number }>(
      await box.gg4l(["settings", "set", "grade-sync", "course", "--yes", "--json"]),
    );
    expect(toCourse).toMatchObject({ staleLinks: 1, restoredLinks: 0 });
    const [stale] = parseJson<LinkJson[]>(await box.gg4l(["links", "list", "--stale", "--json"]));
    expect(stale).toMatchObject({ stale: true, connected: false, notConnectedReason: "stale" });
    expect(stale!.staleReason).toMatch(/published under grade-sync "assignment", the LMS now uses "course"/);
    await lms.launch({ userId: "ana", contextId: lms.contextId, linkId: link.id });
    await expect.poll(() => serve.log()).toMatch(/ launch .*grading=stale/);

    const back = await box.gg4l(["settings", "set", "grade-sync", "assignment", "--yes"]);
    expect(back.code).toBe(0);
    expect(back.stderr).toContain('1 link(s) published under "assignment" are current again');
    expect(parseJson<LinkJson[]>(await box.gg4l(["links", "list", "--stale", "--json"]))).toEqual([]);
    await lms.launch({ userId: "ana", contextId: lms.contextId, linkId: link.id });
    await expect.poll(() => serve.log().match(/ launch .*grading=connected/g)?.length).toBe(2);
    expect(parseJson<LinkJson[]>(await box.gg4l(["links", "list", "--json"]))[0]!.connected).toBe(true);

    // bea is a member who never launched the link: not eligible, and why.
    suite.fake.control.store.addMember(
      suite.fake.control.licenses().findIndex((p) => p.name === "Data Science"),
      { externalId: "bea@uni.example", email: "bea@uni.example" },
    );
    expectOk(await box.gg4l(["programs", "pull"]));
    const bea = parseJson<{ publishedLinks: Array<{ launched: boolean; eligible: boolean; why: string }> }>(
      await box.gg4l(["learners", "show", "bea@uni.example", "--offline", "--json"]),
    );
    expect(bea.publishedLinks).toEqual([
      expect.objectContaining({
        launched: false,
        eligible: false,
        // The dry run's own words for the same grade (skipReasons["never-launched-link"]).
        why: "the learner never launched this link and no-SSO sync is off: ask them to open it once, or turn no-SSO on",
      }),
    ]);
  });
});
