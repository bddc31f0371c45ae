/**
 * Several tenants in one gg4l state, for `sync daily --all-tenants`: one fake Coursera org they
 * all pull (the same grades), and fake LMS hosts named by the test — tenants given the same
 * host share one fake LMS (several institutions on one hosted Moodle), the others get their own.
 * Every tenant publishes one Option A link per gradable item of the program's courses, and the
 * first `learners` members launched every link with a grade on each.
 */
import { hostname } from "node:os";
import Database from "better-sqlite3";
import type { FakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { tenantAddArgs } from "../../fixtures/fake-coursera/tenant.js";
import { lmsRegisterArgs } from "../../fixtures/fake-lms/registration.js";
import { type FakeLms, type StartFakeLmsOptions, startFakeLms } from "../../fixtures/fake-lms/server.js";
import { baseWorld } from "./base-world.js";
import { parseJson, type RunResult, type sandboxState } from "./gg4l.js";
import { gradeInput } from "./grades.js";
import { type Course, programCourses } from "./program-courses.js";

export interface TenantsWorldOptions {
  /** Tenant slug → the name of its LMS host; a tenant with no host gets no LMS registration. */
  tenants: Record<string, string | null>;
  /** Members who launched every link and have a grade on each (default 6). */
  learners?: number;
  /** Options for every fake LMS (latency, say). */
  lms?: Partial<StartFakeLmsOptions>;
}

export interface TenantsWorld {
  coursera: FakeCoursera;
  box: ReturnType<typeof sandboxState>;
  /** The fake LMS of each host name. */
  hosts: Map<string, FakeLms>;
  gg4l(args: string[], env?: Record<string, string>): Promise<RunResult>;
  ok(args: string[]): Promise<RunResult>;
  /** Scores in a tenant's gradebook at its LMS (its own links only). */
  delivered(slug: string): number;
  /** Hold a tenant's lease as a live process (this test runner) would. */
  holdLease(slug: string): void;
  close(): Promise<void>;
}

export async function tenantsWorld(opts: TenantsWorldOptions): Promise<TenantsWorld> {
  const { coursera, box, gg4l, ok, toolPublicJwk } = await baseWorld();
  const hosts = new Map<string, FakeLms>();
  for (const host of new Set(Object.values(opts.tenants))) {
    if (host === null) continue;
    hosts.set(host, await startFakeLms({ kind: "moodle", toolPublicJwk, ...opts.lms }));
  }
  const program = "Data Science";
  for (const [slug, host] of Object.entries(opts.tenants)) {
    const added = await box.gg4l(tenantAddArgs(coursera, slug, slug.toUpperCase()), {
      input: coursera.clientSecret,
    });
    if (added.code !== 0) throw new Error(added.stderr);
    if (host === null) continue;
    await ok(["--tenant", slug, ...lmsRegisterArgs(hosts.get(host)!, "assignment")]);
    await ok(["--tenant", slug, "programs", "pull"]);
    await ok(["--tenant", slug, "programs", "activate", program]);
    await ok(["--tenant", slug, "courses", "refresh", "--all"]);
  }
  const db = new Database(box.db);
  const first = Object.entries(opts.tenants).find(([, h]) => h !== null)![0];
  const programId = parseJson<{ id: string }>(
    await ok(["--tenant", first, "programs", "show", program, "--json"]),
  ).id;
  const courses: Course[] = programCourses(db, programId).filter((c) => c.items.length > 0);
  const members = coursera.control
    .members(programId)
    .map((m) => m.externalId)
    .slice(0, opts.learners ?? 6);
  coursera.control.setGrades(
    members.flatMap((m, i) =>
      courses.map((c) =>
        gradeInput(m, c.id, programId, {
          items: Object.fromEntries(c.items.map((item, j) => [item.id, 50 + ((i + j) % 50)])),
        }),
      ),
    ),
  );
  const lineItemsOf = new Map<string, Set<string>>();
  const subs = new Map<FakeLms, Map<string, string>>();
  const subOf = (lms: FakeLms, externalId: string) => {
    const known = subs.get(lms) ?? new Map<string, string>();
    subs.set(lms, known);
    let sub = known.get(externalId);
    if (!sub) {
      sub = lms.addUser({
        email: externalId,
        name: externalId.split("@")[0],
        contextId: lms.contextId,
        roles: ["Learner"],
      }).user.id;
      known.set(externalId, sub);
    }
    return sub;
  };
  for (const [slug, host] of Object.entries(opts.tenants)) {
    if (host === null) continue;
    const lms = hosts.get(host)!;
    const { tenantId, registrationId } = db
      .prepare(
        "SELECT t.id AS tenantId, r.id AS registrationId FROM tenants t JOIN lms_registrations r ON r.tenant_id = t.id WHERE t.slug = ?",
      )
      .get(slug) as { tenantId: number; registrationId: number };
    const mine = new Set<string>();
    lineItemsOf.set(slug, mine);
    const now = new Date().toISOString();
    db.transaction(() => {
      for (const course of courses)
        for (const item of course.items) {
          const link = lms.addLink({
            contextId: lms.contextId,
            title: `${slug} ${item.id}`,
            custom: { coursera_course: course.id, coursera_item: item.id },
            lineItem: { scoreMaximum: 100, resourceId: item.id, tag: "coursera" },
          });
          const lineitemUrl = link.lineItem!.id;
          mine.add(lineitemUrl);
          db.prepare(
            `INSERT INTO links (registration_id, context_id, resource_link_id, target_kind, target_id, grade_sync, lineitem_url,
               lineitems_url, created_at, program_id, course_id, item_id, nrps_url, connected_at, last_launch_at)
             VALUES (?, ?, ?, 'item', ?, 'assignment', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            registrationId,
            lms.contextId,
            link.link.id,
            item.id,
            lineitemUrl,
            lms.lineitemsUrl,
            now,
            programId,
            course.id,
            item.id,
            lms.membershipsUrl,
            now,
            now,
          );
          for (const member of members) {
            const sub = subOf(lms, member);
            db.prepare(
              `INSERT INTO launches (tenant_id, external_id, lms_sub, context_id, resource_link_id, program_id, course_id, item_id, launched_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            ).run(tenantId, member, sub, lms.contextId, link.link.id, programId, course.id, item.id, now);
            db.prepare(
              `INSERT INTO lms_users (registration_id, sub, external_id, email, name, source, first_seen_at, last_launch_at)
               VALUES (?, ?, ?, ?, NULL, 'launch', ?, ?) ON CONFLICT DO NOTHING`,
            ).run(registrationId, sub, member, member, now, now);
          }
        }
    })();
  }
  const hostOf = (slug: string) => hosts.get(opts.tenants[slug]!)!;
  return {
    coursera,
    box,
    hosts,
    gg4l,
    ok,
    delivered(slug) {
      const mine = lineItemsOf.get(slug)!;
      return hostOf(slug)
        .gradebook()
        .lineItems.filter((li) => mine.has(li.id))
        .reduce(
          (n, li) => n + li.grades.filter((g) => g.scoreGiven !== null && g.scoreGiven !== undefined).length,
          0,
        );
    },
    holdLease(slug) {
      const { id } = db.prepare("SELECT id FROM tenants WHERE slug = ?").get(slug) as { id: number };
      db.prepare(
        `INSERT INTO locks (tenant_id, holder, host, pid, acquired_at, expires_at) VALUES (?, 'night-ops', ?, ?, ?, ?)
         ON CONFLICT(tenant_id) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid,
           acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
      ).run(id, hostname(), process.pid, new Date().toISOString(), Date.now() + 3_600_000);
    },
    async close() {
      db.close();
      box.cleanup();
      for (const lms of hosts.values()) await lms.close();
      await coursera.close();
    },
  };
}
