import { ExitCode, GgError, NotFoundError, PartialFailureError, UsageError } from "../base/errors.js";
import type { CourseGradebook } from "../clients/coursera/types.js";
import { learnerGrades } from "../store/grades.js";
import {
  findLearners,
  type LaunchRow,
  type LearnerRow,
  type LearnerSummary,
  learnerLaunches,
  learnerMemberships,
  listLearnerSummaries,
  type MembershipDetail,
  programMembers,
  removeMembership,
  setTestFlag,
} from "../store/learners.js";
import { type LinkRow, linksLaunchedBy } from "../store/links.js";
import { findRegistrationByTenant } from "../store/lms.js";
import { type LmsIdentity, lmsUsersOfLearner } from "../store/lms-users.js";
import { dropPlan } from "../store/plan.js";
import { listProgramSummaries, programNames, programSummary } from "../store/programs.js";
import { lastAcknowledged, launchedLink, linkColumns, linksOfPrograms, subsOf } from "../store/published.js";
import type { TenantRow } from "../store/tenants.js";
import { type LearnerClassroomMatch, learnerClassroomMatch, NOT_IN_ROSTER } from "./classroom/roster.js";
import type { Context } from "./context.js";
import { courseraFor } from "./coursera.js";
import { notConnectedReasonOf, staleReasonOf } from "./links.js";
import { pullPrograms, resolveProgram } from "./programs.js";
import { planEntries, preparePlan, type SkipReason, skipReasons } from "./sync/plan.js";
import { currentTenant } from "./tenants.js";

/** What to tell a learner who never came through the LMS (R4). */
export const NEVER_LAUNCHED =
  "never launched a link from the LMS — ask the learner to open the link published in their LMS course; signing in on coursera.org directly does not connect the accounts";

export interface LearnerListItem {
  externalId: string;
  email: string | null;
  name: string | null;
  test: boolean;
  /** Program ids, and their names in the same order. */
  programs: string[];
  programNames: string[];
  sso: boolean;
  lastLaunchAt: string | null;
}

function listItem(l: LearnerSummary, nameOf: (programId: string) => string): LearnerListItem {
  return {
    externalId: l.externalId,
    email: l.email,
    name: l.fullName,
    test: l.isTest,
    programs: l.programIds,
    programNames: l.programIds.map(nameOf),
    sso: l.launches > 0,
    lastLaunchAt: l.lastLaunchAt,
  };
}

export function listLearners(
  ctx: Context,
  opts: { program?: string; test?: boolean; noSso?: boolean },
): LearnerListItem[] {
  const tenant = currentTenant(ctx);
  const programId = opts.program ? resolveProgram(ctx, tenant, opts.program).programId : undefined;
  const { db } = ctx.state();
  const names = new Map(programNames(db, tenant.id).map((p) => [p.id, p.name]));
  return listLearnerSummaries(db, tenant.id, {
    programId,
    testOnly: opts.test,
    neverLaunched: opts.noSso,
  }).map((l) => listItem(l, (id) => names.get(id) ?? id));
}

function findOne(ctx: Context, tenant: TenantRow, key: string): LearnerRow {
  const found = findLearners(ctx.state().db, tenant.id, key);
  if (found.length === 0) {
    throw new NotFoundError(
      `no learner "${key}" in tenant "${tenant.slug}": not a member of any pulled program and ${NEVER_LAUNCHED}`,
      {
        hint: "if they joined recently, run `gg4l programs pull` to fetch the latest program members",
      },
    );
  }
  if (found.length > 1) {
    throw new UsageError(
      `"${key}" matches ${found.length} learners: ${found.map((l) => l.externalId).join(", ")}`,
      {
        hint: "name the learner by external id",
      },
    );
  }
  return found[0]!;
}

export interface LearnerGrade {
  programId: string;
  courseId: string;
  courseName: string | null;
  grade: number | null;
  progress: number | null;
  completed: boolean;
  completedAt: string | null;
  items: Array<{ itemId: string; name: string; grade: number | null; passed: boolean }>;
}

