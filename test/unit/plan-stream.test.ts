import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildWholePlan } from "../../src/core/sync/plan.js";
import { PlanStream } from "../../src/core/sync/plan-stream.js";
import { type Db, openState } from "../../src/store/db.js";
import { findRegistrationByTenant } from "../../src/store/lms.js";
import { type PlanPost, type PlanQuery, planPosts } from "../../src/store/plan.js";
import { findTenant } from "../../src/store/tenants.js";

const NOW = "2026-11-28T00:00:00.000Z";
const COLUMN = (n: number) => `https://lms.example/mod/lti/services.php/2/lineitems/${n}/lineitem?type_id=1`;
// Names whose text order differs from their number order: pages must follow the text order.
const LEARNERS = Array.from({ length: 23 }, (_, n) => `learner${n}@uni.example`);

let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gg4l-plan-stream-"));
  db = openState(join(dir, "state.db"), { create: true }).db;
  db.exec(`
    INSERT INTO tenants (id, slug, name, coursera_org, coursera_url, created_at)
      VALUES (1, 'uni', 'Uni', 'org', 'https://coursera.example', '${NOW}');
    INSERT INTO lms_registrations (id, tenant_id, kind, issuer, client_id, deployment_id, auth_url, token_url, jwks_url,
        grade_sync, created_at, updated_at)
      VALUES (1, 1, 'moodle', 'https://lms.example', 'client', 'dep', 'https://lms.example/auth',
        'https://lms.example/token', 'https://lms.example/jwks', 'assignment', '${NOW}', '${NOW}');
    INSERT INTO programs (tenant_id, program_id, name, active, first_seen_at, pulled_at)
      VALUES (1, 'p1', 'Program', 1, '${NOW}', '${NOW}');
    INSERT INTO courses (tenant_id, course_id, name, items_known, refreshed_at) VALUES (1, 'c1', 'Course', 1, '${NOW}');
    INSERT INTO program_courses (tenant_id, program_id, course_id, added_at) VALUES (1, 'p1', 'c1', '${NOW}');
  `);
  const item = db.prepare(
    "INSERT INTO items (tenant_id, course_id, item_id, name, item_order, weight) VALUES (1, 'c1', ?, ?, ?, 5)",
  );
  const link = db.prepare(
    `INSERT INTO links (id, registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, lineitem_url,
       lineitems_url, created_at, program_id, course_id, item_id, connected_at)
     VALUES (?, 1, 'ctx', ?, 'item', ?, 'assignment', ?, 'https://lms.example/lineitems', '${NOW}', 'p1', 'c1', ?, '${NOW}')`,
  );
  for (const [n, id] of ["i1", "i2", "i3"].entries()) item.run(id, `Item ${n}`, n);
  // i3 has no link: its grades are skips of the kind only the whole plan's last part finds.
  link.run(1, "rl-1", "i1", COLUMN(1), "i1");
  link.run(2, "rl-2", "i2", COLUMN(2), "i2");
  const learner = db.prepare(
    "INSERT INTO learners (tenant_id, external_id, email, is_test, first_seen_at) VALUES (1, ?, ?, ?, ?)",
  );
  const user = db.prepare(
    "INSERT INTO lms_users (registration_id, sub, external_id, email, source, first_seen_at) VALUES (1, ?, ?, ?, 'launch', ?)",
  );
  const launch = db.prepare(
    `INSERT INTO launches (tenant_id, external_id, lms_sub, context_id, resource_link_id, program_id, course_id, item_id,
       launched_at) VALUES (1, ?, ?, 'ctx', ?, 'p1', 'c1', ?, ?)`,
  );
  const grade = db.prepare(
    "INSERT INTO coursera_grades (tenant_id, external_id, course_id, item_id, program_id, grade, passed) VALUES (1, ?, 'c1', ?, 'p1', ?, 1)",
  );
  LEARNERS.forEach((id, n) => {
    learner.run(id, id, n === 5 ? 1 : 0, NOW);
    user.run(`sub-${n}`, id, id, NOW);
    launch.run(id, `sub-${n}`, "rl-1", "i1", NOW);
    if (n !== 7) launch.run(id, `sub-${n}`, "rl-2", "i2", NOW);
    grade.run(id, "i1", (n * 37) % 100);
    grade.run(id, "i2", n === 9 ? null : (n * 11) % 100);
    grade.run(id, "i3", 50);
  });
  // Acknowledged before: learner0's i1 score unchanged since, learner1's changed.
  const ledger = db.prepare(
    `INSERT INTO score_ledger (column_url, lms_user_id, tenant_id, score_given, score_maximum, comment, sent_at_ms, outcome,
       run_id, acked_at) VALUES (?, ?, 1, ?, 100, NULL, 1000, 'accepted', 1, '${NOW}')`,
  );
  ledger.run(COLUMN(1), "sub-0", 0);
  ledger.run(COLUMN(1), "sub-1", 99);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const scopeOf = (incremental: boolean) => {
  const tenant = findTenant(db, "uni")!;
  const reg = { ...findRegistrationByTenant(db, tenant.id)!, incremental };
  const query: PlanQuery = {
    tenantId: tenant.id,
    registrationId: reg.id,
    option: "assignment",
    noSso: false,
    incremental,
  };
  return { tenant, reg, query };
};

function wholePlan(incremental: boolean) {
  const summary = buildWholePlan(db, scopeOf(incremental), {});
  const posts: PlanPost[] = [];
  for (let page = planPosts(db, 0, 1000); page.length > 0; page = planPosts(db, page.at(-1)!.seq, 1000))
    posts.push(...page);
  return { summary, posts };
}

function streamed(incremental: boolean, pageSize: number) {
  const stream = new PlanStream(db, scopeOf(incremental), {});
  const posts: PlanPost[] = [];
  for (let page = stream.next(pageSize); page.length > 0; page = stream.next(pageSize)) posts.push(...page);
  return { summary: stream.summary(), posts };
}

describe("a streamed plan", () => {
  for (const incremental of [true, false]) {
    it(`posts what the whole plan posts, in its order, with its summary and fingerprint (incremental ${incremental ? "on" : "off"})`, () => {
      const whole = wholePlan(incremental);
      expect(whole.summary.posts.total).toBeGreaterThan(30);
      expect(whole.summary.skipped).toMatchObject({
        "test-learner": 2,
        "never-launched-link": 1,
        "no-grade": 1,
        "no-connected-link": LEARNERS.length,
      });
      if (incremental) expect(whole.summary.skipped.unchanged).toBe(1);
      else expect(whole.summary.posts.resend).toBe(1);
      expect(whole.summary.posts.changed).toBe(1);
      // Page sizes that end pages inside a column, on its last learner, and past it.
      for (const pageSize of [1, 4, 21, 23, 1000]) {
        const stream = streamed(incremental, pageSize);
        expect(stream.posts).toEqual(whole.posts);
        expect(stream.summary).toEqual(whole.summary);
      }
    });
  }

  it("drains what is left when a run stops early, so its counts cover the whole plan", () => {
    const whole = wholePlan(true);
    const stream = new PlanStream(db, scopeOf(true), {});
    expect(stream.next(4).length).toBeGreaterThan(0);
    expect(() => stream.summary()).toThrow(/not read to its end/);
    stream.drain();
    expect(stream.summary()).toEqual(whole.summary);
  });
});
