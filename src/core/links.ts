/**
 * `gg4l links`: every published link of the tenant — where it is, what it opens, the grade-sync
 * option it was published under, its launches, whether it is connected and stale (and why), and
 * its columns with how many learners have an acknowledged score in each.
 */
import { NotFoundError, UsageError } from "../base/errors.js";
import { findRegistrationByTenant } from "../store/lms.js";
import {
  findPublishedLinks,
  type LinkColumnRow,
  linkColumns,
  listPublishedLinks,
  type PublishedLinkRow,
} from "../store/published.js";
import type { Context } from "./context.js";
import { resolveCourse } from "./courses.js";
import { resolveProgram } from "./programs.js";
import { currentTenant } from "./tenants.js";

export interface LinkView {
  id: number;
  lms: string;
  contextId: string;
  resourceLinkId: string;
  title: string | null;
  program: { id: string | null; name: string | null };
  course: { id: string | null; name: string | null };
  item: { id: string; name: string | null } | null;
  /** The grade-sync option the link was published under. */
  gradeSync: string;
  firstLaunchAt: string | null;
  lastLaunchAt: string | null;
  launches: number;
  learners: number;
  connected: boolean;
  /** Why it is not connected (null when it is). */
  notConnectedReason: string | null;
  stale: boolean;
  /** Why it is stale, and what clears it (null when it is not). */
  staleReason: string | null;
  columns: LinkColumnRow[];
}

/** R1: stale while the option it was published under differs from the LMS's current one. */
export function staleReasonOf(l: Pick<PublishedLinkRow, "gradeSync" | "currentOption">): string | null {
  return l.gradeSync === l.currentOption
    ? null
    : `published under grade-sync "${l.gradeSync}", the LMS now uses "${l.currentOption}": republish it with the content picker, or switch grade-sync back to "${l.gradeSync}"`;
}

export function notConnectedReasonOf(l: PublishedLinkRow, stale: string | null): string | null {
  if (stale) return "stale";
  if (l.connectedAt !== null) return null;
  if (l.lastLaunchAt === null) return "nobody launched it yet";
  return "its launches carried no grade-service (AGS) endpoint: the LMS admin should enable grade services for the tool";
}

function view(ctx: Context, tenantId: number, l: PublishedLinkRow, withColumns: boolean): LinkView {
  const stale = staleReasonOf(l);
  const notConnected = notConnectedReasonOf(l, stale);
  return {
    id: l.id,
    lms: l.lmsKind,
    contextId: l.contextId,
    resourceLinkId: l.resourceLinkId,
    title: l.title,
    program: { id: l.programId, name: l.programName },
    course: { id: l.courseId, name: l.courseName },
    item: l.itemId ? { id: l.itemId, name: l.itemName } : null,
    gradeSync: l.gradeSync,
    firstLaunchAt: l.firstLaunchAt,
    lastLaunchAt: l.lastLaunchAt,
    launches: l.launches,
    learners: l.learners,
    connected: notConnected === null,
    notConnectedReason: notConnected,
    stale: stale !== null,
    staleReason: stale,
    columns: withColumns ? linkColumns(ctx.state().db, tenantId, l) : [],
  };
}

export function listLinks(
  ctx: Context,
  opts: { program?: string; course?: string; context?: string; stale?: boolean },
): LinkView[] {
  const tenant = currentTenant(ctx);
  const db = ctx.state().db;
  if (!findRegistrationByTenant(db, tenant.id)) return [];
  const programId = opts.program ? resolveProgram(ctx, tenant, opts.program).programId : undefined;
  const courseId = opts.course ? resolveCourse(ctx, tenant, opts.course).id : undefined;
  if (opts.context !== undefined && opts.context.trim() === "")
    throw new UsageError("--context needs the LMS context (course shell) id", {
      hint: "e.g. --context 1042",
    });
  return listPublishedLinks(db, tenant.id, { programId, courseId, contextId: opts.context })
    .map((l) => view(ctx, tenant.id, l, true))
    .filter((l) => !opts.stale || l.stale);
}

export function showLink(ctx: Context, key: string): LinkView {
  const tenant = currentTenant(ctx);
  const found = findPublishedLinks(ctx.state().db, tenant.id, key);
  if (found.length === 0)
    throw new NotFoundError(`no published link "${key}" in tenant "${tenant.slug}"`, {
      hint: "`gg4l links list` shows every link gg4l has seen launched, with its id",
    });
  return view(ctx, tenant.id, found[0]!, true);
}
