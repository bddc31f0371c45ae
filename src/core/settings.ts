import { UsageError } from "../base/errors.js";
import { linkStalenessEffect, markLinksStale, restoreLinks } from "../store/links.js";
import {
  findRegistrationsByIssuer,
  type GradeSyncOption,
  gradeSyncOptions,
  setFlag,
  setGradeSync,
} from "../store/lms.js";
import { confirmOrRefuse } from "./confirm.js";
import type { Context } from "./context.js";
import { requireRegistration } from "./lms.js";
import { oneOf } from "./validate.js";

/** The grade-sync options (R1), for the commands that take one. */
export { gradeSyncOptions };

export interface SettingsView {
  tenant: string;
  lms: string;
  issuer: string;
  gradeSync: GradeSyncOption;
  incremental: boolean;
  noSso: boolean;
  /** Google Classroom: graded submissions are returned to students (always false for the other kinds). */
  classroomReturn: boolean;
  /** R5: a learner marked as test who launches a link may take a license ("allow") or not ("deny"). */
  testLaunches: "allow" | "deny";
}

export function showSettings(ctx: Context): SettingsView {
  const { tenant, reg } = requireRegistration(ctx);
  return {
    tenant: tenant.slug,
    lms: reg.kind,
    issuer: reg.issuer,
    gradeSync: reg.gradeSync,
    incremental: reg.incremental,
    noSso: reg.noSso,
    classroomReturn: reg.kind === "google-classroom" && reg.classroomReturn,
    testLaunches: reg.testLaunches ? "allow" : "deny",
  };
}

export interface TestLaunchesChange {
  tenant: string;
  setting: "test-launches";
  value: "allow" | "deny";
  changed: boolean;
}

/** R5: whether a launch by a learner marked as test takes a license. */
export function setTestLaunches(ctx: Context, value: string): TestLaunchesChange {
  const choice = oneOf(value, ["allow", "deny"] as const, "test-launches");
  const { tenant, reg } = requireRegistration(ctx);
  const allow = choice === "allow";
  if (reg.testLaunches !== allow)
    setFlag(ctx.state().db, reg.id, "test_launches", allow, ctx.now().toISOString());
  return {
    tenant: tenant.slug,
    setting: "test-launches",
    value: choice,
    changed: reg.testLaunches !== allow,
  };
}

export interface FlagChange {
  tenant: string;
  setting: "incremental" | "no-sso" | "classroom-return";
  value: boolean;
  changed: boolean;
  /** One sentence: what the setting's value means for students. */
  forStudents: string;
}

const FOR_STUDENTS = {
  incremental: {
    on: "students are sent a grade only when it is new or changed, so the LMS notifies them only then",
    off: "every run sends every eligible grade again, so an LMS that notifies on grades tells students about grades they already have, every night",
  },
  "no-sso": {
    on: "a student who has opened any one link of a program gets grades on all of its connected links, without opening each (found through a launch or the LMS roster by e-mail)",
    off: "a student gets a grade on a link only once they have opened that link themselves",
  },
  "classroom-return": {
    on: "students see a grade when their turned-in work is returned; grades of work not turned in stay written, not released",
    off: "grades are written as drafts: students see them once a teacher returns the work in Classroom",
  },
} as const;

const FLAG_COLUMNS = {
  incremental: "incremental",
  "no-sso": "no_sso",
  "classroom-return": "classroom_return",
} as const;

export function setSyncFlag(
  ctx: Context,
  setting: "incremental" | "no-sso" | "classroom-return",
  value: boolean,
): FlagChange {
  const { tenant, reg } = requireRegistration(ctx);
  if (setting === "classroom-return" && reg.kind !== "google-classroom") {
    throw new UsageError(
      `classroom-return is a Google Classroom setting; tenant "${tenant.slug}" uses ${reg.kind}`,
      {
        hint: "LTI LMSs release grades themselves; nothing to set",
      },
    );
  }
  const current =
    setting === "incremental" ? reg.incremental : setting === "no-sso" ? reg.noSso : reg.classroomReturn;
  if (current !== value) {
    setFlag(ctx.state().db, reg.id, FLAG_COLUMNS[setting], value, ctx.now().toISOString());
  }
  return {
    tenant: tenant.slug,
    setting,
    value,
    changed: current !== value,
    forStudents: FOR_STUDENTS[setting][value ? "on" : "off"],
  };
}

export interface GradeSyncChange {
  tenant: string;
  issuer: string;
  previous: GradeSyncOption;
  gradeSync: GradeSyncOption;
  changed: boolean;
  /** Tenants registered on the same LMS instance; R1 moves them together. */
  tenants: string[];
  /** Links the change makes stale (published under another option). */
  staleLinks: number;
  /** Links published under the new option, stale until now: current (connected) again. */
  restoredLinks: number;
}

export const gradeSyncCost =
  "the LMS admin must reconfigure the tool, instructors must republish every Coursera link, and every learner must launch again before grades flow (about a week)";

/**
 * R1: the option belongs to the LMS instance; changing it costs a week, makes the links published
 * under another option stale, and brings back those published under the new one.
 */
export async function changeGradeSync(
  ctx: Context,
  value: string,
  yes: boolean | undefined,
): Promise<GradeSyncChange> {
  const option = oneOf(value, gradeSyncOptions, "grade-sync");
  const { tenant, reg } = requireRegistration(ctx);
  const { db } = ctx.state();
  const sameInstance = findRegistrationsByIssuer(db, reg.issuer);
  const tenants = sameInstance.map((r) => r.tenantSlug);
  if (reg.gradeSync === option) {
    return {
      tenant: tenant.slug,
      issuer: reg.issuer,
      previous: option,
      gradeSync: option,
      changed: false,
      tenants,
      staleLinks: 0,
      restoredLinks: 0,
    };
  }
  const ids = sameInstance.map((r) => r.id);
  const effect = linkStalenessEffect(db, ids, option);
  const others = tenants.filter((slug) => slug !== tenant.slug);
  const scope = others.length > 0 ? ` (also for tenants ${others.join(", ")} on the same LMS)` : "";
  await confirmOrRefuse(ctx, {
    yes,
    question: `Change grade-sync of ${reg.issuer} from "${reg.gradeSync}" to "${option}"${scope}? Cost: ${gradeSyncCost}. ${effect.stale} link(s) will be marked stale, ${effect.restored} published under "${option}" come back.`,
    refusal: `not changing grade-sync from "${reg.gradeSync}" to "${option}"`,
  });
  const now = ctx.now().toISOString();
  const { staleLinks, restoredLinks } = db.transaction(() => {
    setGradeSync(db, reg.issuer, option, now);
    return {
      staleLinks: markLinksStale(
        db,
        ids,
        option,
        `grade-sync changed from ${reg.gradeSync} to ${option}`,
        now,
      ),
      restoredLinks: restoreLinks(db, ids, option),
    };
  })();
  return {
    tenant: tenant.slug,
    issuer: reg.issuer,
    previous: reg.gradeSync,
    gradeSync: option,
    changed: true,
    tenants,
    staleLinks,
    restoredLinks,
  };
}
