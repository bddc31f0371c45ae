import type { GradeInput } from "../../fixtures/fake-coursera/store.js";

export interface GradesWanted {
  items?: Record<string, number | null>;
  course?: number;
  completed?: boolean;
}

/** The fake Coursera's grade input for one learner in one course: passed at 60, completed on a fixed day. */
export function gradeInput(
  externalId: string,
  courseId: string,
  programId: string,
  grades: GradesWanted,
): GradeInput {
  return {
    externalId,
    courseId,
    programId,
    ...(grades.items
      ? {
          items: Object.entries(grades.items).map(([itemId, grade]) => ({
            itemId,
            grade,
            passed: (grade ?? 0) >= 60,
          })),
        }
      : {}),
    ...(grades.course !== undefined ? { overallCourseGrade: grades.course } : {}),
    ...(grades.completed !== undefined
      ? {
          isCompleted: grades.completed,
          completedAt: grades.completed ? Date.parse("2026-11-20T10:00:00Z") : null,
        }
      : {}),
  };
}
