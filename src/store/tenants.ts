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

export function deleteTenant(db: Db, id: number): void {
  db.prepare("DELETE FROM tenants WHERE id = ?").run(id);
}