export interface LearnerDetail {
  externalId: string;
  email: string | null;
  name: string | null;
  test: boolean;
  memberships: MembershipDetail[];
  licenses: number;
  sso: { linked: boolean; launches: LaunchRow[] };
  /** The LMS users (issuer + sub) linked to this learner by SSO or the NRPS roster. */
  lmsUsers: LmsIdentity[];
  /** The links this learner launched, and whether each is connected for grade sync. */
  links: LearnerLink[];
  /** Every published link of the learner's programs' courses: launched or not, eligible for grades or not, last scores. */
  publishedLinks: LearnerPublishedLink[];
  /** Google Classroom: the roster match by e-mail (null when the LMS is not Classroom). */
  classroom: LearnerClassroomMatch | null;
  grades: LearnerGrade[] | null;
  /** Why grades could not be read live, when they could not. */
  gradesError: string | null;
  /** Each grade in the state that the sync would not send, with the planner's reason (as the dry run gives it). */
  unsentGrades: UnsentGrade[];
  diagnosis: string[];
}

export interface UnsentGrade {
  courseId: string;
  courseName: string | null;
  itemId: string | null;
  itemName: string | null;
  grade: number;
  reason: SkipReason;
  because: string;
}

export interface LearnerPublishedLink {
  id: number;
  contextId: string;
  title: string | null;
  programId: string | null;
  course: string | null;
  item: string | null;
  launched: boolean;
  /** Grades of this learner go through this link (R6). */
  eligible: boolean;
  /** Why (with no-SSO on, eligibility comes through the roster). */
  why: string;
  columns: Array<{
    url: string;
    name: string | null;
    lastScore: number | null;
    acknowledgedAt: string | null;
  }>;
}

function publishedFor(
  ctx: Context,
  tenant: TenantRow,
  learner: LearnerRow,
  memberships: MembershipDetail[],
): LearnerPublishedLink[] {
  const { db } = ctx.state();
  const reg = findRegistrationByTenant(db, tenant.id);
  if (!reg) return [];
  const subs = subsOf(db, reg.id, learner.externalId);
  const joined = memberships.length > 0;
  return linksOfPrograms(
    db,
    tenant.id,
    memberships.map((m) => m.programId),
  ).map((l) => {
    const launched = launchedLink(db, tenant.id, learner.externalId, l);
    const stale = staleReasonOf(l);
    const notConnected = notConnectedReasonOf(l, stale);
    let why: string;
    if (learner.isTest) why = skipReasons["test-learner"];
    else if (stale) why = `the link is stale (${stale})`;
    else if (notConnected) why = `the link is not connected: ${notConnected}`;
    else if (launched) why = "launched this link";
    else if (reg.noSso && joined && subs.length > 0)
      why = "no-SSO sync: joined the program and known in the LMS roster";
    else if (reg.noSso) why = "no-SSO sync, but not found in the LMS course roster by e-mail";
    else why = skipReasons["never-launched-link"];
    const eligible = why === "launched this link" || why.startsWith("no-SSO sync: joined");
    return {
      id: l.id,
      contextId: l.contextId,
      title: l.title,
      programId: l.programId,
      course: l.courseName ?? l.courseId,
      item: l.itemId ? (l.itemName ?? l.itemId) : null,
      launched,
      eligible,
      why,
      columns: linkColumns(db, tenant.id, l).map((c) => {
        const last = lastAcknowledged(db, c.url, subs);
        return {
          url: c.url,
          name: c.itemName ?? c.label,
          lastScore: last?.scoreGiven ?? null,
          acknowledgedAt: last?.ackedAt ?? null,
        };
      }),
    };
  });
}

export interface LearnerLink {
  contextId: string;
  resourceLinkId: string;
  title: string | null;
  programId: string | null;
  courseId: string | null;
  itemId: string | null;
  gradeSync: string;
  /** Its AGS URLs are known (a launch carried them) and it is not stale. */
  connected: boolean;
  connectedAt: string | null;
  lineItemUrl: string | null;
  lineItemsUrl: string | null;
  nrpsUrl: string | null;
  stale: boolean;
  staleReason: string | null;
  lastLaunchAt: string | null;
}

