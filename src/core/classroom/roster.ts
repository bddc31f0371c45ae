/**
 * Classroom learners: the rosters of the Classroom courses gg4l published into, each student
 * matched to a Coursera learner by e-mail (the learner's externalId — by default the e-mail —
 * or their Coursera e-mail), and a diagnosis for every student or learner left unmatched.
 */

import { ConfigError } from "../../base/errors.js";
import type { HttpClient } from "../../clients/http.js";
import {
  learnersNamed,
  membersMissingFromRosters,
  publishedClassroomCourses,
  type RosterRow,
  rosterEntriesOfLearner,
  rosterRows,
  saveClassroomRoster,
} from "../../store/classroom.js";
import { findRegistrationByTenant, type LmsRegistrationRow } from "../../store/lms.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";
import { requireRegistration } from "../lms.js";
import { classroomServicesFor, isClassroom } from "./index.js";

/** Reads the rosters of the published Classroom courses (or `only`) and records the matches. */
export async function refreshClassroomRosters(
  ctx: Context,
  tenant: TenantRow,
  reg: LmsRegistrationRow,
  http: HttpClient,
  only?: string[],
): Promise<{ contexts: number; matched: number }> {
  const { db } = ctx.state();
  const courses = only ?? publishedClassroomCourses(db, reg.id);
  if (courses.length === 0) return { contexts: 0, matched: 0 };
  const { client } = await classroomServicesFor(ctx, tenant, reg, http);
  let matched = 0;
  let students = 0;
  let noEmail = 0;
  for (const courseId of courses) {
    const roster = await client.listStudents(courseId);
    const rows = roster.map((s) => ({
      userId: s.userId,
      email: s.profile?.emailAddress ?? null,
      name: s.profile?.name?.fullName ?? null,
    }));
    noEmail += rows.filter((r) => r.email === null).length;
    const saved = saveClassroomRoster(db, reg.id, tenant.id, courseId, rows, ctx.now().toISOString());
    matched += saved.matched;
    students += saved.students;
  }
  ctx.logger.info(
    `Read ${courses.length} Classroom roster(s): ${matched} of ${students} student(s) matched to Coursera learners by e-mail`,
  );
  if (noEmail > 0) {
    ctx.logger.warn(
      `${noEmail} Classroom student(s) came without an e-mail: delegate the classroom.profile.emails scope to the service account`,
    );
  }
  return { contexts: courses.length, matched };
}

export type MatchStatus = "matched" | "no-email" | "no-coursera-learner";

export interface RosterStudentView {
  classroomCourseId: string;
  userId: string;
  email: string | null;
  name: string | null;
  status: MatchStatus;
  externalId: string | null;
  /** Why the student is not matched, and what to do. */
  diagnosis: string | null;
  seenAt: string;
}

export interface RosterView {
  tenant: string;
  refreshed: boolean;
  courses: string[];
  students: RosterStudentView[];
  counts: { students: number; matched: number; unmatched: number };
  /** Coursera program members found in no stored Classroom roster. */
  missingLearners: Array<{ externalId: string; email: string | null; programs: string[]; diagnosis: string }>;
}

function diagnoseStudent(row: RosterRow): { status: MatchStatus; diagnosis: string | null } {
  if (row.externalId) return { status: "matched", diagnosis: null };
  if (!row.email) {
    return {
      status: "no-email",
      diagnosis:
        "Classroom shared no e-mail for this student, so gg4l cannot match them: delegate the classroom.profile.emails scope to the service account",
    };
  }
  return {
    status: "no-coursera-learner",
    diagnosis: `no Coursera learner of this tenant has ${row.email} as externalId or e-mail: the student has not joined the program (no license) — or uses another e-mail on Coursera; if they joined recently, run \`gg4l programs pull\``,
  };
}

export const NOT_IN_ROSTER =
  "not in any Classroom roster gg4l read under this e-mail: add the student to the Classroom course with the e-mail they use on Coursera (grades are sent only to roster students), then run `gg4l classroom roster --refresh`";

export function studentView(row: RosterRow): RosterStudentView {
  return { ...row, ...diagnoseStudent(row) };
}

/** `gg4l classroom roster`: every roster student with their match, and the members no roster has. */
export async function showClassroomRoster(
  ctx: Context,
  opts: { classroomCourse?: string; refresh?: boolean; http?: HttpClient },
): Promise<RosterView> {
  const { tenant, reg } = requireRegistration(ctx);
  if (!isClassroom(reg)) {
    throw new ConfigError(`tenant "${tenant.slug}" is registered with ${reg.kind}, not Google Classroom`, {
      hint: "`gg4l classroom` commands are for a google-classroom registration; LTI rosters come over NRPS (gg4l learners show)",
    });
  }
  const { db } = ctx.state();
  if (opts.refresh) {
    const http = opts.http ?? new (await import("../../clients/http.js")).HttpClient({ logger: ctx.logger });
    await refreshClassroomRosters(
      ctx,
      tenant,
      reg,
      http,
      opts.classroomCourse ? [opts.classroomCourse] : undefined,
    );
  }
  const students = rosterRows(db, reg.id, opts.classroomCourse).map(studentView);
  const matched = students.filter((s) => s.status === "matched").length;
  const missing = opts.classroomCourse ? [] : membersMissingFromRosters(db, reg.id, tenant.id);
  return {
    tenant: tenant.slug,
    refreshed: Boolean(opts.refresh),
    courses: [...new Set(students.map((s) => s.classroomCourseId))],
    students,
    counts: { students: students.length, matched, unmatched: students.length - matched },
    missingLearners: missing.map((m) => ({
      externalId: m.externalId,
      email: m.email,
      programs: m.programs.split(","),
      diagnosis: NOT_IN_ROSTER,
    })),
  };
}

export interface LearnerClassroomMatch {
  status: "matched" | "not-in-roster";
  entries: Array<{ classroomCourseId: string; userId: string; email: string | null; matched: boolean }>;
  diagnosis: string | null;
}

/** A Coursera learner's Classroom match, for `learners show` (null when the tenant is not on Classroom). */
export function learnerClassroomMatch(
  ctx: Context,
  tenant: TenantRow,
  learner: { externalId: string; email: string | null },
): LearnerClassroomMatch | null {
  const { db } = ctx.state();
  const reg = findRegistrationByTenant(db, tenant.id);
  if (!reg || !isClassroom(reg)) return null;
  const entries = rosterEntriesOfLearner(db, reg.id, learner).map((r) => ({
    classroomCourseId: r.classroomCourseId,
    userId: r.userId,
    email: r.email,
    matched: r.externalId === learner.externalId,
  }));
  if (entries.some((e) => e.matched)) return { status: "matched", entries, diagnosis: null };
  const homonyms =
    entries.length > 0 && entries[0]!.email ? learnersNamed(db, tenant.id, entries[0]!.email) : [];
  return {
    status: "not-in-roster",
    entries,
    diagnosis:
      homonyms.length > 1
        ? `the Classroom e-mail matches several Coursera learners (${homonyms.join(", ")}): gg4l matched it to ${homonyms[0]}`
        : NOT_IN_ROSTER,
  };
}
