/**
 * `gg4l classroom publish`: Classroom has no LTI launches, so gg4l creates the gradebook
 * columns itself — a course work per gradable item (Option A and B) or one per course (final),
 * linking to the Coursera course or item — and records each as a connected link the sync
 * posts through. Idempotent: gg4l's own course work is found (by id, then by its marker)
 * before anything is created.
 */

import { ConfigError, NotFoundError, UsageError } from "../../base/errors.js";
import { ClassroomError } from "../../clients/classroom/errors.js";
import type { ClassroomGradebook } from "../../clients/classroom/gradebook.js";
import type { CourseWork } from "../../clients/classroom/types.js";
import type { HttpClient } from "../../clients/http.js";
import {
  findPublishedCourseWork,
  recordItemColumn,
  recordPublishedCourseWork,
  savePublishedLink,
} from "../../store/classroom.js";
import { type ItemRow, listCourses, listItems } from "../../store/courses.js";
import { columnLabel } from "../../store/plan.js";
import { listProgramSummaries } from "../../store/programs.js";
import type { Context } from "../context.js";
import { resolveCourse } from "../courses.js";
import type { ColumnSpec, GradebookColumn } from "../gradebook.js";
import { requireRegistration } from "../lms.js";
import { resolveProgram } from "../programs.js";
import { classroomServicesFor, columnDetailsFor, isClassroom } from "./index.js";

export interface ClassroomPublishInput {
  classroomCourse: string;
  course: string;
  item?: string;
  program?: string;
}

export interface PublishedColumn {
  courseId: string;
  itemId: string | null;
  title: string;
  courseWorkId: string;
  /** The column reference the sync posts to (the link's lineitem_url, or an Option B line item). */
  columnRef: string;
  created: boolean;
  link: string | null;
  resourceLinkId: string;
}

export interface ClassroomPublishResult {
  tenant: string;
  gradeSync: string;
  classroomCourse: { id: string; name: string; teacher: string };
  program: { id: string; name: string };
  course: { id: string; name: string };
  columns: PublishedColumn[];
  created: number;
  found: number;
  failures: Array<{ itemId: string | null; title: string; message: string; hint: string | null }>;
}

/** Coursera grades are percentages. */
const SCORE_MAXIMUM = 100;

function resolveItem(items: ItemRow[], typed: string, courseName: string): ItemRow {
  const lower = typed.toLowerCase();
  const exact =
    items.find((i) => i.itemId === typed) ?? items.filter((i) => i.name.toLowerCase() === lower).at(0);
  if (exact) return exact;
  const prefixed = items.filter((i) => i.name.toLowerCase().startsWith(lower));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) {
    throw new UsageError(
      `"${typed}" matches ${prefixed.length} items: ${prefixed.map((i) => `${i.name} (${i.itemId})`).join("; ")}`,
      {
        hint: "name the item by id",
      },
    );
  }
  throw new NotFoundError(`no gradable item "${typed}" in "${courseName}"`, {
    hint: "`gg4l courses list --json` shows the courses; refresh them with `gg4l courses refresh --all`",
  });
}

export function resourceLinkIdOf(
  option: string,
  classroomCourseId: string,
  courseId: string,
  itemId: string | null,
): string {
  return `gc:${option}:${classroomCourseId}:${courseId}${itemId ? `:${itemId}` : ""}`;
}

