/**
 * The gradebook adapter interface (DESIGN §5): the grade sync talks to an LMS gradebook only
 * through this. LTI AGS implements it for Moodle, Blackboard, Canvas, D2L, Schoology and Buzz
 * (src/clients/lti/gradebook.ts); a Google Classroom adapter can implement it over the
 * Classroom API. References (`containerRef`, `columnRef`, `learnerRef`) are opaque strings the
 * store persists: for AGS a line-items container URL, a line item URL and the LTI user id.
 *
 * The one module of core that the clients import: core defines the port, the adapters in
 * src/clients implement it, so the domain states what it needs and the arrows still run
 * clients → core only for this contract (scripts/check-imports.mjs allows exactly this).
 */

/** What identifies a column so it is found again instead of created twice (look up before creating). */
export interface ColumnKey {
  /** The tool's own id of the graded thing (a Coursera item or course id). */
  resourceId?: string;
  /** The LMS resource link the column belongs to. */
  resourceLinkId?: string;
  /** A qualifier: COLUMN_TAG.item or COLUMN_TAG.final. */
  tag?: string;
  /** Older tags that name the same column: a look-up finds a column carrying any of them too. */
  tagAliases?: readonly string[];
}

/**
 * The one tag scheme of gg4l's columns, whether the sync creates them or the LMS creates them
 * from a deep-linking answer; `OLDER_TAGS` are those deep-linked columns carried before, which a
 * look-up still recognises.
 */
export const COLUMN_TAG = { item: "coursera-item", final: "coursera-final" } as const;
export const OLDER_TAGS: Readonly<Record<string, readonly string[]>> = {
  [COLUMN_TAG.item]: ["grade"],
  [COLUMN_TAG.final]: ["final"],
};

export interface ColumnSpec extends ColumnKey {
  label: string;
  scoreMaximum: number;
}

export interface GradebookColumn extends ColumnSpec {
  /** Where scores for this column go (AGS: the line item URL). */
  ref: string;
}

export interface GradeUpdate {
  learnerRef: string;
  /** null clears the grade. */
  scoreGiven: number | null;
  scoreMaximum: number;
  /** Send only when it changed: some LMSs add a new comment (and an e-mail) for every post. */
  comment?: string;
  /**
   * When the grade last changed. It must strictly increase per column and learner, at the
   * adapter's `timestampResolutionMs` (whole seconds for Moodle).
   */
  timestamp: Date;
}

export type GradePostOutcome =
  | { status: "accepted" }
  /** The LMS already has a newer score for this learner; nothing was changed. */
  | { status: "stale"; message: string; httpStatus?: number }
  /** This learner cannot be graded in this course (not enrolled, not a student); others are unaffected. */
  | { status: "rejected"; message: string; httpStatus?: number };

export interface GradebookEntry {
  learnerRef: string;
  /** On the column's scale; null when the LMS holds no score. */
  score: number | null;
  maximum: number;
  comment?: string;
}

export interface GradebookAdapter {
  /** The LMS kind this adapter talks to, e.g. "canvas". */
  readonly lmsKind: string;
  /** The finest timestamp difference the LMS tells apart when ordering score updates. */
  readonly timestampResolutionMs: number;

  /** The column with `spec`'s key in the course `containerRef`, created only if none exists. */
  findOrCreateColumn(
    containerRef: string,
    spec: ColumnSpec,
  ): Promise<{ column: GradebookColumn; created: boolean }>;

  /**
   * Posts one learner's grade. Per-learner refusals and stale timestamps come back as outcomes;
   * failures that concern every learner (auth, configuration, a vanished column, an LMS that
   * stays down) are thrown.
   */
  postGrade(columnRef: string, grade: GradeUpdate): Promise<GradePostOutcome>;

  /** The grades the LMS holds for a column (all learners, or one). */
  readGrades(columnRef: string, options?: { learnerRef?: string }): Promise<GradebookEntry[]>;
}
