/**
 * Publishing content (deep linking, R10): a content picker — the program first when two or
 * more are active, skipped with one; then the course; with Option A (`assignment`) the
 * gradable items — answered with a signed LtiDeepLinkingResponse of `ltiResourceLink`s
 * whose custom parameters say what each opens and which carry the line item the grade-sync
 * option needs (assignment: one per item; final: one per course; course: none, the sync
 * creates the per-item columns).
 */
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { type CourseRow, type ItemRow, listCourses, listItems } from "../../store/courses.js";
import { findRegistrationsByIssuer, type LmsRegistrationRow } from "../../store/lms.js";
import { listProgramSummaries, type ProgramSummary } from "../../store/programs.js";
import type { TenantRow } from "../../store/tenants.js";
import { COLUMN_TAG } from "../gradebook.js";
import { CLAIM, CUSTOM, DEEP_LINKING_RESPONSE, LTI_VERSION } from "../launch/claims.js";
import { refuse } from "../launch/errors.js";
import { logEvent } from "../launch/log.js";
import type { LaunchServices } from "../launch/services.js";
import type { ValidLaunch } from "../launch/validate.js";
import type { PickerSession } from "./sessions.js";

export interface Choice {
  id: string;
  name: string;
}

export type PickerView =
  | { step: "program"; session: string; programs: Choice[] }
  | {
      step: "course";
      session: string;
      program: Choice;
      programSkipped: boolean;
      courses: Choice[];
      /** The course is the last choice (grade-sync course or final). */
      last: boolean;
    }
  | {
      step: "item";
      session: string;
      program: Choice;
      programSkipped: boolean;
      course: Choice;
      items: Choice[];
      multiple: boolean;
    }
  | { step: "nothing"; title: string; message: string; hint: string }
  | { step: "done"; returnUrl: string; jwt: string; count: number };

export interface PickerChoice {
  program?: string;
  course?: string;
  items: string[];
}

/** Coursera grades are percentages. */
const SCORE_MAXIMUM = 100;

export function openPicker(
  svc: LaunchServices,
  req: { registration: LmsRegistrationRow; tenant: TenantRow; launch: ValidLaunch },
): PickerView {
  const { registration: reg, tenant, launch } = req;
  const settings = launch.deepLinking!;
  if (!settings.acceptTypes.includes("ltiResourceLink"))
    refuse(
      400,
      "unsupported-content-type",
      `the LMS accepts ${settings.acceptTypes.join(", ") || "no content types"}, not LTI resource links`,
      "the LMS admin should allow LTI resource links (ltiResourceLink) for this tool",
    );
  const session = svc.pickers.open({
    registrationId: reg.id,
    issuer: reg.issuer,
    tenantId: tenant.id,
    tenantSlug: tenant.slug,
    deploymentId: launch.deploymentId,
    contextId: launch.context?.id ?? null,
    contextTitle: launch.context?.title ?? null,
    returnUrl: settings.returnUrl,
    data: settings.data,
    acceptMultiple: settings.acceptMultiple,
    acceptLineItem: settings.acceptLineItem,
    newWindow: settings.acceptTargets.includes("window"),
  });
  logEvent(svc.ctx, "picker-opened", { tenant: tenant.slug, lms: reg.kind, context: launch.context?.id });
  const first = advance(svc, session, reg, { items: [] });
  // The first page always asks for something (a complete choice needs at least a course).
  return first.step === "picked" ? refuse(500, "picker", "the picker finished without a choice") : first;
}

function sessionRegistration(svc: LaunchServices, session: PickerSession): LmsRegistrationRow {
  const reg = findRegistrationsByIssuer(svc.ctx.state().db, session.issuer).find(
    (r) => r.id === session.registrationId,
  );
  if (!reg) return refuse(400, "unknown-issuer", "the LMS registration of this content picker is gone");
  return reg;
}

function nothing(title: string, message: string, hint: string): PickerView {
  return { step: "nothing", title, message, hint };
}

const choice = (id: string, name: string): Choice => ({ id, name });

interface Picked {
  step: "picked";
  program: ProgramSummary;
  course: CourseRow;
  /** null: the whole course (Option B, final). */
  items: ItemRow[] | null;
}

