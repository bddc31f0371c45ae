/**
 * The Classroom implementation of the gradebook adapter (src/core/gradebook.ts). A column is a
 * course work gg4l created (only the creating project may grade it); its reference is
 * `<api>/courses/<courseId>/courseWork/<id>`, a container is `<api>/courses/<courseId>`, a
 * learner is a Classroom user id. A grade is written as `draftGrade` and `assignedGrade`
 * (same value), and returned to the student when `returnGrades` is on.
 */
import { ConfigError, RemoteError } from "../../base/errors.js";
import type {
  ColumnSpec,
  GradebookAdapter,
  GradebookColumn,
  GradebookEntry,
  GradePostOutcome,
  GradeUpdate,
} from "../../core/gradebook.js";
import { backoffDelay, defaultRetryPolicy } from "../http.js";
import type { ClassroomClient } from "./client.js";
import { ClassroomError } from "./errors.js";
import type { CourseWork, StudentSubmission } from "./types.js";

const COLUMN = /\/courses\/([^/?#]+)\/courseWork\/([^/?#]+)$/;
const CONTAINER = /\/courses\/([^/?#]+)$/;

export function containerRefOf(apiUrl: string, courseId: string): string {
  return `${apiUrl.replace(/\/+$/, "")}/courses/${encodeURIComponent(courseId)}`;
}

export function columnRefOf(apiUrl: string, courseId: string, courseWorkId: string): string {
  return `${containerRefOf(apiUrl, courseId)}/courseWork/${encodeURIComponent(courseWorkId)}`;
}

export function parseColumnRef(ref: string): { courseId: string; courseWorkId: string } {
  const m = COLUMN.exec(ref);
  if (!m) {
    throw new ConfigError(`"${ref}" is not a Classroom course work reference`, {
      hint: "the link was published for another LMS: publish it again with `gg4l classroom publish`",
    });
  }
  return { courseId: decodeURIComponent(m[1]!), courseWorkId: decodeURIComponent(m[2]!) };
}

export function parseContainerRef(ref: string): string {
  const m = CONTAINER.exec(ref);
  if (!m) {
    throw new ConfigError(`"${ref}" is not a Classroom course reference`, {
      hint: "the link was published for another LMS: publish it again with `gg4l classroom publish`",
    });
  }
  return decodeURIComponent(m[1]!);
}

/** The marker in a course work's description that says which Coursera course or item it grades. */
export function markerOf(spec: { tag?: string; resourceId?: string }): string {
  return `[gg4l:${spec.tag ?? "coursera"}:${spec.resourceId ?? ""}]`;
}

function markerIn(description: string | undefined): { tag: string; resourceId: string } | undefined {
  const m = /\[gg4l:([^:\]]+):([^\]]*)\]/.exec(description ?? "");
  return m ? { tag: m[1]!, resourceId: m[2]! } : undefined;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export interface NotReleased {
  columnRef: string;
  learnerRef: string;
  title: string;
  message: string;
}

export interface ClassroomGradebookOptions {
  /** Return each graded submission to its student (the `classroom-return` setting). */
  returnGrades: boolean;
  /** A grade was written but Classroom refused to return it (the work was not turned in). */
  onNotReleased?: (info: NotReleased) => void;
  /** The description and link of a column gg4l creates (the Coursera course or item it grades). */
  columnDetails?: (spec: ColumnSpec) => { description?: string; link?: { url: string; title?: string } };
  sleep?: (ms: number) => Promise<void>;
}

export class ClassroomGradebook implements GradebookAdapter {
  readonly lmsKind = "google-classroom";
  /** Classroom keeps no score timestamps: every write wins. */
  readonly timestampResolutionMs = 1;
  readonly stats = { written: 0, released: 0, notReleased: 0 };
  private readonly works = new Map<string, Promise<CourseWork>>();
  private readonly submissions = new Map<string, Promise<Map<string, StudentSubmission>>>();
  /** Columns another project owns: refused once, not asked again in this run. */
  private readonly denied = new Map<string, ClassroomError>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly client: ClassroomClient,
    private readonly options: ClassroomGradebookOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private toColumn(courseId: string, cw: CourseWork, spec?: Partial<ColumnSpec>): GradebookColumn {
    const marker = markerIn(cw.description);
    const resourceId = spec?.resourceId ?? marker?.resourceId;
    const tag = spec?.tag ?? marker?.tag;
    return {
      ref: columnRefOf(this.client.apiUrl, courseId, cw.id),
      label: cw.title,
      scoreMaximum: cw.maxPoints ?? spec?.scoreMaximum ?? 100,
      ...(resourceId !== undefined ? { resourceId } : {}),
      ...(spec?.resourceLinkId !== undefined ? { resourceLinkId: spec.resourceLinkId } : {}),
      ...(tag !== undefined ? { tag } : {}),
    };
  }

  /** gg4l's own course work in the course carrying this marker (drafts included). */
  async findColumn(
    containerRef: string,
    spec: Pick<ColumnSpec, "tag" | "resourceId">,
  ): Promise<CourseWork | undefined> {
    const courseId = parseContainerRef(containerRef);
    const marker = markerOf(spec);
    const all = await this.client.listCourseWork(courseId, ["PUBLISHED", "DRAFT"]);
    return all.find((cw) => cw.associatedWithDeveloper === true && (cw.description ?? "").includes(marker));
  }

  async findOrCreateColumn(
    containerRef: string,
    spec: ColumnSpec,
  ): Promise<{ column: GradebookColumn; created: boolean }> {
    const courseId = parseContainerRef(containerRef);
    const existing = await this.findColumn(containerRef, spec);
    if (existing) return { column: this.toColumn(courseId, existing, spec), created: false };
    const details = this.options.columnDetails?.(spec) ?? {};
    const body: Partial<CourseWork> = {
      title: spec.label.slice(0, 3000),
      description: `${details.description ? `${details.description}\n\n` : ""}${markerOf(spec)}`,
      workType: "ASSIGNMENT",
      state: "PUBLISHED",
      // 0 or absent would make it ungraded.
      maxPoints: Math.max(1, Math.round(spec.scoreMaximum)),
      ...(details.link ? { materials: [{ link: details.link }] } : {}),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const cw = await this.client.createCourseWork(courseId, body);
        return { column: this.toColumn(courseId, cw, spec), created: true };
      } catch (error) {
        const retryable =
          (error instanceof ClassroomError && error.kind === "retry") ||
          (error instanceof RemoteError && !(error instanceof ClassroomError) && error.status === undefined);
        if (!retryable || attempt >= 4) throw error;
        await this.sleep(backoffDelay(attempt, defaultRetryPolicy));
        // create has no idempotency key: the failed attempt may have gone through.
        const made = await this.findColumn(containerRef, spec);
        if (made) return { column: this.toColumn(courseId, made, spec), created: true };
      }
    }
  }

  private work(courseId: string, courseWorkId: string): Promise<CourseWork> {
    const key = `${courseId}/${courseWorkId}`;
    let pending = this.works.get(key);
    if (!pending) {
      pending = this.client.getCourseWork(courseId, courseWorkId);
      pending.catch(() => this.works.delete(key));
      this.works.set(key, pending);
    }
    return pending;
  }

  /** Every submission of a column by user id, listed once per run and shared by concurrent posts. */
  private submissionsOf(courseId: string, courseWorkId: string): Promise<Map<string, StudentSubmission>> {
    const key = `${courseId}/${courseWorkId}`;
    let pending = this.submissions.get(key);
    if (!pending) {
      pending = this.client
        .listSubmissions(courseId, courseWorkId)
        .then((subs) => new Map(subs.map((s) => [s.userId, s])));
      pending.catch(() => this.submissions.delete(key));
      this.submissions.set(key, pending);
    }
    return pending;
  }

  private async submissionOf(
    courseId: string,
    courseWorkId: string,
    userId: string,
  ): Promise<StudentSubmission | undefined> {
    const byUser = await this.submissionsOf(courseId, courseWorkId);
    const known = byUser.get(userId);
    if (known) return known;
    // A student added since the listing: ask for this one.
    const found = (
      await this.client.listSubmissions(courseId, courseWorkId, { userId }).catch((error: unknown) => {
        if (error instanceof ClassroomError && error.kind === "not-found") return [];
        throw error;
      })
    )[0];
    if (found) byUser.set(userId, found);
    return found;
  }

  async postGrade(columnRef: string, grade: GradeUpdate): Promise<GradePostOutcome> {
    const denied = this.denied.get(columnRef);
    if (denied) throw denied;
    const { courseId, courseWorkId } = parseColumnRef(columnRef);
    try {
      const cw = await this.work(courseId, courseWorkId);
      const sub = await this.submissionOf(courseId, courseWorkId, grade.learnerRef);
      if (!sub) {
        return {
          status: "rejected",
          message: `Classroom user ${grade.learnerRef} has no submission on "${cw.title}": not (or no longer) a student of Classroom course ${courseId}`,
        };
      }
      const maxPoints = cw.maxPoints ?? grade.scoreMaximum;
      const points =
        grade.scoreGiven === null
          ? undefined
          : round2((grade.scoreGiven / (grade.scoreMaximum || 1)) * maxPoints);
      // Both fields, same value, as the Classroom UI does; absent fields in the mask are cleared.
      const body = points === undefined ? {} : { draftGrade: points, assignedGrade: points };
      const updated = await this.client.patchGrades(courseId, courseWorkId, sub.id, body, [
        "draftGrade",
        "assignedGrade",
      ]);
      this.stats.written += 1;
      if (this.options.returnGrades && points !== undefined) await this.release(columnRef, cw, updated);
      return { status: "accepted" };
    } catch (error) {
      if (error instanceof ClassroomError && error.kind === "project") this.denied.set(columnRef, error);
      if (error instanceof ClassroomError && error.kind === "learner")
        return { status: "rejected", message: error.message };
      throw error;
    }
  }

  /** `:return` publishes the grade; Classroom refuses it for work never turned in: written, not released. */
  private async release(columnRef: string, cw: CourseWork, sub: StudentSubmission): Promise<void> {
    if (sub.state === "RETURNED") {
      this.stats.released += 1;
      return;
    }
    try {
      await this.client.returnSubmission(cw.courseId, cw.id, sub.id);
      sub.state = "RETURNED";
      this.stats.released += 1;
    } catch (error) {
      if (!(error instanceof ClassroomError && error.kind === "precondition")) throw error;
      this.stats.notReleased += 1;
      this.options.onNotReleased?.({
        columnRef,
        learnerRef: sub.userId,
        title: cw.title,
        message: `grade written, not released: Classroom returns only work the student turned in (${error.googleMessage || "FAILED_PRECONDITION"})`,
      });
    }
  }

  async readGrades(columnRef: string, options: { learnerRef?: string } = {}): Promise<GradebookEntry[]> {
    const { courseId, courseWorkId } = parseColumnRef(columnRef);
    const cw = await this.work(courseId, courseWorkId);
    const subs = await this.client.listSubmissions(
      courseId,
      courseWorkId,
      options.learnerRef ? { userId: options.learnerRef } : {},
    );
    return subs.map((s) => {
      const score = s.assignedGrade ?? s.draftGrade;
      return {
        learnerRef: s.userId,
        score: typeof score === "number" ? score : null,
        maximum: cw.maxPoints ?? 100,
      };
    });
  }
}
