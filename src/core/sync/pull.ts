/** Pull the gradebooks of every active program into the state, replacing the last pull. */
import { type PulledGrade, replaceGrades } from "../../store/grades.js";
import { listProgramSummaries } from "../../store/programs.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";
import { courseraFor } from "../coursera.js";

export interface GradePull {
  programs: number;
  grades: number;
}

/** `onRead` is told how many grades were read so far, a page at a time. */
export async function pullGrades(
  ctx: Context,
  tenant: TenantRow,
  onRead?: (grades: number) => void,
): Promise<GradePull> {
  const { db } = ctx.state();
  const programs = listProgramSummaries(db, tenant.id, { active: true }).filter((p) => p.goneAt === null);
  const coursera = await courseraFor(ctx, tenant);
  ctx.logger.info(`Pulling Coursera gradebooks of ${programs.length} active program(s)…`);
  let read = 0;
  async function* pages(): AsyncGenerator<PulledGrade[]> {
    for (const program of programs) {
      for await (const page of coursera.gradebooks({ programId: program.programId }).pages()) {
        const out: PulledGrade[] = [];
        for (const row of page) {
          const base = { externalId: row.externalId, courseId: row.courseId, programId: program.programId };
          out.push({
            ...base,
            itemId: "",
            grade: row.overallGrade,
            passed: row.isCompleted,
            completed: row.isCompleted,
            completedAt: row.completedAt,
          });
          for (const item of row.items) {
            out.push({
              ...base,
              itemId: item.id,
              grade: item.grade,
              passed: item.passed,
              completed: false,
              completedAt: null,
            });
          }
        }
        read += out.length;
        onRead?.(read);
        yield out;
      }
    }
  }
  const grades = await replaceGrades(db, tenant.id, pages());
  return { programs: programs.length, grades };
}
