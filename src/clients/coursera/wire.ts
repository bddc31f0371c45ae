/**
 * Coursera Business API wire facts in one module: paths, page size, error codes, the JSON
 * shapes on the wire and their mapping to the domain types. Tags follow
 * reference/coursera-api.md: [SEEN] observed in working client code, [DOC] Coursera material,
 * [PROPOSED] our guess. When a live tenant disagrees with a [PROPOSED] line, correct it here
 * (the fake server type-checks its responses against these interfaces).
 */
import type {
  CourseGradebook,
  CourseraContent,
  CourseraOrg,
  CourseraProgram,
  CourseraUser,
  EnrollmentReport,
  GradebookItem,
  Invitation,
  ProgramEnrollment,
  ProgramMembership,
} from "./types.js";

/** [SEEN] clients page users/enrollmentReports with 1000; [PROPOSED] the server caps there. */
export const MAX_PAGE_SIZE = 1000;

/** [SEEN] two-legged client-credentials token endpoint, on the API host's origin. */
export const TOKEN_PATH = "/oauth2/client_credentials/token";

const enc = encodeURIComponent;
const org = (orgId: string) => `/api/businesses.v1/${enc(orgId)}`;

/** Paths under the base URL (`https://api.coursera.com/ent` or legacy `https://api.coursera.org`). */
export const paths = {
  org, // [SEEN]
  users: (orgId: string) => `${org(orgId)}/users`, // [SEEN]
  programs: (orgId: string) => `${org(orgId)}/programs`, // [SEEN]
  contents: (orgId: string) => `${org(orgId)}/contents`, // [SEEN]
  enrollmentReports: (orgId: string) => `${org(orgId)}/enrollmentReports`, // [DOC]/[SEEN]
  courseGradebookReports: (orgId: string) => `${org(orgId)}/courseGradebookReports`, // [SEEN]
  invitations: (orgId: string, programId: string) => `${org(orgId)}/programs/${enc(programId)}/invitations`, // [SEEN]
  memberships: (orgId: string, programId: string) => `${org(orgId)}/programs/${enc(programId)}/memberships`, // [SEEN]
  /** [PROPOSED] GET (re-check after a failed add) and DELETE (free the license) by externalId. */
  membership: (orgId: string, programId: string, externalId: string) =>
    `${org(orgId)}/programs/${enc(programId)}/memberships/${enc(externalId)}`,
  programEnrollments: (orgId: string, programId: string) =>
    `${org(orgId)}/programs/${enc(programId)}/programEnrollments`, // [SEEN]
};

/** Coursera `errorCode` values the client reacts to. */
export const ErrorCodes = {
  /** [PROPOSED name] membership POST beyond the program's license cap. */
  noLicenses: "NO_AVAILABLE_LICENSES",
  /** [SEEN referenced] membership POST for a current member. */
  alreadyMember: "ALREADY_MEMBER",
  /** [SEEN] programEnrollments ENROLL twice. */
  alreadyEnrolled: "ALREADY_ENROLLED",
  /** [PROPOSED] membership GET/DELETE for someone who is not a member. */
  notMember: "NOT_MEMBER",
  /** [PROPOSED] programEnrollments UNENROLL for someone who is not enrolled. */
  notEnrolled: "NOT_ENROLLED",
} as const;

// ---------------------------------------------------------------------------------------------
// Envelope, token, error

export interface WirePaging {
  /** [SEEN] decimal string on the wire; legacy responses use a number. Absent on the last page. */
  next?: string | number;
  /** [SEEN] not always present. */
  total?: number;
}

export interface WireEnvelope<T> {
  elements: T[];
  paging?: WirePaging;
  linked?: Record<string, unknown>;
}