export async function publishToClassroom(
  ctx: Context,
  input: ClassroomPublishInput,
  opts: { http?: HttpClient } = {},
): Promise<ClassroomPublishResult> {
  const { tenant, reg } = requireRegistration(ctx);
  if (!isClassroom(reg)) {
    throw new ConfigError(`tenant "${tenant.slug}" is registered with ${reg.kind}, not Google Classroom`, {
      hint: "LTI content is published from the LMS with the tool's content picker (deep linking); `gg4l classroom publish` is for Google Classroom",
    });
  }
  if (!/^[A-Za-z0-9_-]+$/.test(input.classroomCourse)) {
    throw new UsageError(`--classroom-course "${input.classroomCourse}" is not a Classroom course id`, {
      hint: "pass the numeric id of the course (`gg4l lms check` lists the courses the teacher teaches)",
    });
  }
  const { db } = ctx.state();
  const option = reg.gradeSync;
  const course = resolveCourse(ctx, tenant, input.course);
  const courseRow = listCourses(db, tenant.id).find((c) => c.courseId === course.id)!;

  const active = listProgramSummaries(db, tenant.id, { active: true }).filter((p) => p.goneAt === null);
  let program: { id: string; name: string };
  if (input.program) {
    const p = resolveProgram(ctx, tenant, input.program);
    if (!p.active) {
      throw new UsageError(`program "${p.name}" is not active; only active programs are published (R2)`, {
        hint: `activate it first: \`gg4l programs activate ${p.programId}\``,
      });
    }
    if (!courseRow.programIds.includes(p.programId)) {
      throw new UsageError(`"${course.name}" is not a course of program "${p.name}"`, {
        hint: "`gg4l courses list --program <program>` lists its courses",
      });
    }
    program = { id: p.programId, name: p.name };
  } else {
    const candidates = active.filter((p) => courseRow.programIds.includes(p.programId));
    if (candidates.length === 0) {
      throw new UsageError(
        `"${course.name}" is in no active program; only active programs are published (R2)`,
        {
          hint: "activate its program first: `gg4l programs activate <program>`",
        },
      );
    }
    if (candidates.length > 1) {
      throw new UsageError(
        `"${course.name}" is in ${candidates.length} active programs: ${candidates.map((p) => p.name).join(", ")}`,
        {
          hint: "say which with --program <program>",
        },
      );
    }
    program = { id: candidates[0]!.programId, name: candidates[0]!.name };
  }

  const items = listItems(db, tenant.id, course.id);
  let targets: Array<ItemRow | null>;
  if (option === "final") {
    if (input.item) {
      throw new UsageError(
        "grade-sync is final: one column per course carries the final grade, so --item does not apply",
        {
          hint: "drop --item",
        },
      );
    }
    targets = [null];
  } else {
    targets = input.item ? [resolveItem(items, input.item, course.name)] : items;
    if (targets.length === 0) {
      throw new UsageError(
        `no gradable items are known for "${course.name}", so there is nothing to grade in Classroom`,
        {
          hint: "Coursera reveals a course's items once someone has a gradebook row: run `gg4l courses refresh --all` later",
        },
      );
    }
  }

  const http = opts.http ?? new (await import("../../clients/http.js")).HttpClient({ logger: ctx.logger });
  const { client, settings } = await classroomServicesFor(ctx, tenant, reg, http);
  const { ClassroomGradebook, containerRefOf, columnRefOf } = await import(
    "../../clients/classroom/gradebook.js"
  );
  const teacher = client.teacherFor(input.classroomCourse);
  let classroomName: string;
  try {
    const cc = await client.getCourse(input.classroomCourse);
    if (cc.courseState && cc.courseState !== "ACTIVE") {
      throw new ConfigError(
        `Classroom course "${cc.name}" (${cc.id}) is ${cc.courseState}: it takes no new course work`,
        {
          hint: "restore the course in Classroom, or publish into an active one",
        },
      );
    }
    classroomName = cc.name;
  } catch (error) {
    if (error instanceof ClassroomError && error.kind === "not-found") {
      throw new NotFoundError(`no Classroom course ${input.classroomCourse} (as seen by ${teacher})`, {
        hint: "pass the id of a course the teacher teaches (`gg4l lms check` lists them)",
      });
    }
    throw error;
  }
  const gradebook: ClassroomGradebook = new ClassroomGradebook(client, {
    returnGrades: false,
    columnDetails: columnDetailsFor(ctx, tenant),
  });
  const container = containerRefOf(settings.apiUrl, input.classroomCourse);
  const details = columnDetailsFor(ctx, tenant);

  const result: ClassroomPublishResult = {
    tenant: tenant.slug,
    gradeSync: option,
    classroomCourse: { id: input.classroomCourse, name: classroomName, teacher },
    program,
    course: { id: course.id, name: course.name },
    columns: [],
    created: 0,
    found: 0,
    failures: [],
  };
  const now = () => ctx.now().toISOString();
  // Option B: one course link whose container is the Classroom course; its columns are line items.
  const courseLinkId =
    option === "course"
      ? savePublishedLink(
          db,
          {
            registrationId: reg.id,
            gradeSync: option,
            classroomCourseId: input.classroomCourse,
            programId: program.id,
            courseId: course.id,
            itemId: null,
            resourceLinkId: resourceLinkIdOf(option, input.classroomCourse, course.id, null),
            title: course.name,
            lineitemUrl: null,
            lineitemsUrl: container,
          },
          now(),
        )
      : undefined;

  for (const item of targets) {
    const spec: ColumnSpec = {
      label: columnLabel(course.name, item ? item.name : null),
      scoreMaximum: SCORE_MAXIMUM,
      resourceId: item ? item.itemId : course.id,
      resourceLinkId: resourceLinkIdOf(
        option,
        input.classroomCourse,
        course.id,
        option === "assignment" && item ? item.itemId : null,
      ),
      tag: item ? "coursera-item" : "coursera-final",
    };
    try {
      const { column, created, work } = await findOrCreate(ctx, reg.id, gradebook, container, spec, {
        classroomCourseId: input.classroomCourse,
        courseId: course.id,
        itemId: item?.itemId ?? "",
        columnRefOf: (id) => columnRefOf(settings.apiUrl, input.classroomCourse, id),
      });
      const courseWorkId = work?.id ?? column.ref.split("/").pop()!;
      db.transaction(() => {
        const linkId =
          courseLinkId ??
          savePublishedLink(
            db,
            {
              registrationId: reg.id,
              gradeSync: option,
              classroomCourseId: input.classroomCourse,
              programId: program.id,
              courseId: course.id,
              itemId: item?.itemId ?? null,
              resourceLinkId: spec.resourceLinkId!,
              title: column.label,
              lineitemUrl: column.ref,
              lineitemsUrl: container,
            },
            now(),
          );
        if (courseLinkId !== undefined && item) {
          recordItemColumn(
            db,
            {
              linkId,
              itemId: item.itemId,
              url: column.ref,
              label: column.label,
              scoreMaximum: column.scoreMaximum,
              created,
            },
            now(),
          );
        }
        recordPublishedCourseWork(
          db,
          reg.id,
          {
            classroomCourseId: input.classroomCourse,
            courseId: course.id,
            itemId: item?.itemId ?? "",
            courseWorkId,
            columnRef: column.ref,
            linkId,
            title: column.label,
            maxPoints: column.scoreMaximum,
            created,
          },
          now(),
        );
      })();
      result.columns.push({
        courseId: course.id,
        itemId: item?.itemId ?? null,
        title: column.label,
        courseWorkId,
        columnRef: column.ref,
        created,
        link: details(spec).link?.url ?? null,
        resourceLinkId:
          courseLinkId !== undefined
            ? resourceLinkIdOf(option, input.classroomCourse, course.id, null)
            : spec.resourceLinkId!,
      });
      if (created) result.created += 1;
      else result.found += 1;
    } catch (error) {
      // What concerns every column (auth, a teacher who does not teach, a malformed request) stops here.
      if (!(error instanceof ClassroomError) || error.kind === "config" || error.kind === "invalid-request")
        throw error;
      result.failures.push({
        itemId: item?.itemId ?? null,
        title: spec.label,
        message: error.message,
        hint: error.hint ?? null,
      });
    }
  }
  return result;
}

