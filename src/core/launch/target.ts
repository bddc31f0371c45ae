/**
 * What a launched link opens: the Coursera program, course and (Option A) item it was
 * published for — from the link row once known, else from the custom parameters the content
 * picker put on it — and the Coursera page to send the learner to.
 */
import { type CourseRow, listCourses, listItems } from "../../store/courses.js";
import type { Db } from "../../store/db.js";
import type { LinkRow } from "../../store/links.js";
import { gradeSyncOptions } from "../../store/lms.js";
import { programSummary } from "../../store/programs.js";
import type { TenantRow } from "../../store/tenants.js";
import { CUSTOM } from "./claims.js";
import { refuse } from "./errors.js";

export interface LaunchTarget {
  programId: string;
  programName: string;
  courseId: string;
  itemId: string | null;
  /** The grade-sync option the link was published under, when it says. */
  publishedUnder: string | null;
  /** The Coursera page the learner lands on. */
  url: string;
}

const REPUBLISH = "ask the instructor to add the content again with the gg4l content picker (deep linking)";
const ASK_ADMIN = (program: string) =>
  `Please tell your instructor; your institution's Coursera admin can fix it for the program "${program}".`;

export function courseraUrl(
  course: Pick<CourseRow, "courseId" | "slug" | "url">,
  itemId: string | null,
): string {
  const base = (
    course.url ?? `https://www.coursera.org/learn/${encodeURIComponent(course.slug ?? course.courseId)}`
  ).replace(/\/+$/, "");
  return itemId === null ? base : `${base}/item/${encodeURIComponent(itemId)}`;
}

export function resolveTarget(
  db: Db,
  tenant: TenantRow,
  link: LinkRow | undefined,
  custom: Record<string, string>,
): LaunchTarget {
  const programId = link?.programId ?? custom[CUSTOM.programId];
  const courseId = link?.courseId ?? custom[CUSTOM.courseId];
  const itemId = (link ? link.itemId : custom[CUSTOM.itemId]) || null;
  const published = link?.gradeSync ?? custom[CUSTOM.gradeSync];
  if (!programId || !courseId)
    refuse(
      404,
      "not-published",
      "this link was not published with gg4l, so it does not say which Coursera course it opens",
      REPUBLISH,
    );
  const program = programSummary(db, tenant.id, programId);
  if (!program || program.goneAt !== null)
    refuse(
      404,
      "unknown-program",
      `the link points at program ${programId}, which gg4l does not know (any more)`,
      `Please tell your instructor: they can ${REPUBLISH.replace(/^ask the instructor to /, "")}.`,
      `gg4l programs pull; otherwise ${REPUBLISH}`,
    );
  if (!program.active)
    refuse(
      403,
      "inactive-program",
      `the program "${program.name}" is not active`,
      ASK_ADMIN(program.name),
      `gg4l programs activate ${programId}`,
    );
  const course = listCourses(db, tenant.id, programId).find((c) => c.courseId === courseId);
  if (!course)
    refuse(
      404,
      "unknown-course",
      `course ${courseId} is not (any more) in the program "${program.name}"`,
      ASK_ADMIN(program.name),
      `gg4l courses refresh --all; otherwise ${REPUBLISH}`,
    );
  if (itemId !== null && !listItems(db, tenant.id, courseId).some((i) => i.itemId === itemId))
    refuse(
      404,
      "unknown-item",
      `item ${itemId} is not (any more) a gradable item of the course "${course.name}"`,
      REPUBLISH,
    );
  return {
    programId,
    programName: program.name,
    courseId,
    itemId,
    publishedUnder:
      published && (gradeSyncOptions as readonly string[]).includes(published) ? published : null,
    url: courseraUrl(course, itemId),
  };
}