function toLearnerLink(l: LinkRow): LearnerLink {
  return {
    contextId: l.contextId,
    resourceLinkId: l.resourceLinkId,
    title: l.title,
    programId: l.programId,
    courseId: l.courseId,
    itemId: l.itemId,
    gradeSync: l.gradeSync,
    connected: l.connectedAt !== null && l.staleAt === null,
    connectedAt: l.connectedAt,
    lineItemUrl: l.lineitemUrl,
    lineItemsUrl: l.lineitemsUrl,
    nrpsUrl: l.nrpsUrl,
    stale: l.staleAt !== null,
    staleReason: l.staleReason,
    lastLaunchAt: l.lastLaunchAt,
  };
}

/** What the launched links tell about grade flow: stale or unconnected links explain missing grades. */
function diagnoseLinks(links: LearnerLink[]): string[] {
  return links.flatMap((l) => {
    const name = `link "${l.title ?? l.resourceLinkId}"`;
    if (l.stale)
      return [
        `${name} is stale (${l.staleReason ?? "grade-sync changed"}): it signs learners in but sends no grades — republish it with the content picker`,
      ];
    if (!l.connected)
      return [
        `${name} is not connected for grade sync: its launches carried no AGS endpoint — the LMS admin should enable grade services for the tool`,
      ];
    return [];
  });
}

function toGrade(row: CourseGradebook): LearnerGrade {
  return {
    programId: row.programId,
    courseId: row.courseId,
    courseName: row.courseName,
    grade: row.overallGrade,
    progress: row.overallProgress,
    completed: row.isCompleted,
    completedAt: row.completedAt === null ? null : new Date(row.completedAt).toISOString(),
    items: row.items.map((i) => ({ itemId: i.id, name: i.name, grade: i.grade, passed: i.passed })),
  };
}

export function diagnose(
  learner: LearnerRow,
  memberships: MembershipDetail[],
  launches: LaunchRow[],
  license: (programId: string) => string,
): string[] {
  const out: string[] = [];
  if (launches.length === 0) out.push(NEVER_LAUNCHED);
  if (memberships.length === 0) {
    out.push(
      launches.length > 0
        ? "launched from the LMS but holds no program license: the program may be full or the learner was removed — check `gg4l licenses`"
        : "not a member of any program, so holds no license",
    );
  }
  for (const m of memberships) {
    if (!m.active)
      out.push(
        `program "${m.programName}" is not active: its links cannot be published and its grades are not synced (gg4l programs activate)`,
      );
    else out.push(`member of "${m.programName}" (${license(m.programId)})`);
  }
  if (learner.isTest)
    out.push(
      `flagged as a test learner: holds ${memberships.length} license(s) and is kept out of grade sync (gg4l learners remove --test frees them)`,
    );
  if (launches.length > 0 && memberships.some((m) => m.active) && !learner.isTest) {
    out.push("linked by SSO: grades of launched links flow to the LMS");
  }
  return out;
}

function diagnoseClassroom(match: LearnerClassroomMatch): string {
  if (match.status === "matched") {
    const courses = match.entries
      .filter((e) => e.matched)
      .map((e) => `${e.classroomCourseId} (user ${e.userId})`);
    return `matched by e-mail to the Classroom roster of course ${courses.join(", ")}: grades of published columns flow to Classroom`;
  }
  return match.diagnosis ?? NOT_IN_ROSTER;
}

export async function showLearner(
  ctx: Context,
  key: string,
  opts: { offline?: boolean },
): Promise<LearnerDetail> {
  const tenant = currentTenant(ctx);
  const learner = findOne(ctx, tenant, key);
  const { db } = ctx.state();
  const memberships = learnerMemberships(db, tenant.id, learner.externalId);
  const launches = learnerLaunches(db, tenant.id, learner.externalId);
  const links = linksLaunchedBy(db, tenant.id, learner.externalId).map(toLearnerLink);
  const classroom = learnerClassroomMatch(ctx, tenant, learner);
  let grades: LearnerGrade[] | null = null;
  let gradesError: string | null = null;
  if (!opts.offline) {
    try {
      const coursera = await courseraFor(ctx, tenant);
      grades = (await coursera.gradebooks({ emailOrExternalId: learner.externalId }).all()).map(toGrade);
    } catch (error) {
      gradesError = error instanceof Error ? error.message : String(error);
    }
  }
  const license = (programId: string) => {
    const p = programSummary(db, tenant.id, programId);
    return p?.licenseCount
      ? `program licenses ${p.members}/${p.licenseCount} used`
      : `program has ${p?.members ?? 0} members`;
  };
  const gradeFlow = gradeDiagnosis(ctx, tenant, learner, grades);
  return {
    externalId: learner.externalId,
    email: learner.email,
    name: learner.fullName,
    test: learner.isTest,
    memberships,
    licenses: memberships.length,
    sso: { linked: launches.length > 0, launches },
    lmsUsers: lmsUsersOfLearner(db, tenant.id, learner.externalId),
    links,
    publishedLinks: publishedFor(ctx, tenant, learner, memberships),
    classroom,
    grades,
    gradesError,
    unsentGrades: gradeFlow.unsent,
    // Classroom has no launches: its roster, not SSO, decides whether grades reach the learner.
    diagnosis: [
      ...diagnose(learner, memberships, launches, license).filter(
        (d) => !(classroom && d === NEVER_LAUNCHED),
      ),
      ...diagnoseLinks(links),
      ...(classroom ? [diagnoseClassroom(classroom)] : []),
      ...gradeFlow.diagnosis,
    ],
  };
}

