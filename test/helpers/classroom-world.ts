/**
 * A whole Classroom integration for tests: the fake Coursera (small dataset), the fake
 * Classroom whose seeded course holds some program members (by their Coursera e-mail) and a
 * stranger, and a gg4l state with the tenant registered as google-classroom and an active
 * program whose courses are refreshed.
 */

import Database from "better-sqlite3";
import {
  type FakeClassroom,
  type StartFakeClassroomOptions,
  startFakeClassroom,
} from "../../fixtures/fake-classroom/index.js";
import type { FakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { tenantAddArgs } from "../../fixtures/fake-coursera/tenant.js";
import { baseWorld } from "./base-world.js";
import { parseJson, type RunResult, type sandboxState } from "./gg4l.js";
import { gradeInput } from "./grades.js";
import { type Course, programCourses } from "./program-courses.js";

export interface ClassroomWorldOptions {
  gradeSync: "assignment" | "course" | "final";
  program?: string;
  /** How many program members are Classroom students (default 3). */
  students?: number;
  fake?: Omit<StartFakeClassroomOptions, "students" | "keyFile">;
}

export type { Course } from "./program-courses.js";

export interface ClassroomWorld {
  coursera: FakeCoursera;
  classroom: FakeClassroom;
  box: ReturnType<typeof sandboxState>;
  keyFile: string;
  programId: string;
  courses: Course[];
  /** Program members enrolled in the Classroom course (their Coursera externalId = e-mail). */
  students: string[];
  /** A Classroom student who is no Coursera learner. */
  stranger: string;
  gg4l(args: string[], env?: Record<string, string>): Promise<RunResult>;
  ok(args: string[]): Promise<RunResult>;
  /** The Classroom user id of a student. */
  userId(email: string): string;
  setGrade(
    externalId: string,
    courseId: string,
    grades: { items?: Record<string, number | null>; course?: number; completed?: boolean },
  ): void;
  /** The grade Classroom holds for a student on the course work with this title (assigned, draft). */
  gradeOf(
    email: string,
    title: string,
  ): { assignedGrade: number | null; draftGrade: number | null; state: string } | undefined;
  db(): Database.Database;
  close(): Promise<void>;
}

/** A course of the program with two or more gradable items. */
export const gradedCourse = (w: ClassroomWorld): Course => w.courses.find((c) => c.items.length >= 2)!;

export async function classroomWorld(opts: ClassroomWorldOptions): Promise<ClassroomWorld> {
  const { coursera, box, gg4l, ok } = await baseWorld();
  const added = await box.gg4l(tenantAddArgs(coursera, "uni", "Uni"), { input: coursera.clientSecret });
  if (added.code !== 0) throw new Error(added.stderr);
  const programName = opts.program ?? "Data Science";
  const program = coursera.control.store.programs.find((p: { name: string }) => p.name === programName) as {
    id: string;
  };
  const members = coursera.control.members(program.id).filter((m) => !m.isTest);
  const students = members.slice(0, opts.students ?? 3).map((m) => m.externalId);
  const stranger = "not.on.coursera@school.test";
  const keyFile = `${box.dir}/service-account.json`;
  const classroom = await startFakeClassroom({ ...opts.fake, students: [...students, stranger], keyFile });
  await ok(["lms", "register", ...classroom.registerArgs(keyFile, opts.gradeSync)]);
  await ok(["programs", "pull"]);
  await ok(["programs", "activate", programName]);
  await ok(["courses", "refresh", "--all"]);
  const programId = parseJson<{ id: string }>(await ok(["programs", "show", programName, "--json"])).id;
  const db = new Database(box.db);
  const courses = programCourses(db, programId);
  return {
    coursera,
    classroom,
    box,
    keyFile,
    programId,
    courses,
    students,
    stranger,
    gg4l,
    ok,
    db: () => db,
    userId(email) {
      const user = classroom.state.userByEmail(email);
      if (!user) throw new Error(`no Classroom user ${email}`);
      return user.id;
    },
    setGrade(externalId, courseId, grades) {
      coursera.control.setGrades([gradeInput(externalId, courseId, programId, grades)]);
    },
    gradeOf(email, title) {
      // gg4l names an item's course work "<course> — <item>": an item's name alone finds it too.
      const cw = classroom
        .gradebook()
        .courseWork.find(
          (w) => (w.title === title || w.title.endsWith(` — ${title}`)) && w.state !== "DELETED",
        );
      const g = cw?.grades.find((x) => x.email === email);
      return g ? { assignedGrade: g.assignedGrade, draftGrade: g.draftGrade, state: g.state } : undefined;
    },
    async close() {
      db.close();
      box.cleanup();
      await classroom.close();
      await coursera.close();
    },
  };
}
