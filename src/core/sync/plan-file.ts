/**
 * Saved plans (`sync grades --dry-run --plan-out F`, then `sync apply F`): a versioned JSON
 * file naming the tenant, the filters, the creation time, the fingerprint of what the plan
 * does and its items. Applying checks that the items still hash to the fingerprint (else the
 * file was edited), recomputes the plan from the state and refuses when its fingerprint
 * differs (stale): then what the state plans is exactly the file's items, and that is applied.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { ConfigError, ConflictError, UsageError } from "../../base/errors.js";
import type { Context } from "../context.js";
import {
  fingerprintOfEntries,
  type PlanEntry,
  type PlanSummary,
  planEntries,
  type SyncFilters,
} from "./plan.js";

export const PLAN_FORMAT = "gg4l-sync-plan";
/**
 * 2: entries carry linkId, container and comment, and the fingerprint hashes the entries' fields.
 * 3: posts are listed, and hashed, column by column and then by learner (external id).
 */
export const PLAN_VERSION = 3;

export interface PlanFileHeader {
  format: typeof PLAN_FORMAT;
  version: number;
  tenant: string;
  createdAt: string;
  fingerprint: string;
  filters: SyncFilters;
  summary: PlanSummary;
}

export interface PlanFile extends PlanFileHeader {
  items: PlanEntry[];
}

/** Writes the prepared plan's actionable entries; the file is created new (0600: it names learners). */
export function writePlanFile(ctx: Context, path: string, summary: PlanSummary): void {
  if (summary.fingerprint === null) throw new Error("a plan prepared with countOnly has no items to save");
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

export function readPlanFile(path: string): PlanFile {
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
  const items = (parsed as Partial<PlanFile>).items;
  if (
    !Array.isArray(items) ||
    !items.every((e) => e !== null && typeof e === "object") ||
    fingerprintOfEntries(items) !== parsed.fingerprint
  ) {
    throw new ConflictError(
      `the plan ${path} was edited: its items do not match its fingerprint ${parsed.fingerprint}`,
      {
        hint: "apply posts exactly what was reviewed: make a new plan with `gg4l sync grades --dry-run --plan-out <file>` (narrow it with --program, --course or --learner) and review that",
      },
    );
  }
  return parsed as PlanFile;
}