/**
 * Reasons a grade is not sent that the other diagnosis lines do not already give (test
 * learner, inactive program), nor that are no problem (unchanged, an item not attempted).
 */
const UNSENT_REASONS: ReadonlySet<SkipReason> = new Set([
  "link-stale",
  "not-completed",
  "no-launch-in-course",
  "link-not-connected",
  "never-launched-link",
  "not-joined",
  "not-in-lms-roster",
  "no-connected-link",
]);
const NAMES_SHOWN = 5;

/**
 * What happens to the learner's grades: none on Coursera yet, pulled but not yet in the
 * state, or, for each grade the sync would not send, the reason in the dry run's own words
 * (the planner decides, for this learner alone).
 */
function gradeDiagnosis(
  ctx: Context,
  tenant: TenantRow,
  learner: LearnerRow,
  live: LearnerGrade[] | null,
): { unsent: UnsentGrade[]; diagnosis: string[] } {
  const { db } = ctx.state();
  const stored = learnerGrades(db, tenant.id, learner.externalId).filter((g) => g.grade !== null);
  if (stored.length === 0) {
    const onCoursera = live?.some((g) => g.grade !== null || g.items.some((i) => i.grade !== null));
    return {
      unsent: [],
      diagnosis: [
        onCoursera
          ? "Coursera has grades for this learner that the state has not pulled yet: the next `gg4l sync daily` pulls them and posts what is eligible"
          : "no Coursera grade yet: nothing to send to the LMS until Coursera has one; the next `gg4l sync daily` after that pulls it and posts it",
      ],
    };
  }
  if (!findRegistrationByTenant(db, tenant.id)) return { unsent: [], diagnosis: [] };
  const unsent: UnsentGrade[] = [];
  preparePlan(ctx, { learner: learner.externalId }, { order: "listing" });
  try {
    for (const e of planEntries(ctx)) {
      if (e.action !== "skip" || !e.reason || !UNSENT_REASONS.has(e.reason) || e.scoreGiven == null) continue;
      unsent.push({
        courseId: e.courseId,
        courseName: e.courseName,
        itemId: e.itemId,
        itemName: e.itemName,
        grade: e.scoreGiven,
        reason: e.reason,
        because: e.because!,
      });
    }
  } finally {
    dropPlan(db);
  }
  const byReason = new Map<string, UnsentGrade[]>();
  for (const u of unsent) byReason.set(u.because, [...(byReason.get(u.because) ?? []), u]);
  const diagnosis = [...byReason].map(([because, same]) => {
    const names = same.slice(0, NAMES_SHOWN).map(gradeName);
    const more = same.length > NAMES_SHOWN ? ` and ${same.length - NAMES_SHOWN} more` : "";
    return `${same.length} grade(s) not sent (${names.join(", ")}${more}): ${because}`;
  });
  return { unsent, diagnosis };
}

function gradeName(u: UnsentGrade): string {
  const course = u.courseName ?? u.courseId;
  const what = u.itemId ? `${course} — ${u.itemName ?? u.itemId}` : `${course} (final grade)`;
  return `"${what}" ${u.grade}`;
}

