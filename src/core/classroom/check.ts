/**
 * `gg4l lms check` for a google-classroom registration: the stored service-account key, a
 * delegated token for each teacher gg4l acts as, the teacher's profile, and per Classroom
 * course: the teacher really teaches it, the roster shows e-mails, which course work is gg4l's.
 */

import { GgError } from "../../base/errors.js";
import { maskSecret } from "../../base/redact.js";
import { ClassroomError } from "../../clients/classroom/errors.js";
import type { HttpClient } from "../../clients/http.js";
import { publishedClassroomCourses } from "../../store/classroom.js";
import type { LmsRegistrationRow } from "../../store/lms.js";
import type { TenantRow } from "../../store/tenants.js";
import type { LmsCheckResult, LmsCheckRow } from "../check-result.js";
import type { Context } from "../context.js";
import { classroomServicesFor, readClassroomKey } from "./index.js";

function failure(check: string, error: unknown, status: "fail" | "warn" = "fail"): LmsCheckRow {
  const row: LmsCheckRow = { check, status, message: (error as Error).message };
  if (error instanceof ClassroomError && error.googleMessage) row.lmsMessage = error.googleMessage;
  if (error instanceof GgError && error.hint) row.hint = error.hint;
  return row;
}

export async function checkClassroom(
  ctx: Context,
  tenant: TenantRow,
  reg: LmsRegistrationRow,
  opts: { courses?: string[]; http: HttpClient },
): Promise<LmsCheckResult> {
  const checks: LmsCheckRow[] = [];
  const result = (contextUrl: string | null): LmsCheckResult => ({
    tenant: tenant.slug,
    kind: reg.kind,
    issuer: reg.issuer,
    contextUrl,
    checks,
    ok: checks.every((c) => c.status !== "fail"),
  });
  try {
    const { key, path } = readClassroomKey(ctx.dbPath, tenant.slug);
    checks.push({
      check: "service-account-key",
      status: "pass",
      message: `${key.client_email} of project ${key.project_id} (key ${maskSecret(key.private_key_id)}), stored at ${path}`,
    });
  } catch (error) {
    checks.push(failure("service-account-key", error));
    return result(null);
  }
  let services: Awaited<ReturnType<typeof classroomServicesFor>>;
  try {
    services = await classroomServicesFor(ctx, tenant, reg, opts.http);
  } catch (error) {
    checks.push(failure("classroom-settings", error));
    return result(null);
  }
  const { client, tokens, settings } = services;
  const db = ctx.state().db;
  const courses = [
    ...new Set(
      opts.courses && opts.courses.length > 0
        ? opts.courses
        : [...publishedClassroomCourses(db, reg.id), ...settings.teachers.map((t) => t.courseId)],
    ),
  ];
  const users = [
    ...new Set(
      [settings.defaultTeacher, ...settings.teachers.map((t) => t.teacher)].filter((u): u is string => !!u),
    ),
  ];
  const usable = new Set<string>();
  for (const user of users) {
    try {
      await tokens.token(user);
      const profile = await client.profile(user);
      usable.add(user);
      checks.push({
        check: `token ${user}`,
        status: "pass",
        message: `Google issued a delegated token for ${tokens.scopes.length} scope(s); profile ${profile.name?.fullName ?? profile.id}`,
      });
    } catch (error) {
      checks.push(failure(`token ${user}`, error));
    }
  }
  if (courses.length === 0) {
    const user = settings.defaultTeacher;
    if (user && usable.has(user)) {
      try {
        const taught = await client.listTaughtCourses(user, ["ACTIVE"]);
        checks.push({
          check: "courses",
          status: taught.length > 0 ? "pass" : "warn",
          message: `${user} teaches ${taught.length} active Classroom course(s)${
            taught.length > 0
              ? `: ${taught
                  .slice(0, 5)
                  .map((c) => `${c.name} (${c.id})`)
                  .join(", ")}`
              : ""
          }`,
          ...(taught.length > 0
            ? {}
            : { hint: "gg4l can only grade courses its teacher teaches: pick another --teacher" }),
        });
      } catch (error) {
        checks.push(failure("courses", error));
      }
    }
    checks.push({
      check: "course-work",
      status: "skip",
      message:
        "no Classroom course published yet: pass --classroom-course <id>, or publish with `gg4l classroom publish`",
    });
    return result(null);
  }
  for (const courseId of courses) {
    let teacher: string;
    try {
      teacher = client.teacherFor(courseId);
    } catch (error) {
      checks.push(failure(`course ${courseId}`, error));
      continue;
    }
    if (!usable.has(teacher)) {
      checks.push({ check: `course ${courseId}`, status: "skip", message: `needs a token for ${teacher}` });
      continue;
    }
    try {
      const course = await client.getCourse(courseId);
      const profile = await client.profile(teacher);
      const teachers = await client.listTeachers(courseId);
      const teaches = teachers.some((t) => t.userId === profile.id);
      const active = course.courseState === undefined || course.courseState === "ACTIVE";
      checks.push(
        !teaches
          ? {
              check: `course ${courseId}`,
              status: "fail",
              message: `${teacher} can see "${course.name}" but does not teach it, so Classroom will refuse every course work and grade`,
              hint: `act as a teacher of the course: gg4l lms register --kind google-classroom … --course-teacher ${courseId}=<teacher e-mail>`,
            }
          : {
              check: `course ${courseId}`,
              status: active ? "pass" : "warn",
              message: `"${course.name}" (${course.courseState ?? "ACTIVE"}): ${teacher} teaches it`,
              ...(active
                ? {}
                : { hint: "an archived course takes no new course work or grades: restore it in Classroom" }),
            },
      );
      if (!teaches) continue;
    } catch (error) {
      checks.push(failure(`course ${courseId}`, error));
      continue;
    }
    try {
      const students = await client.listStudents(courseId);
      const withEmail = students.filter((s) => s.profile?.emailAddress).length;
      checks.push(
        students.length > 0 && withEmail === 0
          ? {
              check: `roster ${courseId}`,
              status: "warn",
              message: `${students.length} student(s), none with an e-mail: learners cannot be matched to Coursera`,
              hint: "delegate the classroom.profile.emails scope to the service account (Admin console → Security → API controls → Domain-wide delegation)",
            }
          : {
              check: `roster ${courseId}`,
              status: "pass",
              message: `${students.length} student(s), ${withEmail} with an e-mail`,
            },
      );
    } catch (error) {
      checks.push(failure(`roster ${courseId}`, error));
    }
    try {
      const work = await client.listCourseWork(courseId);
      const ours = work.filter((w) => w.associatedWithDeveloper === true);
      checks.push({
        check: `course-work ${courseId}`,
        status: "pass",
        message: `${work.length} course work item(s); ${ours.length} created by project ${settings.projectId} (gg4l can grade only those)`,
      });
    } catch (error) {
      checks.push(failure(`course-work ${courseId}`, error));
    }
  }
  const { containerRefOf } = await import("../../clients/classroom/gradebook.js");
  return result(courses.length === 1 ? containerRefOf(settings.apiUrl, courses[0]!) : null);
}
