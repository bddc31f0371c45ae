/**
 * The Coursera Business API client: typed reads with paging, and writes (memberships,
 * invitations, program enrollments) that are sent again only after a re-check proves the
 * failed attempt did not apply.
 */
import { RemoteError } from "../../base/errors.js";
import { registerSecret } from "../../base/redact.js";
import {
  backoffDelay,
  defaultRetryPolicy,
  describeAnswer,
  HttpClient,
  type HttpRequest,
  type HttpResponse,
  parseJsonBody,
  parseRetryAfter,
  writeAnswer,
} from "../http.js";
import { apiError, authError, CourseraApiError, type ErrorContext, readErrorBody } from "./errors.js";
import { Paged } from "./paging.js";
import { CourseraTokenSource } from "./token.js";
import type {
  AddMemberResult,
  CourseGradebook,
  CourseraContent,
  CourseraOrg,
  CourseraProgram,
  CourseraUser,
  CourseWithItems,
  EnrollmentReport,
  EnrollmentReportFilter,
  GradableItem,
  GradebookFilter,
  Invitation,
  LearnerRef,
  ProgramEnrollment,
  ProgramMembership,
  RemoveMemberResult,
} from "./types.js";
import {
  ErrorCodes,
  MAX_PAGE_SIZE,
  paths,
  TOKEN_PATH,
  toContent,
  toEnrollmentReport,
  toGradebook,
  toInvitation,
  toMembership,
  toOrg,
  toProgram,
  toProgramEnrollment,
  toUser,
  type WireContent,
  type WireEnrollmentReport,
  type WireEnvelope,
  type WireGradebookReport,
  type WireInvitation,
  type WireMembership,
  type WireOrg,
  type WireProgram,
  type WireProgramEnrollment,
  type WireUser,
} from "./wire.js";

export interface CourseraClientOptions {
  /** `https://api.coursera.com/ent` (current) or `https://api.coursera.org` (legacy). */
  baseUrl: string;
  orgId: string;
  clientId: string;
  clientSecret: string;
  http?: HttpClient;
  /** Clock for token expiry (epoch ms). */
  now?: () => number;
  /** Label used in messages, e.g. "tenant uni-x". */
  tenant?: string;
  /** Defaults to `{origin of baseUrl}/oauth2/client_credentials/token`. */
  tokenUrl?: string;
  /** Elements per page, at most 1000. */
  pageSize?: number;
  /** Attempts for a write, counting the first. */
  writeAttempts?: number;
  /** Wait between write attempts (tests record it instead of waiting). */
  sleep?: (ms: number) => Promise<void>;
  onWriteRetry?: (info: { what: string; reason: string; delayMs: number; attempt: number }) => void;
  /**
   * The names the caller knows (from its state) for the ids a message quotes: a message then
   * says `program "Data Science" (78Ta…)`, the id kept for scripts and support.
   */
  names?: CourseraNames;
}

export interface CourseraNames {
  program(programId: string): string | undefined;
  course(courseId: string): string | undefined;
}

/** What a write attempt came to. */
type WriteStep<T> =
  | { done: T }
  | { failed: CourseraApiError | RemoteError; ambiguous: boolean; delayMs?: number };

interface WriteSpec<T> {
  ctx: ErrorContext;
  send: () => Promise<HttpResponse>;
  /** The 2xx result. */
  ok: (res: HttpResponse) => T;
  /** A refusal that still means "done" (ALREADY_MEMBER, NOT_MEMBER on remove, ...). */
  settled?: (errorCode: string | undefined, res: HttpResponse) => Promise<T | undefined>;
  /** After an ambiguous failure: the result if the write did apply, undefined if it did not. */
  recheck?: () => Promise<T | undefined>;
  /** Hint when an ambiguous failure cannot be re-checked. */
  unverifiableHint?: string;
}

const isAmbiguousStatus = (status: number) => status >= 500;