export interface BulkOutcome {
  tenant: string;
  results: Array<{ key: string; externalId: string | null; outcome: string; error?: string }>;
}

/** The error a bulk result ends with, if any: exit 3 when no learner was found, 5 when some failed. */
export function bulkError(result: BulkOutcome, what: string): GgError | undefined {
  const failed = result.results.filter((r) => r.error);
  if (failed.length === 0) return undefined;
  const message = `${what}: ${failed.length} of ${result.results.length} failed (${failed.map((f) => `${f.key}: ${f.error}`).join("; ")})`;
  if (failed.length === result.results.length && failed.every((f) => f.outcome === "not-found")) {
    return new GgError(message, ExitCode.notFound, {
      hint: "`gg4l learners list` shows the known learners; `gg4l programs pull` refreshes them",
    });
  }
  return new PartialFailureError(message, { hint: "the others were done and recorded" });
}

export function markTest(ctx: Context, keys: string[], isTest: boolean): BulkOutcome {
  if (keys.length === 0)
    throw new UsageError("name at least one learner", { hint: "pass e-mails or external ids" });
  const tenant = currentTenant(ctx);
  const { db } = ctx.state();
  const result: BulkOutcome = { tenant: tenant.slug, results: [] };
  const acted: string[] = [];
  db.transaction(() => {
    for (const key of keys) {
      const found = findLearners(db, tenant.id, key);
      if (found.length !== 1) {
        result.results.push({
          key,
          externalId: null,
          outcome: found.length === 0 ? "not-found" : "ambiguous",
          error:
            found.length === 0 ? "no such learner" : `matches ${found.map((f) => f.externalId).join(", ")}`,
        });
        continue;
      }
      const changed = setTestFlag(db, tenant.id, found[0]!.externalId, isTest);
      acted.push(learnerRef(found[0]!));
      result.results.push({
        key,
        externalId: found[0]!.externalId,
        outcome: changed ? (isTest ? "marked" : "unmarked") : "unchanged",
      });
    }
  })();
  if (acted.length > 0) ctx.auditNote = `${isTest ? "marked" : "unmarked"} test: ${acted.join(", ")}`;
  return result;
}

/** A learner as the audit names them: the id, and the e-mail when it is not the id (redacted by the audit). */
function learnerRef(l: { externalId: string; email: string | null }): string {
  return l.email && l.email.toLowerCase() !== l.externalId.toLowerCase()
    ? `${l.externalId} <${l.email}>`
    : l.externalId;
}

export interface RemovalPlan {
  tenant: string;
  program: { id: string; name: string };
  learners: Array<{ externalId: string; email: string | null; test: boolean }>;
  notMembers: string[];
  licenses: { used: number; total: number | null };
}

export interface RemovalResult extends RemovalPlan {
  dryRun: boolean;
  results: Array<{ externalId: string; outcome: "removed" | "not-member" | "failed"; error?: string }>;
  freed: number;
}

export function planRemoval(
  ctx: Context,
  opts: { keys: string[]; test: boolean; program: string },
): RemovalPlan {
  const tenant = currentTenant(ctx);
  const program = resolveProgram(ctx, tenant, opts.program);
  const { db } = ctx.state();
  const members = programMembers(db, tenant.id, program.programId, false);
  const byKey = (key: string) =>
    members.find((m) => m.externalId === key) ??
    members.find((m) => m.email?.toLowerCase() === key.toLowerCase());
  const chosen = new Map<string, LearnerRow>();
  const notMembers: string[] = [];
  if (opts.test) for (const m of members.filter((x) => x.isTest)) chosen.set(m.externalId, m);
  for (const key of opts.keys) {
    const member = byKey(key);
    if (member) chosen.set(member.externalId, member);
    else notMembers.push(key);
  }
  return {
    tenant: tenant.slug,
    program: { id: program.programId, name: program.name },
    learners: [...chosen.values()].map((l) => ({ externalId: l.externalId, email: l.email, test: l.isTest })),
    notMembers,
    licenses: { used: program.members, total: program.licenseCount },
  };
}

/**
 * R5: remove learners from a program through the Coursera API, freeing their licenses.
 * More than one learner needs the program id typed back (`--confirm <programId>` or at a
 * prompt). Each removal is recorded as it succeeds; `removalError` says whether some failed.
 */