/** The recorded course work when it is still ours and alive, else gg4l's by marker, else a new one. */
async function findOrCreate(
  ctx: Context,
  registrationId: number,
  gradebook: ClassroomGradebook,
  container: string,
  spec: ColumnSpec,
  key: { classroomCourseId: string; courseId: string; itemId: string; columnRefOf: (id: string) => string },
): Promise<{ column: GradebookColumn; created: boolean; work?: CourseWork }> {
  const recorded = findPublishedCourseWork(ctx.state().db, registrationId, key);
  if (recorded) {
    try {
      const work = await gradebook.client.getCourseWork(key.classroomCourseId, recorded.courseWorkId);
      if (work.associatedWithDeveloper === true && work.state !== "DELETED") {
        return {
          column: {
            ref: key.columnRefOf(work.id),
            label: work.title,
            scoreMaximum: work.maxPoints ?? spec.scoreMaximum,
            ...(spec.resourceId ? { resourceId: spec.resourceId } : {}),
            ...(spec.resourceLinkId ? { resourceLinkId: spec.resourceLinkId } : {}),
            ...(spec.tag ? { tag: spec.tag } : {}),
          },
          created: false,
          work,
        };
      }
      if (work.associatedWithDeveloper !== true) {
        ctx.logger.warn(
          `course work ${work.id} ("${work.title}") was made by another Google Cloud project, so gg4l cannot grade it: publishing a new one (delete the old one in Classroom)`,
        );
      }
    } catch (error) {
      if (!(error instanceof ClassroomError && error.kind === "not-found")) throw error;
    }
  }
  return gradebook.findOrCreateColumn(container, spec);
}
