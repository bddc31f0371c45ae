/**
 * The sync plan: what a run would do for the tenant's grade-sync option, no-SSO and
 * incremental settings and test flags (R6, R7), and why each grade that is not sent is not.
 */
import { createHash } from "node:crypto";
import { NotFoundError, UsageError } from "../../base/errors.js";
import { courseNames, itemNames } from "../../store/courses.js";
import { hasGrades } from "../../store/grades.js";
import { findLearners } from "../../store/learners.js";
import type { LmsRegistrationRow } from "../../store/lms.js";
import {
  buildPlan,
  countPlan,
  type PlanColumnRow,
  type PlanCounts,
  type PlanEntryTuple,
  type PlanOrder,
  type PlanQuery,
  PlanTally,
  planColumns,
  planCounts,
  planDigestChunks,
  planJsonStream,
  planRowsListed,
  prepareTargets,
} from "../../store/plan.js";
import { mergeAcks } from "../../store/sync.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";
import { resolveCourse } from "../courses.js";
import { requireRegistration } from "../lms.js";
import { resolveProgram } from "../programs.js";

export const skipReasons = {
  "program-inactive": "the program is not active (gg4l programs activate)",
  "test-learner": "test learner: kept out of grade sync",
  "link-stale": "the link was published under another grade-sync option: republish it in the LMS",
  "no-grade": "no grade on Coursera yet (not attempted)",
  "not-completed": "course not completed on Coursera: the final grade is sent once it is",
  "no-launch-in-course":
    "no launch yet in this course, so Option B columns cannot be created: someone must open the course link once",
  "link-not-connected":
    "the link carries no gradebook column (no AGS line item in its launch): check the tool's grade services in the LMS",
  "never-launched-link":
    "the learner never launched this link and no-SSO sync is off: ask them to open it once, or turn no-SSO on",
  "not-joined": "no-SSO sync: the learner has not joined the program (no license, no launch)",
  "not-in-lms-roster":
    "no-SSO sync: the learner is not in the LMS course roster (NRPS) under the same e-mail",
  unchanged: "unchanged since the LMS acknowledged it, and incremental sync is on",
  "no-connected-link":
    "no launched link in the LMS points at this course or item: not published, or nobody opened it yet",
} as const;
export type SkipReason = keyof typeof skipReasons;

export interface SyncFilters {
  program?: string;
  course?: string;
  learner?: string;
}

export interface PlanSummary {
  tenant: string;
  lms: string;
  gradeSync: string;
  incremental: boolean;
  noSso: boolean;
  filters: SyncFilters;
  columnsToCreate: number;
  posts: { new: number; changed: number; resend: number; total: number };
  skipped: Partial<Record<SkipReason, number>>;
  /** Unchanged grades that would be posted again (incremental off): the LMS may e-mail students for each. */
  unchangedResent: number;
  /**
   * The state holds Coursera grades of the tenant: false until a pull (`gg4l sync daily`)
   * stored some, and then the plan is empty whatever the LMS holds.
   */
  gradesInState: boolean;
  /** Null when the plan was only counted (`preparePlan`'s `countOnly`): nothing shows or saves it then. */
  fingerprint: string | null;
}

export interface PreparedPlan {
  tenant: TenantRow;
  reg: LmsRegistrationRow;
  query: PlanQuery;
  summary: PlanSummary;
}

function resolveFilters(
  ctx: Context,
  tenant: TenantRow,
  filters: SyncFilters,
): Pick<PlanQuery, "programId" | "courseId" | "externalId"> {
  const out: Pick<PlanQuery, "programId" | "courseId" | "externalId"> = {};
  if (filters.program) out.programId = resolveProgram(ctx, tenant, filters.program).programId;
  if (filters.course) out.courseId = resolveCourse(ctx, tenant, filters.course).id;
  if (filters.learner) {
    const found = findLearners(ctx.state().db, tenant.id, filters.learner);
    if (found.length === 0)
      throw new NotFoundError(`no learner "${filters.learner}"`, {
        hint: "`gg4l learners show` explains why a learner is missing",
      });
    if (found.length > 1)
      throw new UsageError(`"${filters.learner}" matches several learners`, {
        hint: "name the learner by external id",
      });
    out.externalId = found[0]!.externalId;
  }
  return out;
}