export interface WireToken {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

/** [SEEN] errorCode and/or message; [PROPOSED] Naptime `details`. */
export interface WireError {
  errorCode?: string;
  message?: string;
  details?: unknown;
}

// ---------------------------------------------------------------------------------------------
// Resources

export interface WireOrg {
  id: string;
  name: string;
  slug?: string;
  description?: string;
}

/** [SEEN] `/users` element. `membershipState` values beyond MEMBER are [PROPOSED]. */
export interface WireUser {
  id: string;
  externalId: string;
  email?: string;
  fullName?: string;
  membershipState?: string;
  membershipProgramIds?: string[];
  joinedAt?: number;
  lastLoginAt?: number;
}

/** [SEEN] `/programs` element; `url` and `licenseCount` (the license cap, §8.1) are [PROPOSED]. */
export interface WireProgram {
  id: string;
  name: string;
  slug?: string;
  description?: string;
  state?: string;
  url?: string;
  licenseCount?: number;
  contentCount?: number;
  contents?: WireContent[];
}

/**
 * [SEEN] `/contents` element. `extraMetadata.definition` is a typed union in the portal YAML;
 * `courseType: "GuidedProject"` is [PROPOSED].
 */
export interface WireContent {
  contentId: string;
  id?: string;
  contentType: string;
  name?: string;
  title?: string;
  slug?: string;
  description?: string;
  url?: string;
  difficultyLevel?: string;
  duration?: string;
  workload?: string;
  languageCode?: string;
  partnerNames?: string[];
  instructors?: string[];
  programIds?: string[];
  extraMetadata?: {
    typeName?: string;
    definition?: {
      courseType?: string;
      skills?: string[];
      estimatedLearningTime?: number;
      courseIds?: string[];
    };
  };
}

/** [DOC]/[SEEN] `/enrollmentReports` row; timestamps epoch ms; `grade` 0–1. */
export interface WireEnrollmentReport {
  id?: string;
  programId: string;
  programName?: string;
  programSlug?: string;
  externalId: string;
  email?: string;
  fullName?: string;
  contentId: string;
  contentType?: string;
  contentName?: string;
  contentSlug?: string;
  partnerNames?: string[];
  contentCertificateUrl?: string | null;
  membershipState?: string;
  enrolledAt?: number;
  lastActivityAt?: number;
  /** Older responses. */
  lastActivity?: number;
  completedAt?: number | null;
  isCompleted?: boolean;
  overallProgress?: number;
  grade?: number | null;
  approxTotalCourseHrs?: number;
  deletedAt?: number | null;
  updatedAt?: number;
}

/** [SEEN] `courseGradebookReports` item entry; `itemGrade` 0–100 and weights summing to 100 are [PROPOSED]. */
export interface WireItemGradebook {
  itemId: string;
  contentItemId?: string;
  itemName?: string;
  itemType?: string;
  itemOrder?: number;
  isItemPassed?: boolean;
  itemGrade?: number | null;
  itemWeight?: number | null;
  itemDeadline?: number | null;
  itemRiskFlags?: string[];
  moduleId?: string;
  moduleName?: string;
  lessonId?: string;
  lessonName?: string;
}

/** [SEEN] `courseGradebookReports` row; `overallCourseGrade` 0–100 is [PROPOSED]. */
export interface WireGradebookReport {
  externalId: string;
  email?: string;
  fullName?: string;
  userId?: string;
  programId: string;
  courseId: string;
  courseName?: string;
  overallCourseGrade?: number | null;
  overallProgress?: number;
  approxTotalLearningHrs?: number;
  enrolledAt?: number;
  completedAt?: number | null;
  lastActivityAt?: number;
  isCompleted?: boolean;
  riskFlags?: string[];
  collectionId?: string | null;
  collectionName?: string | null;
  deletedAt?: number | null;
  itemGradebooks?: WireItemGradebook[];
}

/** [SEEN] membership POST response; [PROPOSED] also the GET/DELETE body. */
export interface WireMembership {
  id?: string;
  externalId: string;
  email?: string;
  fullName?: string;
  state?: string;
  programId?: string;
  joinedAt?: number;
}

export interface WireInvitation {
  id?: string;
  externalId: string;
  email?: string;
  state?: string;
  invitedAt?: number;
  programId?: string;
}

export interface WireProgramEnrollment {
  id?: string;
  externalId: string;
  contentId: string;
  contentType?: string;
  action?: string;
  state?: string;
  enrolledAt?: number;
}

// ---------------------------------------------------------------------------------------------
// Mapping to domain types

const Y2000_MS = 946_684_800_000;
const Y2100_S = 4_102_444_800;

/**
 * Epoch milliseconds, or null. A value that can only be seconds (2000–2100 read as seconds)
 * is converted; anything else before 2000 is rejected rather than shown as a 1970 date.
 */
export function epochMs(value: unknown): number | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  if (value >= Y2000_MS) return value;
  if (value >= Y2000_MS / 1000 && value < Y2100_S) return value * 1000;
  return null;
}

const str = (value: unknown): string | null => (typeof value === "string" ? value : null);
const num = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;

export function toOrg(w: WireOrg | WireEnvelope<WireOrg>): CourseraOrg {
  // [SEEN] code reads a bare object; a Naptime get-by-id answers with an envelope. Accept both.
  const o = "elements" in w ? w.elements[0] : w;
  if (!o) return { id: "", name: "", slug: null, description: null };
  return { id: o.id, name: o.name, slug: str(o.slug), description: str(o.description) };
}

