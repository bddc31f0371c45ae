import { NotFoundError, UsageError } from "../base/errors.js";
import {
  type CourseRefreshOutcome,
  courseNames,
  listCourses,
  listItems,
  saveRefreshedCourses,
} from "../store/courses.js";
import { listProgramSummaries, programNames } from "../store/programs.js";
import type { TenantRow } from "../store/tenants.js";
import type { Context } from "./context.js";
import { courseraFor } from "./coursera.js";
import { resolveProgram } from "./programs.js";
import { resolveNamed } from "./resolve.js";
import { currentTenant } from "./tenants.js";

export interface CourseView {
  id: string;
  name: string;
  slug: string | null;
  url: string | null;
  /** Program ids, and their names in the same order. */
  programs: string[];
  programNames: string[];
  gradableItems: number;
  /** false until someone has a gradebook row in the course: Coursera reveals items only there. */
  itemsKnown: boolean;
  refreshedAt: string;
}

export function listCourseViews(ctx: Context, program: string | undefined): CourseView[] {
  const tenant = currentTenant(ctx);
  const programId = program ? resolveProgram(ctx, tenant, program).programId : undefined;
  const { db } = ctx.state();
  const names = new Map(programNames(db, tenant.id).map((p) => [p.id, p.name]));
  return listCourses(db, tenant.id, programId).map((c) => ({
    id: c.courseId,
    name: c.name,
    slug: c.slug,
    url: c.url,
    programs: c.programIds,
    programNames: c.programIds.map((id) => names.get(id) ?? id),
    gradableItems: c.itemCount,
    itemsKnown: c.itemsKnown,
    refreshedAt: c.refreshedAt,
  }));
}

export function resolveCourse(ctx: Context, tenant: TenantRow, typed: string): { id: string; name: string } {
  const all = courseNames(ctx.state().db, tenant.id);
  if (all.length === 0) {
    throw new NotFoundError(`no courses in the state for tenant "${tenant.slug}"`, {
      hint: "run `gg4l courses refresh --all` first",
    });
  }
  return resolveNamed("course", typed, all, "gg4l courses list");
}

export function courseItems(ctx: Context, tenant: TenantRow, courseId: string) {
  return listItems(ctx.state().db, tenant.id, courseId);
}

type NamedCourseChange = CourseRefreshOutcome["added"][number] & { programName: string };

export interface RefreshResult extends Omit<CourseRefreshOutcome, "added" | "removed"> {
  tenant: string;
  programs: Array<{ id: string; name: string }>;
  courses: number;
  /** Each with the program's name beside its id. */
  added: NamedCourseChange[];
  removed: NamedCourseChange[];
}

/** The course refresh of programs just activated (`programs activate --refresh`). */
export async function refreshActivated(
  ctx: Context,
  programs: Array<{ id: string; name: string }>,
): Promise<RefreshResult> {
  return refreshProgramCourses(ctx, currentTenant(ctx), programs);
}

/** R3: pull the course lists and gradable items of active programs now, and say what changed. */
export async function refreshCourses(
  ctx: Context,
  opts: { program?: string; all?: boolean },
): Promise<RefreshResult> {
  if (opts.program && opts.all) throw new UsageError("pass either --program or --all, not both");
  if (!opts.program && !opts.all) {
    throw new UsageError("say which programs to refresh", {
      hint: "pass --program <program> or --all (every active program)",
    });
  }
  const tenant = currentTenant(ctx);
  const { db } = ctx.state();
  let programs: Array<{ id: string; name: string }>;
  if (opts.program) {
    const program = resolveProgram(ctx, tenant, opts.program);
    if (!program.active) {
      throw new UsageError(
        `program "${program.name}" is not active; only active programs are published and refreshed (R2)`,
        {
          hint: `activate it first: \`gg4l programs activate ${program.programId}\``,
        },
      );
    }
    programs = [{ id: program.programId, name: program.name }];
  } else {
    programs = listProgramSummaries(db, tenant.id, { active: true })
      .filter((p) => p.goneAt === null)
      .map((p) => ({ id: p.programId, name: p.name }));
  }
  if (programs.length === 0) {
    return {
      tenant: tenant.slug,
      programs,
      courses: 0,
      added: [],
      removed: [],
      renamed: [],
      itemsAdded: [],
      itemsRemoved: [],
    };
  }
  return refreshProgramCourses(ctx, tenant, programs);
}

export async function refreshProgramCourses(
  ctx: Context,
  tenant: TenantRow,
  programs: Array<{ id: string; name: string }>,
): Promise<RefreshResult> {
  const coursera = await courseraFor(ctx, tenant);
  const ids = programs.map((p) => p.id);
  ctx.logger.info(`Refreshing courses of ${programs.length} program(s)…`);
  const courses = await coursera.coursesWithItems(ids);
  const { db } = ctx.state();
  const outcome = db.transaction(() =>
    saveRefreshedCourses(
      db,
      tenant.id,
      ids,
      courses.map((c) => ({
        courseId: c.id,
        name: c.name,
        slug: c.slug,
        url: c.url,
        courseType: c.courseType,
        programIds: c.programIds,
        items:
          c.items?.map((i) => ({
            itemId: i.id,
            name: i.name,
            itemType: i.type,
            itemOrder: i.order,
            weight: i.weight,
          })) ?? null,
      })),
      ctx.now().toISOString(),
    ),
  )();
  const programName = new Map(programs.map((p) => [p.id, p.name]));
  const named = (change: CourseRefreshOutcome["added"][number]): NamedCourseChange => ({
    ...change,
    programName: programName.get(change.programId) ?? change.programId,
  });
  return {
    tenant: tenant.slug,
    programs,
    courses: courses.length,
    ...outcome,
    added: outcome.added.map(named),
    removed: outcome.removed.map(named),
  };
}
