/** The AGS implementation of the gradebook adapter (src/core/gradebook.ts). */
import type {
  ColumnSpec,
  GradebookAdapter,
  GradebookColumn,
  GradebookEntry,
  GradePostOutcome,
  GradeUpdate,
} from "../../core/gradebook.js";
import type { AgsClient, LineItem, Score } from "./ags.js";
import { CANVAS_SUBMISSION_EXTENSION } from "./constants.js";
import { AgsError } from "./errors.js";
import { timestampResolutionMs } from "./registration.js";

function toColumn(item: LineItem): GradebookColumn {
  return {
    ref: item.id,
    label: item.label,
    scoreMaximum: item.scoreMaximum,
    ...(item.resourceId !== undefined ? { resourceId: item.resourceId } : {}),
    ...(item.resourceLinkId !== undefined ? { resourceLinkId: item.resourceLinkId } : {}),
    ...(item.tag !== undefined ? { tag: item.tag } : {}),
  };
}

export class AgsGradebook implements GradebookAdapter {
  readonly lmsKind: string;
  readonly timestampResolutionMs: number;

  constructor(private readonly ags: AgsClient) {
    this.lmsKind = ags.registration.kind;
    this.timestampResolutionMs = timestampResolutionMs(ags.registration.kind);
  }

  async findOrCreateColumn(
    containerRef: string,
    spec: ColumnSpec,
  ): Promise<{ column: GradebookColumn; created: boolean }> {
    const { lineItem, created } = await this.ags.findOrCreateLineItem(containerRef, { ...spec });
    return { column: toColumn(lineItem), created };
  }

  async postGrade(columnRef: string, grade: GradeUpdate): Promise<GradePostOutcome> {
    const score: Score = {
      userId: grade.learnerRef,
      scoreGiven: grade.scoreGiven,
      scoreMaximum: grade.scoreMaximum,
      timestamp: grade.timestamp,
      activityProgress: "Completed",
      gradingProgress: "FullyGraded",
      ...(grade.comment !== undefined ? { comment: grade.comment } : {}),
    };
    if (grade.scoreGiven === null) {
      // Clearing a grade: no score, progress back to the start (the LTI 1.1 DeleteResult mapping, §4.8).
      score.activityProgress = "Initialized";
      score.gradingProgress = "NotReady";
      delete score.scoreGiven;
    }
    if (this.lmsKind === "canvas") {
      // Without this Canvas records a new submission attempt per post and e-mails the student again (§7.1).
      score.extensions = { [CANVAS_SUBMISSION_EXTENSION]: { new_submission: false } };
    }
    try {
      const result = await this.ags.postScore(columnRef, score);
      return result.outcome === "stale"
        ? { status: "stale", message: result.message, httpStatus: result.status }
        : { status: "accepted" };
    } catch (error) {
      if (error instanceof AgsError && error.kind === "learner")
        return {
          status: "rejected",
          message: error.message,
          ...(error.status !== undefined ? { httpStatus: error.status } : {}),
        };
      throw error;
    }
  }

  async readGrades(columnRef: string, options: { learnerRef?: string } = {}): Promise<GradebookEntry[]> {
    // Blackboard drops `comment` when results are filtered by user: read all and filter here (§4.10).
    const filterHere = options.learnerRef !== undefined && this.lmsKind === "blackboard";
    const results = await this.ags.getResults(columnRef, filterHere ? {} : { userId: options.learnerRef });
    return results
      .filter((r) => options.learnerRef === undefined || r.userId === options.learnerRef)
      .map((r) => ({
        learnerRef: r.userId,
        score: typeof r.resultScore === "number" ? r.resultScore : null,
        maximum: typeof r.resultMaximum === "number" && r.resultMaximum > 0 ? r.resultMaximum : 1,
        ...(typeof r.comment === "string" ? { comment: r.comment } : {}),
      }));
  }
}