export function toUser(w: WireUser): CourseraUser {
  return {
    id: w.id,
    externalId: w.externalId,
    email: str(w.email),
    fullName: str(w.fullName),
    membershipState: str(w.membershipState),
    programIds: Array.isArray(w.membershipProgramIds) ? w.membershipProgramIds : [],
    joinedAt: epochMs(w.joinedAt),
    lastLoginAt: epochMs(w.lastLoginAt),
  };
}

export function toProgram(w: WireProgram): CourseraProgram {
  return {
    id: w.id,
    name: w.name,
    slug: str(w.slug),
    description: str(w.description),
    state: str(w.state),
    url: str(w.url),
    licenseCount: num(w.licenseCount),
  };
}

export function toContent(w: WireContent): CourseraContent {
  const def = w.extraMetadata?.definition;
  return {
    id: w.contentId ?? w.id,
    type: w.contentType,
    name: w.name ?? w.title ?? "",
    slug: str(w.slug),
    description: str(w.description),
    url: str(w.url),
    courseType: str(def?.courseType),
    difficultyLevel: str(w.difficultyLevel),
    workload: str(w.workload ?? w.duration),
    languageCode: str(w.languageCode),
    partnerNames: Array.isArray(w.partnerNames) ? w.partnerNames : [],
    programIds: Array.isArray(w.programIds) ? w.programIds : [],
    courseIds: Array.isArray(def?.courseIds) ? def.courseIds : [],
  };
}

export function toEnrollmentReport(w: WireEnrollmentReport): EnrollmentReport {
  return {
    programId: w.programId,
    externalId: w.externalId,
    email: str(w.email),
    fullName: str(w.fullName),
    contentId: w.contentId,
    contentType: str(w.contentType),
    contentName: str(w.contentName),
    membershipState: str(w.membershipState),
    enrolledAt: epochMs(w.enrolledAt),
    lastActivityAt: epochMs(w.lastActivityAt ?? w.lastActivity),
    completedAt: epochMs(w.completedAt),
    isCompleted: w.isCompleted === true,
    overallProgress: num(w.overallProgress),
    grade: num(w.grade),
    deletedAt: epochMs(w.deletedAt),
  };
}

export function toGradebookItem(w: WireItemGradebook): GradebookItem {
  return {
    id: w.itemId ?? w.contentItemId,
    name: w.itemName ?? w.itemId,
    type: str(w.itemType),
    order: num(w.itemOrder),
    weight: num(w.itemWeight),
    deadline: epochMs(w.itemDeadline),
    moduleId: str(w.moduleId),
    moduleName: str(w.moduleName),
    lessonId: str(w.lessonId),
    lessonName: str(w.lessonName),
    grade: num(w.itemGrade),
    passed: w.isItemPassed === true,
  };
}

export function toGradebook(w: WireGradebookReport): CourseGradebook {
  const items = Array.isArray(w.itemGradebooks) ? w.itemGradebooks.map(toGradebookItem) : [];
  return {
    programId: w.programId,
    courseId: w.courseId,
    courseName: str(w.courseName),
    externalId: w.externalId,
    email: str(w.email),
    fullName: str(w.fullName),
    userId: str(w.userId),
    overallGrade: num(w.overallCourseGrade),
    overallProgress: num(w.overallProgress),
    isCompleted: w.isCompleted === true,
    completedAt: epochMs(w.completedAt),
    enrolledAt: epochMs(w.enrolledAt),
    lastActivityAt: epochMs(w.lastActivityAt),
    deletedAt: epochMs(w.deletedAt),
    items,
  };
}

export function toMembership(w: WireMembership, programId: string): ProgramMembership {
  return {
    programId: w.programId ?? programId,
    externalId: w.externalId,
    email: str(w.email),
    fullName: str(w.fullName),
    state: str(w.state),
    joinedAt: epochMs(w.joinedAt),
  };
}

export function toInvitation(w: WireInvitation, programId: string): Invitation {
  return {
    id: str(w.id),
    programId: w.programId ?? programId,
    externalId: w.externalId,
    email: str(w.email),
    state: str(w.state),
    invitedAt: epochMs(w.invitedAt),
  };
}

export function toProgramEnrollment(w: WireProgramEnrollment, programId: string): ProgramEnrollment {
  return {
    programId,
    externalId: w.externalId,
    contentId: w.contentId,
    contentType: str(w.contentType),
    state: str(w.state),
    enrolledAt: epochMs(w.enrolledAt),
  };
}