/** The page for what is chosen so far, or what was picked once the choice is complete. */
function advance(
  svc: LaunchServices,
  session: PickerSession,
  reg: LmsRegistrationRow,
  picked: PickerChoice,
): PickerView | Picked {
  const db = svc.ctx.state().db;
  const programs = listProgramSummaries(db, session.tenantId, { active: true }).filter(
    (p) => p.goneAt === null,
  );
  if (programs.length === 0)
    return nothing(
      "No Coursera program to publish",
      "No Coursera program is active for this institution yet.",
      "Ask your institution's Coursera admin to activate the program you want to publish; then add the content again.",
    );
  const programSkipped = programs.length === 1;
  if (!programSkipped && !picked.program)
    return {
      step: "program",
      session: session.id,
      programs: programs.map((p) => choice(p.programId, p.name)),
    };
  const program = programSkipped ? programs[0] : programs.find((p) => p.programId === picked.program);
  if (!program) return refuse(400, "unknown-choice", "the chosen program is not an active program");
  const courses = listCourses(db, session.tenantId, program.programId);
  if (courses.length === 0)
    return nothing(
      "No course to publish",
      `The program "${program.name}" has no courses in gg4l yet.`,
      `Ask your institution's Coursera admin to refresh the courses of the program "${program.name}"; then add the content again.`,
    );
  const programChoice = choice(program.programId, program.name);
  if (!picked.course)
    return {
      step: "course",
      session: session.id,
      program: programChoice,
      programSkipped,
      courses: courses.map((c) => choice(c.courseId, c.name)),
      last: reg.gradeSync !== "assignment",
    };
  const course = courses.find((c) => c.courseId === picked.course);
  if (!course)
    return refuse(400, "unknown-choice", `the chosen course is not in the program "${program.name}"`);
  if (reg.gradeSync !== "assignment") return { step: "picked", program, course, items: null };
  const items = listItems(db, session.tenantId, course.courseId);
  if (items.length === 0)
    return nothing(
      "No gradable item known yet",
      `gg4l does not know the gradable items of "${course.name}" yet: Coursera shows them once a learner has started the course.`,
      `Ask your institution's Coursera admin to refresh the courses of the program "${program.name}" once a learner has started the course; publish the items then.`,
    );
  if (picked.items.length === 0)
    return {
      step: "item",
      session: session.id,
      program: programChoice,
      programSkipped,
      course: choice(course.courseId, course.name),
      items: items.map((i) => choice(i.itemId, i.name)),
      multiple: session.acceptMultiple,
    };
  const chosen = items.filter((i) => picked.items.includes(i.itemId));
  if (chosen.length !== new Set(picked.items).size)
    refuse(400, "unknown-choice", `a chosen item is not a gradable item of "${course.name}"`);
  if (chosen.length > 1 && !session.acceptMultiple)
    refuse(400, "one-item-only", "the LMS accepts one item at a time here", "choose one item");
  return { step: "picked", program, course, items: chosen };
}

/** The `ltiResourceLink` content items for what was picked, with the line items `gradeSync` needs. */
export function contentItems(
  picked: Omit<Picked, "step">,
  opts: { gradeSync: string; launchUrl: string; acceptLineItem: boolean; newWindow: boolean },
): Array<Record<string, unknown>> {
  const { program, course } = picked;
  const targets: Array<ItemRow | null> = picked.items ?? [null];
  return targets.map((item) => {
    const title = item ? `${course.name}: ${item.name}` : course.name;
    const custom: Record<string, string> = {
      [CUSTOM.programId]: program.programId,
      [CUSTOM.courseId]: course.courseId,
      ...(item ? { [CUSTOM.itemId]: item.itemId } : {}),
      [CUSTOM.gradeSync]: opts.gradeSync,
    };
    const lineItem =
      opts.gradeSync === "assignment" && item
        ? { scoreMaximum: SCORE_MAXIMUM, label: title, resourceId: item.itemId, tag: COLUMN_TAG.item }
        : opts.gradeSync === "final"
          ? {
              scoreMaximum: SCORE_MAXIMUM,
              label: `${course.name} (final grade)`,
              resourceId: course.courseId,
              tag: COLUMN_TAG.final,
            }
          : undefined;
    return {
      type: "ltiResourceLink",
      title,
      text: `Coursera, ${program.name}`,
      url: opts.launchUrl,
      custom,
      ...(lineItem && opts.acceptLineItem ? { lineItem } : {}),
      ...(opts.newWindow ? { window: { targetName: "_blank" } } : {}),
    };
  });
}

async function signResponse(
  svc: LaunchServices,
  session: PickerSession,
  reg: LmsRegistrationRow,
  items: Array<Record<string, unknown>>,
): Promise<string> {
  const now = Math.floor(svc.ctx.now().getTime() / 1000);
  return new SignJWT({
    nonce: randomBytes(16).toString("base64url"),
    [CLAIM.messageType]: DEEP_LINKING_RESPONSE,
    [CLAIM.version]: LTI_VERSION,
    [CLAIM.deploymentId]: session.deploymentId,
    ...(session.data !== null ? { [CLAIM.dlData]: session.data } : {}),
    [CLAIM.dlContentItems]: items,
    [CLAIM.dlMsg]: `Added ${items.length} Coursera link${items.length === 1 ? "" : "s"}`,
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: svc.toolKey.kid })
    .setIssuer(reg.clientId)
    .setAudience(reg.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(svc.toolKey.privateKey);
}

/** One page of the picker: the next choice to make, or the signed answer to post back to the LMS. */
export async function pickerStep(
  svc: LaunchServices,
  sessionId: string,
  picked: PickerChoice,
): Promise<PickerView> {
  const session = sessionId ? svc.pickers.get(sessionId) : undefined;
  if (!session)
    return refuse(
      410,
      "picker-expired",
      "this content picker has expired or was already used",
      "open the content picker from the LMS again",
    );
  const reg = sessionRegistration(svc, session);
  const next = advance(svc, session, reg, picked);
  if (next.step !== "picked") return next;
  const items = contentItems(next, {
    gradeSync: reg.gradeSync,
    launchUrl: svc.urls.launchUrl,
    acceptLineItem: session.acceptLineItem,
    newWindow: session.newWindow,
  });
  const jwt = await signResponse(svc, session, reg, items);
  svc.pickers.close(session.id);
  logEvent(svc.ctx, "published", {
    tenant: session.tenantSlug,
    lms: reg.kind,
    context: session.contextId,
    program: next.program.programId,
    course: next.course.courseId,
    items: next.items?.map((i) => i.itemId).join(","),
    links: items.length,
    "line-items": items.filter((i) => i.lineItem).length,
    "grade-sync": reg.gradeSync,
  });
  return { step: "done", returnUrl: session.returnUrl, jwt, count: items.length };
}
