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

/**
 * Write one audit row for a mutating command; arguments and message are redacted. A state
 * known to be corrupt is never written to: the row is returned instead, for the caller to
 * put on stderr.
 */
export function recordAudit(
  ctx: Context,
  record: AuditRecord,
  stateCorrupt = false,
): Omit<AuditEntry, "id"> | undefined {
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
  if (stateCorrupt) return entry;
  if (state) appendAudit(state.db, entry);
  return undefined;
}

export function readAudit(ctx: Context, limitText: string): AuditEntry[] {
  const limit = parseLimit(limitText);
  const tenant = ctx.tenantFlag ?? ctx.env.GG4L_TENANT;
  return listAudit(ctx.state().db, limit, tenant);
}
