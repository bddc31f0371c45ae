/**
 * Domain types the Coursera client returns. Timestamps are epoch milliseconds or null;
 * optional wire fields become null so callers never test for undefined.
 */
export interface CourseraOrg {
  id: string;
  name: string;
  slug: string | null;
  description: string | null;
}

export interface CourseraProgram {
  id: string;
  name: string;
  slug: string | null;
  description: string | null;
  state: string | null;
  url: string | null;
  /** Licenses (seats) the program was bought with; null when Coursera does not say. */
  licenseCount: number | null;
}

/** A course or specialization of one or more programs. */
export interface CourseraContent {
  id: string;
  /** "Course" or "Specialization" (other values passed through). */
  type: string;
  name: string;
  slug: string | null;
  description: string | null;
  url: string | null;
  /** e.g. "GuidedProject"; null for an ordinary course. */
  courseType: string | null;
  difficultyLevel: string | null;
  workload: string | null;
  languageCode: string | null;
  partnerNames: string[];
  programIds: string[];
  /** Courses of a specialization; empty for a course. */
  courseIds: string[];
}

/** A gradable item (assignment, quiz, ...) of a course. */
export interface GradableItem {
  id: string;
  name: string;
  type: string | null;
  order: number | null;
  /** Share of the course grade, 0–100. */
  weight: number | null;
  deadline: number | null;
  moduleId: string | null;
  moduleName: string | null;
  lessonId: string | null;
  lessonName: string | null;
}

/** A course's gradable items, learned from the gradebook (the only enterprise source of items). */
export interface CourseWithItems extends CourseraContent {
  /** null when nobody has a gradebook row in the course yet, so its items are not known. */
  items: GradableItem[] | null;
}

/** A learner's result on one item. */
export interface GradebookItem extends GradableItem {
  /** 0–100, null when not attempted. */
  grade: number | null;
  passed: boolean;
}

/** One learner × course row of `courseGradebookReports`. */
export interface CourseGradebook {
  programId: string;
  courseId: string;
  courseName: string | null;
  externalId: string;
  email: string | null;
  fullName: string | null;
  userId: string | null;
  /** 0–100. */
  overallGrade: number | null;
  /** 0–100. */
  overallProgress: number | null;
  isCompleted: boolean;
  completedAt: number | null;
  enrolledAt: number | null;
  lastActivityAt: number | null;
  /** Set for a removed member when asked with includeDeletedMembers. */
  deletedAt: number | null;
  items: GradebookItem[];
}

/** One learner × content row of `enrollmentReports`. */
export interface EnrollmentReport {
  programId: string;
  externalId: string;
  email: string | null;
  fullName: string | null;
  contentId: string;
  contentType: string | null;
  contentName: string | null;
  membershipState: string | null;
  enrolledAt: number | null;
  lastActivityAt: number | null;
  completedAt: number | null;
  isCompleted: boolean;
  /** 0–100. */
  overallProgress: number | null;
  /** Fraction 0–1. */
  grade: number | null;
  deletedAt: number | null;
}

/** A user of the organization (`/users`), with the programs they are a member of. */
export interface CourseraUser {
  id: string;
  externalId: string;
  email: string | null;
  fullName: string | null;
  membershipState: string | null;
  programIds: string[];
  joinedAt: number | null;
  lastLoginAt: number | null;
}

/** A learner holding a license in a program. */
export interface ProgramMembership {
  programId: string;
  externalId: string;
  email: string | null;
  fullName: string | null;
  state: string | null;
  joinedAt: number | null;
}

export interface LearnerRef {
  externalId: string;
  email?: string;
  fullName?: string;
}

export interface AddMemberResult {
  /**
   * `added`: this call added the member; `already-member`: they held a license before;
   * `confirmed`: the add failed in transit and a re-check found the member present.
   */
  outcome: "added" | "already-member" | "confirmed";
  membership: ProgramMembership;
}

export interface RemoveMemberResult {
  /** `removed`: the license is freed; `not-member`: there was nothing to remove. */
  outcome: "removed" | "not-member";
}

export interface Invitation {
  id: string | null;
  programId: string;
  externalId: string;
  email: string | null;
  state: string | null;
  invitedAt: number | null;
}

export interface ProgramEnrollment {
  programId: string;
  externalId: string;
  contentId: string;
  contentType: string | null;
  state: string | null;
  enrolledAt: number | null;
}

export interface EnrollmentReportFilter {
  /** One program (q=byProgramId) or, with externalId, one learner in it (q=byUserProgramId). */
  programId?: string;
  externalId?: string;
  includeSpecializations?: boolean;
  /** Epoch ms. */
  completedAfter?: number;
}

export interface GradebookFilter {
  programId?: string;
  courseId?: string;
  emailOrExternalId?: string;
  includeDeletedMembers?: boolean;
}