/**
 * A hash of exactly what the plan would do, field by field of the entries a saved plan lists:
 * the columns to create, then "p", then each post's line, column by column and then by learner
 * (external id), whatever order the plan was built in. The same state gives the same
 * fingerprint, and so do a saved plan's own items (`fingerprintOfEntries`), which is how
 * `sync apply` tells an edited file from a stale one.
 */
function fingerprintOf(ctx: Context, order: PlanOrder): string {
  const { db } = ctx.state();
  const hash = createHash("sha256");
  for (const c of planColumns(db))
    hash.update(columnLine(c.linkId, c.courseId, c.itemId, c.containerUrl, c.label));
  hash.update("p\n");
  for (const bytes of planDigestChunks(db, order)) hash.update(bytes);
  return hash.digest("hex").slice(0, 32);
}

const SEP = "\u001f";

function columnLine(
  linkId: unknown,
  courseId: unknown,
  itemId: unknown,
  container: unknown,
  label: unknown,
): string {
  return `c${SEP}${linkId}${SEP}${courseId}${SEP}${itemId ?? ""}${SEP}${container}${SEP}${label}\n`;
}

/** Whole millionths, as store/plan.ts MILLIONTHS computes them in SQL. */
function millionths(score: unknown): string {
  if (typeof score !== "number") return "";
  return String(Math.trunc(score * 1_000_000 + (score < 0 ? -0.5 : 0.5)));
}

/** One post's line, as store/plan.ts planDigestChunks builds it in SQL. */
function digestLineOfPost(e: PlanEntry): string {
  return [
    e.kind,
    e.linkId,
    e.programId ?? "",
    e.courseId,
    e.itemId ?? "",
    e.externalId,
    e.lmsUserId ?? "",
    e.column ?? "",
    millionths(e.scoreGiven),
    e.scoreMaximum,
    millionths(e.previousScore),
    e.comment ?? "",
  ].join(SEP);
}

/**
 * The fingerprint of a saved plan's items (columns to create, then posts, in the file's order,
 * which is the fingerprint's): equal to the fingerprint of the state that planned them, as long
 * as nobody edited them.
 */
export function fingerprintOfEntries(entries: readonly PlanEntry[]): string {
  const hash = createHash("sha256");
  const posts: string[] = [];
  for (const e of entries) {
    if (e.action === "create-column")
      hash.update(columnLine(e.linkId, e.courseId, e.itemId, e.container, e.label));
    else if (e.action === "post") posts.push(`${digestLineOfPost(e)}\n`);
  }
  hash.update("p\n");
  for (const line of posts) hash.update(line);
  return hash.digest("hex").slice(0, 32);
}

/** The tenant's registration and the query a plan is made of, its filters resolved. */
function planQueryOf(ctx: Context, filters: SyncFilters): Omit<PreparedPlan, "summary"> {
  const { tenant, reg } = requireRegistration(ctx);
  const query: PlanQuery = {
    tenantId: tenant.id,
    registrationId: reg.id,
    option: reg.gradeSync,
    // Classroom has no launches: eligibility comes from its rosters, as with no-SSO sync.
    noSso: reg.noSso || reg.kind === "google-classroom",
    incremental: reg.incremental,
    ...resolveFilters(ctx, tenant, filters),
  };
  // Scores acknowledged by a run that was killed before it folded its journal count as sent.
  mergeAcks(ctx.state().db);
  return { tenant, reg, query };
}

