import type { Db } from "./db.js";

export interface AuditEntry {
  id: number;
  at: string;
  osUser: string;
  tenant: string | null;
  command: string;
  args: string[];
  outcome: "ok" | "failed";
  exitCode: number;
  message: string | null;
}

export function appendAudit(db: Db, entry: Omit<AuditEntry, "id">): void {
  db.prepare(
    `INSERT INTO audit_log (at, os_user, tenant, command, args, outcome, exit_code, message)
     VALUES (@at, @osUser, @tenant, @command, @args, @outcome, @exitCode, @message)`,
  ).run({ ...entry, args: JSON.stringify(entry.args) });
}

export function listAudit(db: Db, limit: number, tenant?: string): AuditEntry[] {
  const rows = db
    .prepare(
      `SELECT id, at, os_user AS osUser, tenant, command, args, outcome, exit_code AS exitCode, message
       FROM audit_log WHERE (@tenant IS NULL OR tenant = @tenant) ORDER BY id DESC LIMIT @limit`,
    )
    .all({ limit, tenant: tenant ?? null }) as Array<Omit<AuditEntry, "args"> & { args: string }>;
  return rows.map((row) => ({ ...row, args: JSON.parse(row.args) as string[] }));
}
