/** The AGS gradebook adapter against the fake LMS: columns, grade outcomes and reading grades back. */
import { describe, expect, it } from "vitest";
import { FAKE_LMS_KINDS, type FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import { ConfigError } from "../../src/base/errors.js";
import { AgsClient } from "../../src/clients/lti/ags.js";
import { CANVAS_SUBMISSION_EXTENSION } from "../../src/clients/lti/constants.js";
import { AgsError } from "../../src/clients/lti/errors.js";
import { AgsGradebook } from "../../src/clients/lti/gradebook.js";
import { ServiceTokenProvider } from "../../src/clients/lti/token.js";
import { COLUMN_TAG, type GradeUpdate, OLDER_TAGS } from "../../src/core/gradebook.js";
import { fakeLmsPool } from "../helpers/fake-lms-pool.js";
import { fastRetries, registrationOf } from "../helpers/tool-key.js";

const lmsPool = fakeLmsPool();

async function setup(kind: FakeLmsKind, options: { clock?: () => number } = {}) {
  const lms = await lmsPool.open(kind, options);
  const { http, sleep, retry } = fastRetries();
  const reg = registrationOf(lms);
  const ags = new AgsClient(reg, new ServiceTokenProvider(reg, lmsPool.key.key, { http, sleep, retry }), {
    http,
    sleep,
    retry,
  });
  const gradebook = new AgsGradebook(ags);
  const { column } = await gradebook.findOrCreateColumn(lms.lineitemsUrl, {
    label: "Week 1 quiz",
    scoreMaximum: 100,
    resourceId: "item-w1",
    tag: "grade",
  });
  return { lms, gradebook, column, learner: lms.seeded.learnerIds[0]! };
}

let clock = Date.parse("2031-01-01T00:00:00Z");
function grade(learnerRef: string, scoreGiven: number | null, extra: Partial<GradeUpdate> = {}): GradeUpdate {
  clock += 1000;
  return { learnerRef, scoreGiven, scoreMaximum: 10, timestamp: new Date(clock), ...extra };
}

describe("AgsGradebook", () => {
  it.each(FAKE_LMS_KINDS)("%s: finds a column by its key instead of creating it twice", async (kind) => {
    const { lms, gradebook, column } = await setup(kind);
    expect(column).toMatchObject({
      label: "Week 1 quiz",
      scoreMaximum: 100,
      resourceId: "item-w1",
      tag: "grade",
    });
    const again = await gradebook.findOrCreateColumn(lms.lineitemsUrl, {
      label: "Week 1 quiz (renamed)",
      scoreMaximum: 100,
      resourceId: "item-w1",
      tag: "grade",
    });
    expect(again).toEqual({ column, created: false });
    const other = await gradebook.findOrCreateColumn(lms.lineitemsUrl, {
      label: "Week 2",
      scoreMaximum: 50,
      resourceId: "item-w2",
    });
    expect(other.created).toBe(true);
    expect(lms.requests().filter((r) => r.route === "lineitems" && r.method === "POST")).toHaveLength(2);
    expect(gradebook.timestampResolutionMs).toBe(kind === "moodle" ? 1000 : 1);
  });

  it.each(FAKE_LMS_KINDS)(
    "%s: a column a deep link made with an older tag is found under the one tag scheme, not made twice",
    async (kind) => {
      const { lms, gradebook, column } = await setup(kind);
      const found = await gradebook.findOrCreateColumn(lms.lineitemsUrl, {
        label: "Week 1 quiz",
        scoreMaximum: 100,
        resourceId: "item-w1",
        tag: COLUMN_TAG.item,
        tagAliases: OLDER_TAGS[COLUMN_TAG.item],
      });
      expect(found).toEqual({ column, created: false });
      const final = await gradebook.findOrCreateColumn(lms.lineitemsUrl, {
        label: "Course (final grade)",
        scoreMaximum: 100,
        resourceId: "item-w1",
        tag: COLUMN_TAG.final,
        tagAliases: OLDER_TAGS[COLUMN_TAG.final],
      });
      expect(final.created).toBe(true);
      expect(final.column.tag).toBe("coursera-final");
    },
  );

  it("posts grades, reads them back on the column's scale, and clears one", async () => {
    const { gradebook, column, learner, lms } = await setup("moodle");
    expect(await gradebook.postGrade(column.ref, grade(learner, 9, { comment: "Well done" }))).toEqual({
      status: "accepted",
    });
    expect(await gradebook.readGrades(column.ref)).toEqual([
      { learnerRef: learner, score: 90, maximum: 100, comment: "Well done" },
    ]);
    expect(await gradebook.postGrade(column.ref, grade(learner, null))).toEqual({ status: "accepted" });
    expect(await gradebook.readGrades(column.ref)).toEqual([]);
    expect(lms.posts().at(-1)?.score).toMatchObject({
      activityProgress: "Initialized",
      gradingProgress: "NotReady",
    });
    expect(lms.posts().at(-1)?.score).not.toHaveProperty("scoreGiven");
  });

  it("returns stale and rejected outcomes per learner, and throws what concerns every learner", async () => {
    // Moodle orders scores by the second it received the last one in, by its own clock.
    const second = Math.floor(Date.now() / 1000) * 1000;
    const moodle = await setup("moodle", { clock: () => second + 100 });
    const at = new Date(second + 200);
    await moodle.gradebook.postGrade(moodle.column.ref, grade(moodle.learner, 5, { timestamp: at }));
    const sameSecond = await moodle.gradebook.postGrade(
      moodle.column.ref,
      grade(moodle.learner, 6, { timestamp: new Date(second + 700) }),
    );
    expect(sameSecond).toMatchObject({ status: "stale" });
    const rejected = await moodle.gradebook.postGrade(
      moodle.column.ref,
      grade(moodle.lms.seeded.instructorId, 5),
    );
    expect(rejected).toEqual({
      status: "rejected",
      message: "post a score: Moodle answered HTTP 400: []",
      httpStatus: 400,
    });

    const bb = await setup("blackboard");
    await bb.gradebook.postGrade(
      bb.column.ref,
      grade(bb.learner, 7, { timestamp: new Date("2031-06-01T10:00:02Z") }),
    );
    const older = await bb.gradebook.postGrade(
      bb.column.ref,
      grade(bb.learner, 2, { timestamp: new Date("2031-06-01T10:00:01Z") }),
    );
    expect(older).toMatchObject({
      status: "stale",
      message: expect.stringMatching(/already has a newer score/),
    });

    const canvas = await setup("canvas");
    const foreign = canvas.lms.addLineItem({
      contextId: canvas.lms.contextId,
      label: "Manual",
      scoreMaximum: 5,
      foreign: true,
    });
    await expect(canvas.gradebook.postGrade(foreign.id, grade(canvas.learner, 1))).rejects.toBeInstanceOf(
      AgsError,
    );
  });

  it("Canvas: posts with new_submission false, so an unchanged re-post sends no student notification", async () => {
    const { lms, gradebook, column, learner } = await setup("canvas");
    await gradebook.postGrade(column.ref, grade(learner, 8, { comment: "Good" }));
    expect(lms.notifications().byType).toEqual({ "Submission Graded": 1, "Submission Comment": 1 });
    await gradebook.postGrade(column.ref, grade(learner, 8));
    expect(lms.notifications().total).toBe(2);
    expect(lms.posts().at(-1)?.score[CANVAS_SUBMISSION_EXTENSION]).toEqual({ new_submission: false });
    expect(lms.gradebook().lineItems[0]!.grades[0]).toMatchObject({
      score: 80,
      submission: { attempts: 0, state: "graded" },
    });
  });

  it("Blackboard: reads one learner's grade by listing all, so the comment survives", async () => {
    const { lms, gradebook, column, learner } = await setup("blackboard");
    const other = lms.seeded.learnerIds[1]!;
    await gradebook.postGrade(column.ref, grade(learner, 6, { comment: "See feedback" }));
    await gradebook.postGrade(column.ref, grade(other, 4));
    expect(await gradebook.readGrades(column.ref, { learnerRef: learner })).toEqual([
      { learnerRef: learner, score: 60, maximum: 100, comment: "See feedback" },
    ]);
    const resultCalls = lms.requests().filter((r) => r.route === "results");
    expect(resultCalls.at(-1)?.path).not.toMatch(/user_id/);
  });

  it("refuses Google Classroom, whose grades do not travel over AGS", async () => {
    const { lms } = await setup("canvas");
    const reg = { ...registrationOf(lms), kind: "google-classroom" as const };
    expect(() => new AgsClient(reg, new ServiceTokenProvider(reg, lmsPool.key.key))).toThrow(ConfigError);
  });
});
