/**
 * A whole integration for sync tests: the fake Coursera (small dataset), a fake LMS of one
 * personality, and a gg4l state with the tenant, its LMS registration and an active program
 * whose courses are refreshed. `launch` records what a learner's launch of a link tells gg4l.
 */

import Database from "better-sqlite3";
import type { FakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { tenantAddArgs } from "../../fixtures/fake-coursera/tenant.js";
import { lmsRegisterArgs } from "../../fixtures/fake-lms/registration.js";
import { type FakeLms, type StartFakeLmsOptions, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { baseWorld } from "./base-world.js";
import { parseJson, type RunResult, type sandboxState } from "./gg4l.js";
import { gradeInput } from "./grades.js";
import { type Course, programCourses } from "./program-courses.js";

export type LmsKind = "moodle" | "canvas" | "blackboard" | "d2l" | "schoology" | "buzz";

export interface WorldOptions {
  kind?: LmsKind;
  gradeSync: "assignment" | "course" | "final";
  program?: string;
  /** More options for the fake LMS (its clock, say). */
  lms?: Partial<StartFakeLmsOptions>;
}

export type { Course } from "./program-courses.js";

export interface World {
  coursera: FakeCoursera;
  lms: FakeLms;
  box: ReturnType<typeof sandboxState>;
  programId: string;
  courses: Course[];
  members: string[];
  gg4l(args: string[], env?: Record<string, string>): Promise<RunResult>;
  ok(args: string[]): Promise<RunResult>;
  /** The LMS user (sub) of a Coursera learner, enrolled in the seeded context. */
  lmsUser(externalId: string): string;
  /** Publish a link in the seeded context to a course (or one of its items). */
  publish(target: { courseId: string; itemId?: string }): { linkId: string; lineitemUrl: string | null };
  /** A learner opens a published link: what gg4l serve records on a launch. */
  launch(
    externalId: string,
    link: { linkId: string; lineitemUrl: string | null },
    target: { courseId: string; itemId?: string },
  ): void;
  setGrade(
    externalId: string,
    courseId: string,
    grades: { items?: Record<string, number | null>; course?: number; completed?: boolean },
  ): void;
  close(): Promise<void>;
}

export async function syncWorld(opts: WorldOptions): Promise<World> {
  const { coursera, box, gg4l, ok, toolPublicJwk } = await baseWorld();
  const lms = await startFakeLms({ kind: opts.kind ?? "moodle", toolPublicJwk, ...opts.lms });
  const r = await box.gg4l(tenantAddArgs(coursera, "uni", "Uni"), { input: coursera.clientSecret });
  if (r.code !== 0) throw new Error(r.stderr);
  await ok(lmsRegisterArgs(lms, opts.gradeSync));
  await ok(["programs", "pull"]);
  const program = opts.program ?? "Data Science";
  await ok(["programs", "activate", program]);
  await ok(["courses", "refresh", "--all"]);
  const programId = parseJson<{ id: string }>(await ok(["programs", "show", program, "--json"])).id;
  const db = new Database(box.db);
  const courses = programCourses(db, programId);
  const members = coursera.control.members(programId).map((m) => m.externalId);
  const registrationId = (db.prepare("SELECT id FROM lms_registrations").get() as { id: number }).id;
  const tenantId = (db.prepare("SELECT id FROM tenants").get() as { id: number }).id;
  const subs = new Map<string, string>();
  const contextId = lms.contextId;
  const lmsUser = (externalId: string) => {
    let sub = subs.get(externalId);
    if (!sub) {
      sub = lms.addUser({ email: externalId, name: externalId.split("@")[0], contextId, roles: ["Learner"] })
        .user.id;
      subs.set(externalId, sub);
    }
    return sub;
  };
  return {
    coursera,
    lms,
    box,
    programId,
    courses,
    members,
    gg4l,
    ok,
    lmsUser,
    publish(target) {
      const needsLineItem = opts.gradeSync !== "course";
      const link = lms.addLink({
        contextId,
        title: target.itemId ?? target.courseId,
        custom: {
          coursera_course: target.courseId,
          ...(target.itemId ? { coursera_item: target.itemId } : {}),
        },
        ...(needsLineItem
          ? { lineItem: { scoreMaximum: 100, resourceId: target.itemId ?? target.courseId, tag: "coursera" } }
          : {}),
      });
      return { linkId: link.link.id, lineitemUrl: link.lineItem?.id ?? null };
    },
    launch(externalId, link, target) {
      const sub = lmsUser(externalId);
      const now = new Date().toISOString();
      db.transaction(() => {
        db.prepare(
          `INSERT INTO links (registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, lineitem_url,
             lineitems_url, created_at, program_id, course_id, item_id, nrps_url, connected_at, last_launch_at)
           VALUES (@reg, @ctx, @rl, @kind, @target, @option, @li, @lis, @now, @program, @course, @item, @nrps, @now, @now)
           ON CONFLICT(registration_id, resource_link_id) DO UPDATE SET last_launch_at = excluded.last_launch_at`,
        ).run({
          reg: registrationId,
          ctx: contextId,
          rl: link.linkId,
          kind: target.itemId ? "item" : "course",
          target: target.itemId ?? target.courseId,
          option: opts.gradeSync,
          li: link.lineitemUrl,
          lis: lms.lineitemsUrl,
          now,
          program: programId,
          course: target.courseId,
          item: target.itemId ?? null,
          nrps: lms.membershipsUrl,
        });
        db.prepare(
          `INSERT INTO launches (tenant_id, external_id, lms_sub, context_id, resource_link_id, program_id, course_id, item_id, launched_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          tenantId,
          externalId,
          sub,
          contextId,
          link.linkId,
          programId,
          target.courseId,
          target.itemId ?? null,
          now,
        );
        db.prepare(
          `INSERT INTO lms_users (registration_id, sub, external_id, email, name, source, first_seen_at, last_launch_at)
           VALUES (?, ?, ?, ?, NULL, 'launch', ?, ?) ON CONFLICT DO NOTHING`,
        ).run(registrationId, sub, externalId, externalId, now, now);
      })();
    },
    setGrade(externalId, courseId, grades) {
      coursera.control.setGrades([gradeInput(externalId, courseId, programId, grades)]);
    },
    async close() {
      db.close();
      box.cleanup();
      await lms.close();
      await coursera.close();
    },
  };
}
