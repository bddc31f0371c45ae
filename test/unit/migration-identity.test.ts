/**
 * The identity migration on a state written at schema version 6 (main before issue 18): every
 * link, LMS-user binding and column is kept; bindings learn how they were made, and links left
 * stale although their option is current again come back.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, expect, it } from "vitest";
import { APPLICATION_ID, openState } from "../../src/store/db.js";
import { latestSchemaVersion, migrations } from "../../src/store/migrations.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const NOW = "2026-11-01T00:00:00.000Z";

function stateAtVersion6(): string {
  const dir = mkdtempSync(join(tmpdir(), "gg4l-migrate-"));
  dirs.push(dir);
  const path = join(dir, "state.db");
  const db = new Database(path);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  for (const sql of migrations.slice(0, 6)) db.exec(sql);
  db.pragma("user_version = 6");
  db.exec(`
    INSERT INTO tenants (id, slug, name, coursera_org, coursera_url, created_at)
      VALUES (1, 'fsu', 'FSU', 'org', 'https://api.coursera.test', '${NOW}');
    INSERT INTO lms_registrations (id, tenant_id, kind, issuer, client_id, deployment_id, auth_url, token_url, jwks_url,
        grade_sync, created_at, updated_at)
      VALUES (1, 1, 'moodle', 'http://127.0.0.1:8080', 'c', 'd', 'a', 't', 'j', 'assignment', '${NOW}', '${NOW}');
    -- stale although its option is the current one again (assignment -> course -> assignment)
    INSERT INTO links (id, registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, lineitem_url,
        created_at, stale_at, stale_reason, program_id, course_id, item_id)
      VALUES (1, 1, 'ctx', 'rl-1', 'item', 'i1', 'assignment', 'http://lms/li/1', '${NOW}', '${NOW}',
        'grade-sync changed from assignment to course', 'p1', 'c1', 'i1');
    -- published under another option: stays stale
    INSERT INTO links (id, registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, lineitems_url,
        created_at, stale_at, stale_reason, program_id, course_id)
      VALUES (2, 1, 'ctx', 'rl-2', 'course', 'c1', 'final', 'http://lms/li', '${NOW}', '${NOW}', 'other option', 'p1', 'c1');
    INSERT INTO line_items (link_id, item_id, url, label, score_maximum, created, found_at)
      VALUES (1, 'i1', 'http://lms/li/1', 'Quiz 1', 100, 0, '${NOW}'), (2, 'i2', 'http://lms/li/2', 'Quiz 2', 100, 1, '${NOW}');
    INSERT INTO lms_users (registration_id, sub, external_id, email, name, source, first_seen_at)
      VALUES (1, '7', 'ana@uni.edu', 'ana@uni.edu', 'Ana', 'launch', '${NOW}'),
             (1, '8', '127.0.0.1:8080:8', NULL, NULL, 'launch', '${NOW}'),
             (1, '9', 'cy@uni.edu', 'cy@uni.edu', NULL, 'nrps', '${NOW}'),
             (1, '10', NULL, NULL, NULL, 'launch', '${NOW}');
  `);
  db.close();
  return path;
}

it("keeps every link, binding and column, and says how each binding was made", () => {
  const path = stateAtVersion6();
  const state = openState(path, { create: false });
  try {
    expect(state.migratedFrom).toBe(6);
    expect(state.schemaVersion).toBe(latestSchemaVersion);
    const { db } = state;
    expect(db.prepare("SELECT id, stale_at IS NOT NULL AS stale FROM links ORDER BY id").all()).toEqual([
      { id: 1, stale: 0 },
      { id: 2, stale: 1 },
    ]);
    expect(db.prepare("SELECT link_id, item_id, url FROM line_items ORDER BY link_id").all()).toEqual([
      { link_id: 1, item_id: "i1", url: "http://lms/li/1" },
      { link_id: 2, item_id: "i2", url: "http://lms/li/2" },
    ]);
    expect(db.prepare("SELECT sub, external_id, linked_by FROM lms_users ORDER BY sub").all()).toEqual([
      { sub: "10", external_id: null, linked_by: null },
      { sub: "7", external_id: "ana@uni.edu", linked_by: "email" },
      { sub: "8", external_id: "127.0.0.1:8080:8", linked_by: "lms-user-id" },
      { sub: "9", external_id: "cy@uni.edu", linked_by: "roster" },
    ]);
    expect(db.prepare("SELECT test_launches FROM lms_registrations").pluck().get()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM launch_refusals").pluck().get()).toBe(0);
  } finally {
    state.db.close();
  }
});