/** `"Data Science" (id)` when the name is known, else the id. */
function quoted(id: string, name: string | undefined): string {
  return name && name !== id ? `"${name}" (${id})` : id;
}

/** The network failed while a request was in flight (not while minting a token). */
class ConnectionLostError extends RemoteError {}

export class CourseraClient {
  readonly orgId: string;
  private readonly base: string;
  private readonly http: HttpClient;
  private readonly tokens: CourseraTokenSource;
  private readonly tenant: string;
  private readonly pageSize: number;
  private readonly writeAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onWriteRetry: CourseraClientOptions["onWriteRetry"];
  private readonly names: CourseraNames | undefined;

  constructor(opts: CourseraClientOptions) {
    registerSecret(opts.clientSecret);
    this.orgId = opts.orgId;
    this.base = opts.baseUrl.replace(/\/+$/, "");
    this.http = opts.http ?? new HttpClient();
    this.tenant = opts.tenant ?? `org ${opts.orgId}`;
    this.pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, opts.pageSize ?? MAX_PAGE_SIZE));
    this.writeAttempts = Math.max(1, opts.writeAttempts ?? 4);
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.onWriteRetry = opts.onWriteRetry;
    this.names = opts.names;
    this.tokens = new CourseraTokenSource({
      tokenUrl: opts.tokenUrl ?? new URL(TOKEN_PATH, `${this.base}/`).href,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      http: this.http,
      now: opts.now ?? Date.now,
      context: { tenant: this.tenant, orgId: opts.orgId },
    });
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  async getOrg(): Promise<CourseraOrg> {
    const ctx = this.ctx("reading the organization", { subject: "organization" });
    return toOrg(await this.getJson<WireOrg | WireEnvelope<WireOrg>>(this.url(paths.org(this.orgId)), ctx));
  }

  /** Every user of the organization, with the programs each is a member of. */
  users(): Paged<CourseraUser> {
    return this.list<WireUser, CourseraUser>(paths.users(this.orgId), {}, toUser, this.ctx("listing users"));
  }

  programs(): Paged<CourseraProgram> {
    return this.list<WireProgram, CourseraProgram>(
      paths.programs(this.orgId),
      { excludeContent: "true" },
      toProgram,
      this.ctx("listing programs"),
    );
  }

  /** Courses and specializations of the given programs (each once, with all its programIds). */
  contents(programIds: readonly string[]): Paged<CourseraContent> {
    return this.list<WireContent, CourseraContent>(
      paths.contents(this.orgId),
      { q: "byProgramIds", programIds: programIds.join(",") },
      toContent,
      this.ctx("listing program contents", {
        subject: `program among ${programIds.map((id) => quoted(id, this.names?.program(id))).join(", ")}`,
      }),
    );
  }

  /**
   * The gradable items of a course, read from its first gradebook row in any program (the
   * enterprise API has no other source of items); null when nobody has a row in it yet.
   */
  async courseItems(courseId: string): Promise<GradableItem[] | null> {
    const ctx = this.ctx(`reading the items of ${this.course(courseId)}`, { subject: this.course(courseId) });
    const url = this.url(paths.courseGradebookReports(this.orgId), {
      q: "search",
      courseId,
      start: "0",
      limit: "1",
    });
    const env = await this.getJson<WireEnvelope<WireGradebookReport>>(url, ctx);
    const first = elementsOf(env, ctx)[0];
    if (!first) return null;
    return toGradebook(first).items.map(({ grade: _grade, passed: _passed, ...item }) => item);
  }

  /** The courses of the given programs with their gradable items, `concurrency` item reads at a time. */
  async coursesWithItems(
    programIds: readonly string[],
    opts: { concurrency?: number } = {},
  ): Promise<CourseWithItems[]> {
    const courses: CourseWithItems[] = [];
    for await (const content of this.contents(programIds)) {
      if (content.type === "Course") courses.push({ ...content, items: null });
    }
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < courses.length; i = next++) {
        const course = courses[i]!;
        course.items = await this.courseItems(course.id);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker));
    return courses;
  }

  /**
   * Program memberships, read from the organization roster (`/users`, whose
   * `membershipProgramIds` is the observed source of membership). `joinedAt` is the user's
   * organization join time. Limit to `programIds` when given.
   */
  memberships(programIds?: readonly string[]): Paged<ProgramMembership> {
    const wanted = programIds ? new Set(programIds) : undefined;
    const ctx = this.ctx("listing program members");
    const path = paths.users(this.orgId);
    return new Paged(async (start, limit) => {
      const env = await this.getJson<WireEnvelope<WireUser>>(this.pageUrl(path, {}, start, limit), ctx);
      const users = elementsOf(env, ctx);
      const out: ProgramMembership[] = [];
      for (const user of users) {
        const ids = user.membershipProgramIds;
        if (!Array.isArray(ids)) continue;
        for (const programId of ids) {
          if (wanted && !wanted.has(programId)) continue;
          out.push({
            programId,
            externalId: user.externalId,
            email: user.email ?? null,
            fullName: user.fullName ?? null,
            state: user.membershipState ?? "MEMBER",
            joinedAt: toUser(user).joinedAt,
          });
        }
      }
      return { elements: out, paging: env.paging, wireCount: users.length };
    }, this.pageSize);
  }

  /** One learner's membership of a program, or null when they hold no license there. */
  async getMembership(programId: string, externalId: string): Promise<ProgramMembership | null> {
    const ctx = this.ctx(`reading a membership of ${this.program(programId)}`, {
      subject: this.program(programId),
      programId,
    });
    const res = await this.authed(this.url(paths.membership(this.orgId, programId, externalId)), {}, ctx);
    if (res.status === 404 && readErrorBody(res).errorCode === ErrorCodes.notMember) return null;
    if (res.status < 200 || res.status >= 300) throw apiError(res, ctx);
    return toMembership(parseJsonBody<WireMembership>(res, `Coursera ${ctx.what}`), programId);
  }

  enrollmentReports(filter: EnrollmentReportFilter = {}): Paged<EnrollmentReport> {
    const params: Record<string, string> = {};
    if (filter.programId && filter.externalId) {
      Object.assign(params, {
        q: "byUserProgramId",
        programId: filter.programId,
        externalId: filter.externalId,
      });
    } else if (filter.programId) {
      Object.assign(params, { q: "byProgramId", programId: filter.programId });
    } else if (filter.externalId) {
      throw new RemoteError("enrollment reports for one learner need the program id too");
    }
    if (filter.includeSpecializations) params.includeS12n = "true";
    if (filter.completedAfter !== undefined) params.completedAtAfter = String(filter.completedAfter);
    const ctx = this.ctx("reading enrollment reports", {
      subject: filter.programId ? this.program(filter.programId) : "enrollment report",
      programId: filter.programId,
    });
    return this.list<WireEnrollmentReport, EnrollmentReport>(
      paths.enrollmentReports(this.orgId),
      params,
      toEnrollmentReport,
      ctx,
    );
  }

  /** Learner × course gradebook rows with item grades. Needs at least one filter. */
  gradebooks(filter: GradebookFilter): Paged<CourseGradebook> {
    const params: Record<string, string> = { q: "search" };
    if (filter.programId) params.programId = filter.programId;
    if (filter.courseId) params.courseId = filter.courseId;
    if (filter.emailOrExternalId) params.emailOrExternalId = filter.emailOrExternalId;
    if (Object.keys(params).length === 1) {
      throw new RemoteError("gradebook reports need a program id, a course id or a learner");
    }
    if (filter.includeDeletedMembers) params.includeDeletedMembers = "true";
    const subject = filter.courseId
      ? this.course(filter.courseId)
      : filter.programId
        ? this.program(filter.programId)
        : "learner";
    const ctx = this.ctx("reading gradebook reports", { subject, programId: filter.programId });
    return this.list<WireGradebookReport, CourseGradebook>(
      paths.courseGradebookReports(this.orgId),
      params,
      toGradebook,
      ctx,
    );
  }

  // ------------------------------------------------------------------------------------------
  // Writes

  /** Give a learner a license in a program. Refused with NO_AVAILABLE_LICENSES at the cap. */
  async addMember(programId: string, learner: LearnerRef, opts: { sendWelcomeEmail?: boolean } = {}) {
    const ctx = this.ctx(`adding a member to ${this.program(programId)}`, {
      subject: this.program(programId),
      programId,
    });
    const fallback = (state: string): ProgramMembership => ({
      programId,
      externalId: learner.externalId,
      email: learner.email ?? null,
      fullName: learner.fullName ?? null,
      state,
      joinedAt: null,
    });
    const body = JSON.stringify({
      externalId: learner.externalId,
      email: learner.email,
      fullName: learner.fullName,
      sendWelcomeEmail: opts.sendWelcomeEmail ?? false,
    });
    return this.write<AddMemberResult>({
      ctx,
      send: () => this.authed(this.url(paths.memberships(this.orgId, programId)), jsonPost(body), ctx),
      ok: (res) => ({
        outcome: "added",
        membership: res.body.trim()
          ? toMembership(parseJsonBody<WireMembership>(res, `Coursera ${ctx.what}`), programId)
          : fallback("MEMBER"),
      }),
      settled: async (code) =>
        code === ErrorCodes.alreadyMember
          ? {
              outcome: "already-member",
              membership: (await this.getMembership(programId, learner.externalId)) ?? fallback("MEMBER"),
            }
          : undefined,
      recheck: async () => {
        const membership = await this.getMembership(programId, learner.externalId);
        return membership ? { outcome: "confirmed", membership } : undefined;
      },
    });
  }

  /** Remove a learner from a program, freeing their license. */
  async removeMember(programId: string, externalId: string): Promise<RemoveMemberResult> {
    const ctx = this.ctx(`removing a member from ${this.program(programId)}`, {
      subject: this.program(programId),
      programId,
    });
    const url = this.url(paths.membership(this.orgId, programId, externalId));
    return this.write<RemoveMemberResult>({
      ctx,
      send: () => this.authed(url, { method: "DELETE", retry: false }, ctx),
      ok: () => ({ outcome: "removed" }),
      settled: async (code) => (code === ErrorCodes.notMember ? { outcome: "not-member" } : undefined),
      recheck: async () =>
        (await this.getMembership(programId, externalId)) === null ? { outcome: "removed" } : undefined,
    });
  }

  /** Ask Coursera to e-mail a program invitation. Re-invitations are deduplicated by Coursera. */
  async invite(
    programId: string,
    learner: LearnerRef,
    opts: { sendEmail?: boolean } = {},
  ): Promise<Invitation> {
    const ctx = this.ctx(`inviting a learner to ${this.program(programId)}`, {
      subject: this.program(programId),
      programId,
    });
    const body = JSON.stringify({
      externalId: learner.externalId,
      email: learner.email,
      fullName: learner.fullName,
      sendEmail: opts.sendEmail ?? true,
    });
    return this.write<Invitation>({
      ctx,
      send: () => this.authed(this.url(paths.invitations(this.orgId, programId)), jsonPost(body), ctx),
      ok: (res) => toInvitation(parseJsonBody<WireInvitation>(res, `Coursera ${ctx.what}`), programId),
      unverifiableHint:
        "the invitation may or may not have been sent (there is no way to check); Coursera deduplicates re-invitations, so running the command again is safe",
    });
  }

  /** Enroll a member in (or unenroll them from) a course or specialization of the program. */
  async setProgramEnrollment(
    programId: string,
    req: {
      externalId: string;
      contentId: string;
      contentType?: "Course" | "Specialization";
      action: "ENROLL" | "UNENROLL";
    },
  ): Promise<ProgramEnrollment> {
    const ctx = this.ctx(
      `${req.action === "ENROLL" ? "enrolling" : "unenrolling"} a learner in ${this.program(programId)}`,
      {
        subject: this.program(programId),
        programId,
      },
    );
    const contentType = req.contentType ?? "Course";
    const body = JSON.stringify({
      externalId: req.externalId,
      contentType,
      contentId: req.contentId,
      action: req.action,
    });
    const state = req.action === "ENROLL" ? "ENROLLED" : "UNENROLLED";
    const settledResult: ProgramEnrollment = {
      programId,
      externalId: req.externalId,
      contentId: req.contentId,
      contentType,
      state,
      enrolledAt: null,
    };
    const dedupeCode = req.action === "ENROLL" ? ErrorCodes.alreadyEnrolled : ErrorCodes.notEnrolled;
    return this.write<ProgramEnrollment>({
      ctx,
      send: () => this.authed(this.url(paths.programEnrollments(this.orgId, programId)), jsonPost(body), ctx),
      ok: (res) =>
        res.body.trim()
          ? toProgramEnrollment(parseJsonBody<WireProgramEnrollment>(res, `Coursera ${ctx.what}`), programId)
          : settledResult,
      settled: async (code) => (code === dedupeCode ? settledResult : undefined),
      recheck: async () => {
        let enrolled = false;
        for await (const row of this.enrollmentReports({ programId, externalId: req.externalId })) {
          if (row.contentId === req.contentId) enrolled = true;
        }
        return enrolled === (req.action === "ENROLL") ? settledResult : undefined;
      },
    });
  }

  // ------------------------------------------------------------------------------------------
  // Plumbing

  private ctx(what: string, extra: Partial<ErrorContext> = {}): ErrorContext {
    const ctx: ErrorContext = { what, tenant: this.tenant, orgId: this.orgId, ...extra };
    if (ctx.programId) ctx.program = this.program(ctx.programId);
    return ctx;
  }

  /** `program "Data Science" (id)` when the caller knows its name, else `program id`. */
  private program(programId: string): string {
    return `program ${quoted(programId, this.names?.program(programId))}`;
  }

  private course(courseId: string): string {
    return `course ${quoted(courseId, this.names?.course(courseId))}`;
  }

  private url(path: string, params?: Record<string, string>): string {
    const query = params ? new URLSearchParams(params).toString() : "";
    return query ? `${this.base}${path}?${query}` : `${this.base}${path}`;
  }

  private pageUrl(path: string, params: Record<string, string>, start: number, limit: number): string {
    return this.url(path, { ...params, start: String(start), limit: String(limit) });
  }

  private list<W, T>(
    path: string,
    params: Record<string, string>,
    map: (w: W) => T,
    ctx: ErrorContext,
  ): Paged<T> {
    return new Paged(async (start, limit) => {
      const env = await this.getJson<WireEnvelope<W>>(this.pageUrl(path, params, start, limit), ctx);
      const wire = elementsOf(env, ctx);
      const elements = new Array<T>(wire.length);
      for (let i = 0; i < wire.length; i++) elements[i] = map(wire[i]!);
      return { elements, paging: env.paging };
    }, this.pageSize);
  }

  private async getJson<T>(url: string, ctx: ErrorContext): Promise<T> {
    const res = await this.authed(url, {}, ctx);
    if (res.status < 200 || res.status >= 300) throw apiError(res, ctx);
    return parseJsonBody<T>(res, `Coursera ${ctx.what}`);
  }

  /** Send with the cached token; on 401/403 mint a fresh one and send once more. */
  private async authed(url: string, req: HttpRequest, ctx: ErrorContext): Promise<HttpResponse> {
    const token = await this.tokens.get();
    const res = await this.send(url, withAuth(req, token));
    if (res.status !== 401 && res.status !== 403) return res;
    this.tokens.invalidate(token);
    const again = await this.send(url, withAuth(req, await this.tokens.get()));
    if (again.status === 401 || again.status === 403) throw authError(again, ctx);
    return again;
  }

  /** The request itself, marking a lost connection apart from a failed token mint. */
  private async send(url: string, req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.http.request(url, req);
    } catch (error) {
      if (error instanceof RemoteError && error.status === undefined) {
        throw new ConnectionLostError(error.message, { hint: error.hint, cause: error });
      }
      throw error;
    }
  }

  private async write<T>(spec: WriteSpec<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const step = await this.attempt(spec);
      if ("done" in step) return step.done;
      if (step.ambiguous) {
        if (!spec.recheck) throw withHint(step.failed, spec.unverifiableHint);
        const applied = await spec.recheck();
        if (applied !== undefined) return applied;
      }
      if (attempt >= this.writeAttempts) throw step.failed;
      const delayMs = Math.min(
        defaultRetryPolicy.maxDelayMs,
        step.delayMs ?? backoffDelay(attempt, defaultRetryPolicy),
      );
      this.onWriteRetry?.({ what: spec.ctx.what, reason: step.failed.message, delayMs, attempt });
      await this.sleep(delayMs);
    }
  }

  private async attempt<T>(spec: WriteSpec<T>): Promise<WriteStep<T>> {
    let res: HttpResponse;
    try {
      res = await spec.send();
    } catch (error) {
      // The connection failed mid-request: the write may or may not have reached Coursera.
      if (error instanceof ConnectionLostError) return { failed: error, ambiguous: true };
      throw error;
    }
    if (res.status >= 200 && res.status < 300) {
      // Coursera acknowledges a write with JSON or nothing; a proxy's 2xx page is no proof it
      // arrived, so the write is unsettled: recheck it where we can, else fail it.
      if (writeAnswer(res).kind === "other")
        return {
          failed: new RemoteError(
            `Coursera did not acknowledge ${spec.ctx.what} (${describeAnswer(res)}; expected JSON or an empty answer)`,
            {
              status: res.status,
              errorCode: "unacknowledged",
              hint: "a proxy, login or maintenance page may stand in front of the Coursera API: check the configured base URL",
            },
          ),
          ambiguous: true,
        };
      return { done: spec.ok(res) };
    }
    const settled = await spec.settled?.(readErrorBody(res).errorCode, res);
    if (settled !== undefined) return { done: settled };
    const failed = apiError(res, spec.ctx);
    // A 429 is a refusal before any work: safe to send again after the delay it asks for.
    if (res.status === 429)
      return { failed, ambiguous: false, delayMs: parseRetryAfter(res.headers["retry-after"]) };
    if (isAmbiguousStatus(res.status)) return { failed, ambiguous: true };
    throw failed;
  }
}

function withAuth(req: HttpRequest, token: string): HttpRequest {
  return {
    ...req,
    headers: { ...req.headers, authorization: `Bearer ${token}`, accept: "application/json" },
  };
}

function jsonPost(body: string): HttpRequest {
  return { method: "POST", headers: { "content-type": "application/json" }, body, retry: false };
}

function elementsOf<W>(env: WireEnvelope<W>, ctx: ErrorContext): W[] {
  if (!env || !Array.isArray(env.elements)) {
    throw new RemoteError(`Coursera answered ${ctx.what} without an "elements" array`, {
      hint: "check the configured Coursera base URL (it should end in /ent or be the legacy API host)",
    });
  }
  return env.elements;
}

function withHint(error: RemoteError, hint: string | undefined): RemoteError {
  if (!hint) return error;
  const Ctor = error instanceof CourseraApiError ? CourseraApiError : RemoteError;
  return new Ctor(error.message, {
    status: error.status,
    errorCode: error.errorCode,
    details: error.details,
    exitCode: error.exitCode,
    hint,
    cause: error,
  });
}
