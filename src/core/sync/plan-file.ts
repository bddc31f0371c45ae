/**
 * Saved plans (`sync grades --dry-run --plan-out F`, then `sync apply F`): a versioned JSON
 * file naming the tenant, the filters, the creation time and the fingerprint of what the plan
 * does. Applying recomputes the plan from the state and refuses when the fingerprint differs.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { ConfigError, UsageError } from "../../base/errors.js";
import type { Context } from "../context.js";
import { type PlanSummary, planEntries, type SyncFilters } from "./plan.js";

export const PLAN_FORMAT = "gg4l-sync-plan";
export const PLAN_VERSION = 1;

export interface PlanFileHeader {
  format: typeof PLAN_FORMAT;
  version: number;
  tenant: string;
  createdAt: string;
  fingerprint: string;
  filters: SyncFilters;
  summary: PlanSummary;
}

/** Writes the prepared plan's actionable entries; the file is created new (0600: it names learners). */
export function writePlanFile(ctx: Context, path: string, summary: PlanSummary): void {
  const header: PlanFileHeader = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    tenant: summary.tenant,
    createdAt: ctx.now().toISOString(),
    fingerprint: summary.fingerprint,
    filters: summary.filters,
    summary,
  };
  let fd: number;
  try {
    fd = openSync(path, "w", 0o600);
  } catch (error) {
    throw new UsageError(`cannot write the plan to ${path}: ${(error as Error).message}`, {
      hint: "pass a writable path to --plan-out",
    });
  }
  try {
    const head = JSON.stringify(header, null, 2);
    writeSync(fd, `${head.slice(0, -2)},\n  "items": [`);
    let first = true;
    for (const entry of planEntries(ctx)) {
      if (entry.action === "skip") continue;
      writeSync(fd, `${first ? "\n" : ",\n"}    ${JSON.stringify(entry)}`);
      first = false;
    }
    writeSync(fd, "\n  ]\n}\n");
  } finally {
    closeSync(fd);
  }
}

export function readPlanFile(path: string): PlanFileHeader {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read the plan ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        hint: "make one with `gg4l sync grades --dry-run --plan-out <file>`",
      },
    );
  }
  let parsed: Partial<PlanFileHeader>;
  try {
    parsed = JSON.parse(text) as Partial<PlanFileHeader>;
  } catch {
    throw new ConfigError(`${path} is not a gg4l sync plan (not valid JSON)`, {
      hint: "make a new one with `gg4l sync grades --dry-run --plan-out <file>`",
    });
  }
  if (
    parsed.format !== PLAN_FORMAT ||
    typeof parsed.fingerprint !== "string" ||
    typeof parsed.tenant !== "string"
  ) {
    throw new ConfigError(`${path} is not a gg4l sync plan`, {
      hint: "make one with `gg4l sync grades --dry-run --plan-out <file>`",
    });
  }
  if (parsed.version !== PLAN_VERSION) {
    throw new ConfigError(
      `${path} is a version ${parsed.version} plan; this gg4l reads version ${PLAN_VERSION}`,
      {
        hint: "make the plan again with this gg4l",
      },
    );
  }
  return parsed as PlanFileHeader;
}
