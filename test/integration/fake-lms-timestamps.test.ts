/**
 * The fake LMS orders score updates as each real LMS does (reference/lti-ags.md §4.9, §7.2).
 * Moodle, observed on 4.5: it keeps the second it *received* the last score in, by its own
 * clock, and refuses with 409 a score whose timestamp is not later than that second.
 */
import { describe, expect, it } from "vitest";
import type { FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import { AgsClient, type Score } from "../../src/clients/lti/ags.js";
import { ServiceTokenProvider } from "../../src/clients/lti/token.js";
import { fakeLmsPool } from "../helpers/fake-lms-pool.js";
import { fastRetries, registrationOf } from "../helpers/tool-key.js";

const lmsPool = fakeLmsPool();

async function setup(kind: FakeLmsKind, clock: () => number) {
  const lms = await lmsPool.open(kind, { clock });
  const retries = fastRetries();
  const reg = registrationOf(lms);
  const tokens = new ServiceTokenProvider(reg, lmsPool.key.key, retries);
  const ags = new AgsClient(reg, tokens, retries);
  const item = await ags.createLineItem(lms.lineitemsUrl, { label: "Quiz", scoreMaximum: 10 });
  return { lms, ags, item, learner: lms.seeded.learnerIds[0]! };
}

/** Whole seconds near now, so the fake's clock still accepts the tool's signed assertions. */
const base = Math.floor(Date.now() / 1000) * 1000;
const at = (ms: number) => new Date(base + ms).toISOString();
const clockAt = (ms: number) => () => base + ms;

const score = (userId: string, scoreGiven: number, timestamp: string): Score => ({
  userId,
  scoreGiven,
  scoreMaximum: 10,
  timestamp,
  activityProgress: "Completed",
  gradingProgress: "FullyGraded",
});

describe("Moodle: the stored second is the receive time", () => {
  it("refuses (409) a later timestamp that is not past the second Moodle received the last score in", async () => {
    // Moodle's clock reads :05.4 while the tool's timestamps say :01, then :03.
    const { lms, ags, item, learner } = await setup("moodle", clockAt(5400));
    await ags.postScore(item.id, score(learner, 5, at(1000)));
    const refused = await ags.postScore(item.id, score(learner, 6, at(3000)));
    expect(refused).toMatchObject({ outcome: "stale", status: 409 });
    expect(refused.message).toMatch(/Refusing score with an earlier timestamp for item \S+ and user/);
    expect(lms.gradebook().lineItems[0]!.grades[0]!.scoreGiven).toBe(5);
    // The same second as the receive time is refused too; the next second is taken.
    expect((await ags.postScore(item.id, score(learner, 7, at(5999)))).outcome).toBe("stale");
    expect((await ags.postScore(item.id, score(learner, 8, at(6000)))).outcome).toBe("accepted");
    expect(lms.gradebook().lineItems[0]!.grades[0]!.scoreGiven).toBe(8);
  });

  it("a timestamp far ahead of Moodle's clock does not hold back the next score: only the receive second counts", async () => {
    const { ags, item, learner } = await setup("moodle", clockAt(5400));
    await ags.postScore(item.id, score(learner, 5, at(365 * 86_400_000)));
    expect((await ags.postScore(item.id, score(learner, 6, at(180 * 86_400_000)))).outcome).toBe("accepted");
  });
});

describe("the other stale answers of the reference's table", () => {
  it("Canvas refuses an older timestamp with 400 and accepts an equal one; Blackboard answers 204 and drops it", async () => {
    const clock = clockAt(0);
    const canvas = await setup("canvas", clock);
    await canvas.ags.postScore(canvas.item.id, score(canvas.learner, 5, at(2000)));
    const older = await canvas.ags.postScore(canvas.item.id, score(canvas.learner, 6, at(1000)));
    expect(older).toMatchObject({ outcome: "stale", status: 400 });
    expect((await canvas.ags.postScore(canvas.item.id, score(canvas.learner, 6, at(2000)))).outcome).toBe(
      "accepted",
    );

    const bb = await setup("blackboard", clock);
    await bb.ags.postScore(bb.item.id, score(bb.learner, 5, at(2000)));
    expect(await bb.ags.postScore(bb.item.id, score(bb.learner, 6, at(1000)))).toMatchObject({
      outcome: "stale",
      status: 204,
    });
    expect(bb.lms.posts().at(-1)).toMatchObject({ status: 204, applied: false });
    expect(bb.lms.gradebook().lineItems[0]!.grades[0]!.scoreGiven).toBe(5);
  });
});