function summaryOf(
  ctx: Context,
  { tenant, reg }: Omit<PreparedPlan, "summary">,
  filters: SyncFilters,
  counts: PlanCounts[],
  fingerprint: string | null,
): PlanSummary {
  const posts = { new: 0, changed: 0, resend: 0, total: 0 };
  const skipped: PlanSummary["skipped"] = {};
  for (const row of counts) {
    if (row.decision === "skip") skipped[row.reason as SkipReason] = row.count;
    else {
      posts[row.decision as "new" | "changed" | "resend"] = row.count;
      posts.total += row.count;
    }
  }
  const { db } = ctx.state();
  return {
    tenant: tenant.slug,
    lms: reg.kind,
    gradeSync: reg.gradeSync,
    incremental: reg.incremental,
    noSso: reg.noSso,
    filters,
    columnsToCreate: planColumns(db).length,
    posts,
    skipped,
    unchangedResent: posts.resend,
    gradesInState: hasGrades(db, tenant.id),
    fingerprint,
  };
}

/**
 * Build the plan in temporary tables and summarise it. `order` (default "posting", what a live
 * run posts from): "listing" for a caller that lists or saves the entries (`planEntries`).
 * `countOnly`: for a caller that shows the summary's counts and nothing else (a dry run
 * without --json, --verbose or --plan-out): the same decisions are counted without storing
 * the plan, and no fingerprint is computed.
 */
export function preparePlan(
  ctx: Context,
  filters: SyncFilters,
  opts: { countOnly?: boolean; order?: PlanOrder } = {},
): PreparedPlan {
  const order = opts.order ?? "posting";
  const planned = planQueryOf(ctx, filters);
  const { db } = ctx.state();
  let counts: PlanCounts[];
  if (opts.countOnly) counts = countPlan(db, planned.query);
  else {
    buildPlan(db, planned.query, order);
    counts = planCounts(db);
  }
  const fingerprint = opts.countOnly ? null : fingerprintOf(ctx, order);
  return { ...planned, summary: summaryOf(ctx, planned, filters, counts, fingerprint) };
}

/** A plan listed as it is decided (`streamPlan`): its summary is known once every item was read. */
export interface StreamedPlan {
  /**
   * The JSON text of the "items" array's elements, each after its separator (the first after
   * "\n    ", the others after ",\n    "): the text `JSON.stringify` gives `planEntries`' entries.
   */
  items: Generator<string | Buffer>;
  /** The summary `preparePlan` gives the same state; only once `items` was read to its end. */
  summary(): PlanSummary;
}

/**
 * A dry run's --json: the plan decided, listed, counted and hashed in one pass, with no plan
 * table (store/plan.ts `planJsonStream`). Only the columns' few rows are stored first.
 */
export function streamPlan(ctx: Context, filters: SyncFilters): StreamedPlan {
  const planned = planQueryOf(ctx, filters);
  const { db } = ctx.state();
  prepareTargets(db, planned.query);
  const tally = new PlanTally();
  let fingerprint: string | null = null;
  function* items(): Generator<string | Buffer> {
    const hash = createHash("sha256");
    let first = true;
    const separator = () => {
      const text = first ? "\n    " : ",\n    ";
      first = false;
      return text;
    };
    const names = planNames(ctx);
    for (const c of planColumns(db)) {
      hash.update(columnLine(c.linkId, c.courseId, c.itemId, c.containerUrl, c.label));
      yield `${separator()}${JSON.stringify(columnEntry(c, names))}`;
    }
    hash.update("p\n");
    for (const chunk of planJsonStream(db, planned.query, skipReasons, tally)) {
      if (chunk.digest) hash.update(chunk.digest);
      yield separator();
      yield chunk.json;
    }
    fingerprint = hash.digest("hex").slice(0, 32);
  }
  return {
    items: items(),
    summary: () => {
      if (fingerprint === null)
        throw new Error("the plan's summary was asked for before its items were all read");
      return summaryOf(ctx, planned, filters, tally.counts(), fingerprint);
    },
  };
}

