/**
 * What differs between an LTI LMS and Google Classroom in the sandbox story: how content is
 * published, how learners reach Coursera (and take a license), and how the gradebook reads.
 */
import { publishThroughPicker } from "../../fixtures/fake-lms/instructor.js";
import { publishToClassroom } from "../core/classroom/publish.js";
import { refreshClassroomRosters } from "../core/classroom/roster.js";
import { courseraFor } from "../core/coursera.js";
import { requireRegistration } from "../core/lms.js";
import { pullPrograms } from "../core/programs.js";
import { currentTenant } from "../core/tenants.js";
import type { CourseRow, ItemRow } from "../store/courses.js";
import { SANDBOX_LEARNERS, type SandboxWorld } from "./world.js";

export interface GradebookRow {
  column: string;
  learner: string;
  score: number | null;
}

export interface SandboxSide {
  /** Lines for the first step. */
  describe(): string[];
  publishTitle: string;
  publish(
    program: { id: string; name: string },
    course: CourseRow,
    items: ItemRow[],
    gradeSync: string,
  ): Promise<{ links: number; columns: number; details: string[] }>;
  visitTitle: string;
  /** Every sandbox learner reaches the published content; returns how many visits. */
  visit(programId: string): Promise<number>;
  gradebook(): GradebookRow[];
  /** Accepted grade writes and student notifications so far. */
  counters(): { posts: number; notifications: number };
}

export function ltiSide(world: SandboxWorld): SandboxSide {
  const lms = world.lms!;
  const tool = world.tool!;
  let links: Array<{ id: string }> = [];
  return {
    describe: () => [`gg4l serve: ${tool.urls.loginUrl} (login), ${tool.urls.launchUrl} (launch)`],
    publishTitle: "An instructor publishes content through the picker (deep linking)",
    async publish(program, course) {
      const published = await publishThroughPicker(lms, {
        program: program.name,
        course: course.name,
        items: 2,
      });
      links = published.links;
      return {
        links: published.links.length,
        columns: published.lineItems.length,
        details: [
          `picker steps: ${published.headings.join(" → ")}`,
          `${published.links.length} link(s) and ${published.lineItems.length} gradebook column(s) created in the LMS`,
        ],
      };
    },
    visitTitle: "Learners open the links from the LMS (SSO) and take licenses",
    async visit() {
      let launches = 0;
      for (const learner of SANDBOX_LEARNERS) {
        const name = learner.email.split("@")[0]!.replace(".", " ");
        const user = lms.addUser({
          email: learner.email,
          name,
          contextId: lms.contextId,
          roles: ["Learner"],
        }).user;
        for (const link of links) {
          const launched = await lms.launch({ userId: user.id, contextId: lms.contextId, linkId: link.id });
          if (launched.status >= 400)
            throw new Error(`${learner.email}'s launch was refused: HTTP ${launched.status}`);
          launches += 1;
        }
      }
      return launches;
    },
    gradebook() {
      const emails = new Map([...lms.state.users.values()].map((u) => [u.id, u.email ?? u.id]));
      return lms.gradebook(lms.contextId).lineItems.flatMap((li) =>
        li.grades.map((g) => ({
          column: li.label,
          learner: emails.get(g.userId) ?? g.userId,
          score: g.scoreGiven,
        })),
      );
    },
    counters: () => ({ posts: lms.posts().length, notifications: lms.notifications().total }),
  };
}

export function classroomSide(world: SandboxWorld): SandboxSide {
  const classroom = world.classroom!;
  return {
    describe: () => [
      `Classroom course "${classroom.courseName}" taught by ${classroom.teacher} (impersonated by the service account)`,
    ],
    publishTitle: "A teacher publishes course work to Google Classroom (gg4l classroom publish)",
    async publish(program, course, courseItems, gradeSync) {
      const items = gradeSync === "assignment" ? courseItems.slice(0, 2) : [undefined];
      let columns = 0;
      const details: string[] = [];
      for (const item of items) {
        const result = await publishToClassroom(world.ctx, {
          classroomCourse: classroom.courseId,
          course: course.courseId,
          program: program.id,
          ...(item ? { item: item.itemId } : {}),
        });
        columns += result.columns.length;
        for (const c of result.columns)
          details.push(`course work "${c.title}" (${c.created ? "created" : "found"})`);
      }
      return { links: columns, columns, details };
    },
    visitTitle: "Learners open the course work link, join the program and take licenses",
    async visit(programId) {
      const { ctx } = world;
      const coursera = await courseraFor(ctx, currentTenant(ctx));
      for (const learner of SANDBOX_LEARNERS)
        await coursera.addMember(programId, { externalId: learner.email, email: learner.email });
      // What the daily sync would learn: the new members, and who they are in the Classroom roster.
      await pullPrograms(ctx);
      const { tenant, reg } = requireRegistration(ctx);
      const { HttpClient } = await import("../clients/http.js");
      await refreshClassroomRosters(ctx, tenant, reg, new HttpClient({ logger: ctx.logger }));
      return SANDBOX_LEARNERS.length;
    },
    gradebook() {
      return classroom
        .gradebook(classroom.courseId)
        .courseWork.flatMap((cw) =>
          cw.grades
            .filter((g) => g.assignedGrade !== null)
            .map((g) => ({ column: cw.title, learner: g.email ?? g.userId, score: g.assignedGrade })),
        );
    },
    counters: () => ({ posts: classroom.posts().length, notifications: classroom.notifications().length }),
  };
}
