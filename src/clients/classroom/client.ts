/**
 * The Classroom REST calls gg4l makes (reference §2, §3, §5): each acts as the teacher the
 * registration names for the course, follows `nextPageToken` to the last page, refreshes a
 * refused token once, and turns every non-2xx answer into a ClassroomError.
 */
import { type HttpClient, type HttpResponse, parseJsonBody } from "../http.js";
import { type CallContext, classroomErrorOf } from "./errors.js";
import type { ClassroomTokenProvider } from "./token.js";
import type { Course, CourseWork, StudentSubmission, SubmissionState, UserProfile } from "./types.js";

export interface ClassroomClientOptions {
  http: HttpClient;
  tokens: ClassroomTokenProvider;
  /** Base URL, e.g. https://classroom.googleapis.com/v1 (no trailing slash). */
  apiUrl: string;
  /** The teacher to impersonate for a course (throws a ConfigError when none is configured). */
  teacherFor: (courseId: string) => string;
  /** The user for calls about no course in particular. */
  defaultUser: string | undefined;
  /** Page size asked for on list calls (the server may return fewer). */
  pageSize?: number;
}

type Query = Record<string, string | string[] | undefined>;

export class ClassroomClient {
  readonly apiUrl: string;
  private readonly pageSize: number;

  constructor(private readonly options: ClassroomClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, "");
    this.pageSize = options.pageSize ?? 100;
  }

  teacherFor(courseId: string): string {
    return this.options.teacherFor(courseId);
  }

  private url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
    }
    const qs = params.toString();
    return `${this.apiUrl}${path}${qs ? `?${qs}` : ""}`;
  }

  /** One call as `call.user`; a 401 gets one fresh token, then it is an error like any other. */
  private async call<T>(
    call: CallContext,
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    opts: { query?: Query; body?: unknown; retry?: boolean } = {},
  ): Promise<T> {
    const url = this.url(path, opts.query);
    let res: HttpResponse | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const token = await this.options.tokens.token(call.user);
      res = await this.options.http.request(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(opts.body !== undefined ? { "content-type": "application/json; charset=utf-8" } : {}),
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(opts.retry !== undefined ? { retry: opts.retry } : {}),
        noRetryStatuses: [401],
      });
      if (res.status !== 401 || attempt === 2) break;
      this.options.tokens.invalidate(call.user);
    }
    if (res!.status < 200 || res!.status > 299) throw classroomErrorOf(res!, call);
    if (res!.body.trim() === "") return {} as T;
    return parseJsonBody<T>(res!, `Classroom (${call.action})`);
  }

  /** Every page of a list call. */
  private async all<T>(call: CallContext, path: string, field: string, query: Query = {}): Promise<T[]> {
    const out: T[] = [];
    let pageToken: string | undefined;
    for (;;) {
      const page = await this.call<Record<string, unknown>>(call, "GET", path, {
        query: { ...query, pageSize: String(this.pageSize), pageToken },
      });
      const items = page[field];
      if (Array.isArray(items)) out.push(...(items as T[]));
      pageToken =
        typeof page.nextPageToken === "string" && page.nextPageToken !== "" ? page.nextPageToken : undefined;
      if (!pageToken) return out;
    }
  }

  private as(courseId: string, action: string, courseWorkId?: string): CallContext {
    return { action, user: this.teacherFor(courseId), courseId, ...(courseWorkId ? { courseWorkId } : {}) };
  }

  private static path(courseId: string, ...rest: string[]): string {
    return `/courses/${[courseId, ...rest].map(encodeURIComponent).join("/")}`;
  }

  // ---- courses, rosters, profiles -------------------------------------------------------------

  getCourse(courseId: string): Promise<Course> {
    return this.call(
      this.as(courseId, `read Classroom course ${courseId}`),
      "GET",
      ClassroomClient.path(courseId),
    );
  }

  /** The courses `user` teaches (all states unless given). */
  listTaughtCourses(user: string, states?: string[]): Promise<Course[]> {
    return this.all<Course>(
      { action: `list the Classroom courses ${user} teaches`, user },
      "/courses",
      "courses",
      {
        teacherId: "me",
        ...(states ? { courseStates: states } : {}),
      },
    );
  }

  profile(user: string): Promise<UserProfile> {
    return this.call({ action: `read the Classroom profile of ${user}`, user }, "GET", "/userProfiles/me");
  }

  listStudents(courseId: string): Promise<Array<{ userId: string; profile?: UserProfile }>> {
    return this.all(
      this.as(courseId, `read the roster of Classroom course ${courseId}`),
      ClassroomClient.path(courseId, "students"),
      "students",
    );
  }

  listTeachers(courseId: string): Promise<Array<{ userId: string; profile?: UserProfile }>> {
    return this.all(
      this.as(courseId, `read the teachers of Classroom course ${courseId}`),
      ClassroomClient.path(courseId, "teachers"),
      "teachers",
    );
  }

  // ---- course work ---------------------------------------------------------------------------

  listCourseWork(courseId: string, states: string[] = ["PUBLISHED", "DRAFT"]): Promise<CourseWork[]> {
    return this.all(
      this.as(courseId, `list the course work of Classroom course ${courseId}`),
      ClassroomClient.path(courseId, "courseWork"),
      "courseWork",
      { courseWorkStates: states },
    );
  }

  getCourseWork(courseId: string, id: string): Promise<CourseWork> {
    return this.call(
      this.as(courseId, `read course work ${id} of Classroom course ${courseId}`, id),
      "GET",
      ClassroomClient.path(courseId, "courseWork", id),
    );
  }

  /** Not idempotent: never resent on its own (a timed-out create must be looked up before trying again). */
  createCourseWork(courseId: string, body: Partial<CourseWork>): Promise<CourseWork> {
    return this.call(
      this.as(courseId, `create course work "${body.title ?? ""}" in Classroom course ${courseId}`),
      "POST",
      ClassroomClient.path(courseId, "courseWork"),
      {
        body,
        retry: false,
      },
    );
  }

  // ---- student submissions -------------------------------------------------------------------

  listSubmissions(
    courseId: string,
    courseWorkId: string,
    filter: { userId?: string; states?: SubmissionState[] } = {},
  ): Promise<StudentSubmission[]> {
    return this.all(
      this.as(
        courseId,
        `list the submissions of course work ${courseWorkId} in Classroom course ${courseId}`,
        courseWorkId,
      ),
      ClassroomClient.path(courseId, "courseWork", courseWorkId, "studentSubmissions"),
      "studentSubmissions",
      { userId: filter.userId, states: filter.states },
    );
  }

  /** Writes grade fields; idempotent, so retried like a GET. */
  patchGrades(
    courseId: string,
    courseWorkId: string,
    submissionId: string,
    grades: { draftGrade?: number; assignedGrade?: number },
    mask: Array<"draftGrade" | "assignedGrade">,
  ): Promise<StudentSubmission> {
    return this.call(
      this.as(
        courseId,
        `grade submission ${submissionId} of course work ${courseWorkId} in Classroom course ${courseId}`,
        courseWorkId,
      ),
      "PATCH",
      ClassroomClient.path(courseId, "courseWork", courseWorkId, "studentSubmissions", submissionId),
      { query: { updateMask: mask.join(",") }, body: grades, retry: true },
    );
  }

  /** Returns the work to the student (what releases the grade); 400 FAILED_PRECONDITION unless turned in. */
  returnSubmission(courseId: string, courseWorkId: string, submissionId: string): Promise<void> {
    return this.call(
      this.as(
        courseId,
        `return submission ${submissionId} of course work ${courseWorkId} in Classroom course ${courseId}`,
        courseWorkId,
      ),
      "POST",
      `${ClassroomClient.path(courseId, "courseWork", courseWorkId, "studentSubmissions", submissionId)}:return`,
      { body: {}, retry: true },
    );
  }
}
