import { redact } from "../base/redact.js";
import { type AuditEntry, appendAudit, listAudit } from "../store/audit.js";
import type { Context } from "./context.js";
import { parseLimit } from "./validate.js";

export type { AuditEntry };

export interface AuditRecord {
  command: string;
  args: string[];
  tenant: string | null;
  exitCode: number;
  message: string | null;
}

/** An audit row that could not go into the state, and why; the caller puts it on stderr. */
export interface UnwrittenAudit {
  entry: Omit<AuditEntry, "id">;
  reason: string;
}

/**
 * Write one audit row for a mutating command; arguments and message are redacted. A state
 * known to be corrupt is never written to, and a full disk or a read-only state cannot be:
 * the row is returned instead.
 */
export function recordAudit(
  ctx: Context,
  record: AuditRecord,
  stateCorrupt = false,
): UnwrittenAudit | undefined {
  const state = ctx.openedState();
  const entry: Omit<AuditEntry, "id"> = {
    at: ctx.now().toISOString(),
    osUser: ctx.osUser,
    tenant: record.tenant,
    command: record.command,
    args: record.args.map(redact),
    outcome: record.exitCode === 0 ? "ok" : "failed",
    exitCode: record.exitCode,
    message: record.message === null ? null : redact(record.message),
  };
  if (stateCorrupt) return { entry, reason: "not written to the corrupt state" };
  if (!state) return undefined;
  try {
    appendAudit(state.db, entry);
    return undefined;
  } catch (error) {
    return { entry, reason: `could not be written: ${(error as Error).message}` };
  }
}

export function readAudit(ctx: Context, limitText: string): AuditEntry[] {
  const limit = parseLimit(limitText);
  const tenant = ctx.tenantFlag ?? ctx.env.GG4L_TENANT;
  return listAudit(ctx.state().db, limit, tenant);
}