export interface PlanEntry {
  action: "create-column" | "post" | "skip";
  kind?: "new" | "changed" | "resend";
  reason?: SkipReason;
  because?: string;
  programId: string | null;
  courseId: string;
  /** The course's name as Coursera calls it; null when the state does not know the course. */
  courseName: string | null;
  itemId: string | null;
  /** The item's name; null for the final grade or an item the state does not know. */
  itemName: string | null;
  /** The published link (state id) the column belongs to. */
  linkId?: number | null;
  /** create-column: the LMS course's line-items container the column is created in. */
  container?: string;
  externalId?: string;
  lmsUserId?: string | null;
  column: string | null;
  scoreGiven?: number | null;
  scoreMaximum?: number;
  previousScore?: number | null;
  /** post: the comment sent with the score (the final grade's completion date). */
  comment?: string | null;
  label?: string;
}

/** A column to create, as an entry. */
function columnEntry(c: PlanColumnRow, names: PlanNames): PlanEntry {
  return {
    action: "create-column",
    programId: null,
    courseId: c.courseId,
    courseName: names.course(c.courseId),
    itemId: c.itemId || null,
    itemName: names.item(c.courseId, c.itemId),
    linkId: c.linkId,
    container: c.containerUrl,
    column: null,
    label: c.label,
  };
}

/**
 * Every entry of a plan prepared in listing order: columns to create, posts, then skips with
 * their reason; posts and skips column by column, then by learner (external id). The posts'
 * order is the fingerprint's, so a saved plan lists them as `fingerprintOfEntries` hashes them.
 */
export function* planEntries(ctx: Context): Generator<PlanEntry> {
  const names = planNames(ctx);
  for (const c of planColumns(ctx.state().db)) yield columnEntry(c, names);
  for (const r of planRowsListed(ctx.state().db)) yield entryOfRow(r, names);
}

/**
 * A plan row as its entry. Written out field by field, in the order the JSON shows them,
 * rather than spread from a shared base: a million entries of one shape each.
 */
export function entryOfRow(r: PlanEntryTuple, names: PlanNames): PlanEntry {
  const [decision, reason, linkId, programId, courseId, itemId, externalId] = r;
  if (decision === "skip") {
    return {
      action: "skip",
      reason: reason as SkipReason,
      because: skipReasons[reason as SkipReason],
      programId,
      courseId,
      courseName: names.course(courseId),
      itemId: itemId || null,
      itemName: names.item(courseId, itemId),
      externalId,
      column: r[8],
      scoreGiven: r[9],
    };
  }
  return {
    action: "post",
    kind: decision,
    linkId,
    lmsUserId: r[7],
    scoreMaximum: r[10],
    previousScore: r[11],
    comment: r[12],
    programId,
    courseId,
    courseName: names.course(courseId),
    itemId: itemId || null,
    itemName: names.item(courseId, itemId),
    externalId,
    column: r[8],
    scoreGiven: r[9],
  };
}

/**
 * The names of the tenant's courses and items, read once per listing: the plan's rows carry
 * ids only, and a name looked up per row in SQL would cost a join on each of a million grades.
 */
export interface PlanNames {
  course(courseId: string): string | null;
  item(courseId: string, itemId: string): string | null;
}

function planNames(ctx: Context): PlanNames {
  const { tenant } = requireRegistration(ctx);
  const { db } = ctx.state();
  const courses = new Map(courseNames(db, tenant.id).map((c) => [c.id, c.name]));
  const items = new Map(itemNames(db, tenant.id).map((i) => [`${i.courseId}${SEP}${i.itemId}`, i.name]));
  return {
    course: (courseId) => courses.get(courseId) ?? null,
    item: (courseId, itemId) => (itemId ? (items.get(`${courseId}${SEP}${itemId}`) ?? null) : null),
  };
}
