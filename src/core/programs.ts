import { NotFoundError, UsageError } from "../base/errors.js";
import { type CourseRow, listCourses } from "../store/courses.js";
import { type LearnerRow, programMembers, saveMemberships } from "../store/learners.js";
import {
  listProgramSummaries,
  type ProgramSummary,
  programNames,
  programSummary,
  savePulledPrograms,
  setProgramActive,
} from "../store/programs.js";
import type { TenantRow } from "../store/tenants.js";
import type { Context } from "./context.js";
import { courseraFor } from "./coursera.js";
import { resolveNamed } from "./resolve.js";
import { currentTenant } from "./tenants.js";

export interface ProgramView {
  id: string;
  name: string;
  slug: string | null;
  url: string | null;
  active: boolean;
  gone: boolean;
  courses: number;
  gradableItems: number;
  licenses: { used: number; total: number | null; available: number | null; test: number };
  activatedAt: string | null;
  pulledAt: string;
}

export function programView(p: ProgramSummary): ProgramView {
  return {
    id: p.programId,
    name: p.name,
    slug: p.slug,
    url: p.url,
    active: p.active,
    gone: p.goneAt !== null,
    courses: p.courseCount,
    gradableItems: p.itemCount,
    licenses: {
      used: p.members,
      total: p.licenseCount,
      available: p.licenseCount === null ? null : Math.max(0, p.licenseCount - p.members),
      test: p.testMembers,
    },
    activatedAt: p.activatedAt,
    pulledAt: p.pulledAt,
  };
}

/** A program of the tenant by id, slug or unique name prefix. */
export function resolveProgram(ctx: Context, tenant: TenantRow, typed: string): ProgramSummary {
  const { db } = ctx.state();
  const all = programNames(db, tenant.id);
  if (all.length === 0) {
    throw new NotFoundError(`no programs in the state for tenant "${tenant.slug}"`, {
      hint: "run `gg4l programs pull` first",
    });
  }
  const found = resolveNamed("program", typed, all, "gg4l programs list");
  return programSummary(db, tenant.id, found.id)!;
}

export interface PullProgramsResult {
  tenant: string;
  programs: number;
  added: Array<{ id: string; name: string }>;
  renamed: Array<{ id: string; from: string; to: string }>;
  gone: Array<{ id: string; name: string }>;
  memberships: number;
}

/** R2: fetch the org's programs (new ones inactive) and who holds their licenses. */
export async function pullPrograms(ctx: Context): Promise<PullProgramsResult> {
  const tenant = currentTenant(ctx);
  const coursera = await courseraFor(ctx, tenant);
  ctx.logger.info(`Pulling programs of Coursera org ${tenant.courseraOrg}…`);
  const programs = await coursera.programs().all();
  ctx.logger.info(`Pulling program members (${programs.length} programs)…`);
  const memberships = await coursera.memberships().all();
  const { db } = ctx.state();
  const now = ctx.now().toISOString();
  const names = new Map(programNames(db, tenant.id).map((p) => [p.id, p.name]));
  const outcome = db.transaction(() => {
    const saved = savePulledPrograms(
      db,
      tenant.id,
      programs.map((p) => ({
        programId: p.id,
        name: p.name,
        slug: p.slug,
        url: p.url,
        licenseCount: p.licenseCount,
      })),
      now,
    );
    return { ...saved, memberships: saveMemberships(db, tenant.id, memberships, now) };
  })();
  const byId = new Map(programs.map((p) => [p.id, p.name]));
  return {
    tenant: tenant.slug,
    programs: programs.length,
    added: outcome.added.map((id) => ({ id, name: byId.get(id) ?? id })),
    renamed: outcome.renamed.map((r) => ({ id: r.programId, from: r.from, to: r.to })),
    gone: outcome.gone.map((id) => ({ id, name: names.get(id) ?? id })),
    memberships: outcome.memberships,
  };
}

export function listPrograms(ctx: Context, filter: { active?: boolean }): ProgramView[] {
  const tenant = currentTenant(ctx);
  return listProgramSummaries(ctx.state().db, tenant.id, filter).map(programView);
}

export interface ProgramDetail extends ProgramView {
  courseList: Array<Pick<CourseRow, "courseId" | "name" | "itemCount" | "itemsKnown">>;
  testLearners: Array<Pick<LearnerRow, "externalId" | "email" | "fullName">>;
}

export function showProgram(ctx: Context, typed: string): ProgramDetail {
  const tenant = currentTenant(ctx);
  const program = resolveProgram(ctx, tenant, typed);
  const { db } = ctx.state();
  return {
    ...programView(program),
    courseList: listCourses(db, tenant.id, program.programId).map(
      ({ courseId, name, itemCount, itemsKnown }) => ({
        courseId,
        name,
        itemCount,
        itemsKnown,
      }),
    ),
    testLearners: programMembers(db, tenant.id, program.programId, true).map(
      ({ externalId, email, fullName }) => ({
        externalId,
        email,
        fullName,
      }),
    ),
  };
}

export interface ActivationResult {
  tenant: string;
  active: boolean;
  changed: Array<{ id: string; name: string }>;
  unchanged: Array<{ id: string; name: string }>;
}

/**
 * Activate or deactivate programs, idempotently (R2). With no names on a terminal, a
 * multi-select picker; without a terminal, a usage error.
 */
export async function setProgramsActive(
  ctx: Context,
  typed: string[],
  active: boolean,
): Promise<ActivationResult> {
  const tenant = currentTenant(ctx);
  const { db } = ctx.state();
  const verb = active ? "activate" : "deactivate";
  let names = typed;
  if (names.length === 0) {
    if (!ctx.canPrompt) {
      throw new UsageError(`name the programs to ${verb}`, {
        hint: `pass program ids or names: \`gg4l programs ${verb} <program...>\` (\`gg4l programs list\` shows them)`,
      });
    }
    const candidates = listProgramSummaries(db, tenant.id, { active: !active }).filter(
      (p) => p.goneAt === null,
    );
    if (candidates.length === 0) {
      throw new NotFoundError(`no ${active ? "inactive" : "active"} programs to ${verb}`, {
        hint: "`gg4l programs pull` fetches new programs from Coursera",
      });
    }
    names = await ctx.prompter.checkbox(
      `Programs to ${verb}`,
      candidates.map((p) => ({ value: p.programId, name: `${p.name} (${p.programId})` })),
    );
    if (names.length === 0) throw new UsageError(`no program chosen; nothing to ${verb}`);
  }
  const programs = names.map((name) => resolveProgram(ctx, tenant, name));
  const now = ctx.now().toISOString();
  const result: ActivationResult = { tenant: tenant.slug, active, changed: [], unchanged: [] };
  db.transaction(() => {
    for (const program of programs) {
      const entry = { id: program.programId, name: program.name };
      if (setProgramActive(db, tenant.id, program.programId, active, now)) result.changed.push(entry);
      else if (
        !result.unchanged.some((u) => u.id === entry.id) &&
        !result.changed.some((c) => c.id === entry.id)
      )
        result.unchanged.push(entry);
    }
  })();
  return result;
}