export async function removeLearners(
  ctx: Context,
  opts: { keys: string[]; test: boolean; program: string; dryRun: boolean; confirm?: string },
  showImpact: (plan: RemovalPlan) => void,
): Promise<RemovalResult> {
  if (opts.keys.length === 0 && !opts.test) {
    throw new UsageError("name the learners to remove, or pass --test", {
      hint: "e.g. gg4l learners remove ana@uni.edu --program <p>",
    });
  }
  const plan = planRemoval(ctx, opts);
  showImpact(plan);
  const base = { ...plan, dryRun: opts.dryRun, freed: 0 };
  if (plan.notMembers.length > 0 && plan.learners.length === 0) {
    throw new NotFoundError(
      `${plan.notMembers.join(", ")} ${plan.notMembers.length === 1 ? "is not a member" : "are not members"} of "${plan.program.name}"`,
      {
        hint: `\`gg4l learners list --program ${plan.program.id}\` shows its members`,
      },
    );
  }
  if (opts.dryRun || plan.learners.length === 0) return { ...base, results: [] };
  if (plan.learners.length > 1 && opts.confirm !== plan.program.id) {
    if (opts.confirm !== undefined) {
      throw new UsageError(
        `--confirm ${opts.confirm} does not name program ${plan.program.id}; nothing was removed`,
        {
          hint: `pass --confirm ${plan.program.id}`,
        },
      );
    }
    if (!ctx.canPrompt) {
      throw new UsageError(
        `removing ${plan.learners.length} learners from "${plan.program.name}" needs confirmation`,
        {
          hint: `pass --confirm ${plan.program.id}`,
        },
      );
    }
    const typed = await ctx.prompter.input(
      `Type the program id (${plan.program.id}) to remove ${plan.learners.length} learners`,
    );
    if (typed.trim() !== plan.program.id)
      throw new UsageError("the program id did not match; nothing was removed");
  }
  const tenant = currentTenant(ctx);
  const coursera = await courseraFor(ctx, tenant);
  const { db } = ctx.state();
  const results: RemovalResult["results"] = [];
  for (const learner of plan.learners) {
    try {
      const { outcome } = await coursera.removeMember(plan.program.id, learner.externalId);
      removeMembership(db, tenant.id, plan.program.id, learner.externalId);
      results.push({ externalId: learner.externalId, outcome });
    } catch (error) {
      results.push({
        externalId: learner.externalId,
        outcome: "failed",
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  ctx.auditNote = `program ${plan.program.id}: ${results
    .map((r) => `${learnerRef(plan.learners.find((l) => l.externalId === r.externalId)!)} ${r.outcome}`)
    .join(", ")}`;
  return { ...base, results, freed: results.filter((r) => r.outcome === "removed").length };
}

export function removalError(result: RemovalResult): GgError | undefined {
  const failed = result.results.filter((r) => r.outcome === "failed");
  if (failed.length === 0) return undefined;
  return new PartialFailureError(
    `${failed.length} of ${result.results.length} removals failed; the others were done and recorded`,
    {
      hint: "run the same command again to retry the failed ones",
    },
  );
}

export interface LicenseRow {
  programId: string;
  name: string;
  active: boolean;
  used: number;
  total: number | null;
  available: number | null;
  test: number;
  /** When these figures were last read from Coursera (`programs pull`, `licenses --refresh`, the daily sync). */
  pulledAt: string;
}

/** Licenses per program, as of the last pull from Coursera; `refresh` pulls first. */
export async function licenses(
  ctx: Context,
  program: string | undefined,
  opts: { refresh?: boolean } = {},
): Promise<LicenseRow[]> {
  const tenant = currentTenant(ctx);
  if (opts.refresh) await pullPrograms(ctx);
  const { db } = ctx.state();
  const rows = program ? [resolveProgram(ctx, tenant, program)] : listProgramSummaries(db, tenant.id);
  return rows.map((p) => ({
    programId: p.programId,
    name: p.name,
    active: p.active,
    used: p.members,
    total: p.licenseCount,
    available: p.licenseCount === null ? null : Math.max(0, p.licenseCount - p.members),
    test: p.testMembers,
    pulledAt: p.pulledAt,
  }));
}
