/**
 * Which LTI service scopes this tenant's LMS must grant, and what a missing optional one costs.
 * Required depends on the grade-sync option and settings: column management (`lineitem`) only
 * for `course`, where the sync creates the columns; NRPS only with no-SSO sync on.
 */
import type { ScopePolicy } from "../clients/lti/check.js";
import { AGS_SCOPE, NRPS_SCOPE } from "../clients/lti/constants.js";
import type { GradeSyncOption, LmsKind } from "../store/lms.js";

/** Every scope gg4l may use, in the order rows list them. */
export const EVERY_SCOPE: readonly string[] = [
  AGS_SCOPE.score,
  AGS_SCOPE.lineitem,
  AGS_SCOPE.lineitemReadonly,
  AGS_SCOPE.resultReadonly,
  NRPS_SCOPE,
];

export interface ScopeNeed {
  scope: string;
  required: boolean;
  /** Why it is required, or what its absence costs. */
  why: string;
}

export function scopeNeeds(gradeSync: GradeSyncOption, noSso: boolean, kind: LmsKind): ScopeNeed[] {
  const course = gradeSync === "course";
  return [
    { scope: AGS_SCOPE.score, required: true, why: "posting scores to the gradebook" },
    course
      ? {
          scope: AGS_SCOPE.lineitem,
          required: true,
          why: "grade-sync course creates a column per gradable item",
        }
      : {
          scope: AGS_SCOPE.lineitem,
          required: false,
          why: `none with grade-sync ${gradeSync} (the LMS creates the columns), but grade-sync course would need it`,
        },
    course && kind === "moodle"
      ? {
          scope: AGS_SCOPE.lineitemReadonly,
          required: true,
          why: "Moodle wants it to look a column up before creating it",
        }
      : {
          scope: AGS_SCOPE.lineitemReadonly,
          required: false,
          why: "gg4l cannot list a course's columns (lms check's line-items row)",
        },
    {
      scope: AGS_SCOPE.resultReadonly,
      required: false,
      why: "gg4l cannot read back the grades the gradebook holds",
    },
    noSso
      ? { scope: NRPS_SCOPE, required: true, why: "no-SSO sync matches learners to course rosters by e-mail" }
      : {
          scope: NRPS_SCOPE,
          required: false,
          why: "no-SSO sync (settings set no-sso on) would not work: it reads course rosters",
        },
  ];
}

/**
 * The scopes a dynamic registration asks for: every one gg4l may use, whatever the option, so that
 * a later change of option or of no-SSO does not mean registering the tool again. Only the ones
 * the option cannot work without (requiredScopes) make the registration fail when withheld.
 */
export function scopesToRequest(): string[] {
  return [...EVERY_SCOPE];
}

/** What a registration cannot do without: scores, and column management for `course`. */
export function requiredScopes(gradeSync: GradeSyncOption): string[] {
  return gradeSync === "course" ? [AGS_SCOPE.score, AGS_SCOPE.lineitem] : [AGS_SCOPE.score];
}

export function shortScope(scope: string): string {
  return scope.replace(/^https:\/\/purl\.imsglobal\.org\/spec\/lti-(ags|nrps)\/scope\//, "");
}

/** What to switch on in that LMS to grant a scope. */
export function scopeSwitch(kind: LmsKind, scope: string): string {
  const nrps = scope === NRPS_SCOPE;
  switch (kind) {
    case "moodle":
      return nrps
        ? "in Moodle's tool settings (Site administration > Plugins > External tool > Manage tools), set 'IMS LTI Names and Role Provisioning' to 'Use this service to retrieve members' information as per privacy settings'"
        : "in Moodle's tool settings (Site administration > Plugins > External tool > Manage tools), set 'IMS LTI Assignment and Grade Services' to 'Use this service for grade sync and column management'";
    case "canvas":
      return nrps
        ? "in the Canvas developer key's LTI Advantage Services, switch on Names and Role Provisioning ('Can retrieve user data associated with the context the tool is installed in'), save, and turn the key on again"
        : "in the Canvas developer key's LTI Advantage Services, switch on the Assignment and Grade Services scopes ('Can create and view assignment data in the gradebook…', 'Can create and update submission results…'), save, and turn the key on again";
    case "d2l":
      return nrps
        ? "tick 'Names and Role Provisioning Services' on the D2L tool registration (Manage Extensibility > LTI Advantage)"
        : "tick 'Assignment and Grade Services' on the D2L tool registration (Manage Extensibility > LTI Advantage)";
    case "blackboard":
      return nrps
        ? "set 'Allow membership service access' to Yes in the Blackboard tool's institution policies"
        : "set 'Allow grade service access' to Yes in the Blackboard tool's institution policies";
    default:
      return "enable the LTI Advantage services (AGS, NRPS) for this tool in the LMS";
  }
}

/** The check policy of a registration: its needs, and where in its LMS each scope is switched on. */
export function scopePolicy(reg: { kind: LmsKind; gradeSync: GradeSyncOption; noSso: boolean }): ScopePolicy {
  return {
    needs: scopeNeeds(reg.gradeSync, reg.noSso, reg.kind),
    switchFor: (scope) => scopeSwitch(reg.kind, scope),
    short: shortScope,
  };
}
