/** The Classroom resources gg4l reads and writes (wire names, reference §2, §3, §5). */

export interface Course {
  id: string;
  name: string;
  section?: string;
  ownerId?: string;
  courseState?: "COURSE_STATE_UNSPECIFIED" | "ACTIVE" | "ARCHIVED" | "PROVISIONED" | "DECLINED" | "SUSPENDED";
  alternateLink?: string;
}

export interface UserProfile {
  id: string;
  name?: { givenName?: string; familyName?: string; fullName?: string };
  /** Filled only with the classroom.profile.emails scope. */
  emailAddress?: string;
}

export interface Material {
  link?: { url: string; title?: string };
}

export interface CourseWork {
  courseId: string;
  id: string;
  title: string;
  description?: string;
  materials?: Material[];
  state?: "PUBLISHED" | "DRAFT" | "DELETED";
  alternateLink?: string;
  maxPoints?: number;
  workType?: "ASSIGNMENT" | "SHORT_ANSWER_QUESTION" | "MULTIPLE_CHOICE_QUESTION";
  creatorUserId?: string;
  /** True when the calling project created it: only then may gg4l grade it. */
  associatedWithDeveloper?: boolean;
  updateTime?: string;
}

export type SubmissionState = "NEW" | "CREATED" | "TURNED_IN" | "RETURNED" | "RECLAIMED_BY_STUDENT";

export interface StudentSubmission {
  courseId: string;
  courseWorkId: string;
  id: string;
  userId: string;
  state?: SubmissionState;
  late?: boolean;
  draftGrade?: number;
  assignedGrade?: number;
  updateTime?: string;
}
