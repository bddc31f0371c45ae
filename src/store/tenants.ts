import type { Db } from "./db.js";

export interface TenantRow {
  id: number;
  slug: string;
  name: string;
  courseraOrg: string;
  courseraUrl: string;
  courseraClientId: string | null;
  createdAt: string;
}

const columns = `id, slug, name, coursera_org AS courseraOrg, coursera_url AS courseraUrl,
  coursera_client_id AS courseraClientId, created_at AS createdAt`;

export function listTenants(db: Db): TenantRow[] {
  return db.prepare(`SELECT ${columns} FROM tenants ORDER BY slug`).all() as TenantRow[];
}

export function findTenant(db: Db, slug: string): TenantRow | undefined {
  return db.prepare(`SELECT ${columns} FROM tenants WHERE slug = ?`).get(slug) as TenantRow | undefined;
}

export function insertTenant(db: Db, tenant: Omit<TenantRow, "id">): TenantRow {
  const info = db
    .prepare(
      `INSERT INTO tenants (slug, name, coursera_org, coursera_url, coursera_client_id, created_at)
       VALUES (@slug, @name, @courseraOrg, @courseraUrl, @courseraClientId, @createdAt)`,
    )
    .run(tenant);
  return { id: Number(info.lastInsertRowid), ...tenant };
}

/** Changes the given fields of one tenant; the others stay as they are. */
export function updateTenant(
  db: Db,
  id: number,
  changes: Partial<Pick<TenantRow, "name" | "courseraUrl" | "courseraClientId">>,
): void {
  const sets: string[] = [];
  if (changes.name !== undefined) sets.push("name = @name");
  if (changes.courseraUrl !== undefined) sets.push("coursera_url = @courseraUrl");
  if (changes.courseraClientId !== undefined) sets.push("coursera_client_id = @courseraClientId");
  if (sets.length === 0) return;
  db.prepare(`UPDATE tenants SET ${sets.join(", ")} WHERE id = @id`).run({ ...changes, id });
}

export function deleteTenant(db: Db, id: number): void {
  db.prepare("DELETE FROM tenants WHERE id = ?").run(id);
}
