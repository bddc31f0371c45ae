/** The Coursera client for a tenant, built from its stored settings and secret. */

import { ConfigError } from "../base/errors.js";
import type { CourseraClient } from "../clients/coursera/client.js";
import type { HttpClient } from "../clients/http.js";
import { courseName } from "../store/courses.js";
import { programName } from "../store/programs.js";
import type { TenantRow } from "../store/tenants.js";
import type { Context } from "./context.js";
import { courseraSecret } from "./secrets.js";

export interface CourseraCredentials {
  clientId: string;
  secret: string;
  /** Where the secret came from, in words. */
  source: string;
}

/** The tenant's Coursera client id and secret; ConfigError (with the fix) when one is missing. */
export function courseraCredentials(ctx: Context, tenant: TenantRow): CourseraCredentials {
  if (!tenant.courseraClientId) {
    throw new ConfigError(`tenant "${tenant.slug}" has no Coursera client id`, {
      hint: `set it with \`gg4l tenant set ${tenant.slug} --coursera-client-id <id> --coursera-secret-stdin\``,
    });
  }
  const secret = courseraSecret(ctx.dbPath, ctx.env, tenant.slug);
  if (!secret.value) {
    throw new ConfigError(`no Coursera client secret for tenant "${tenant.slug}"`, {
      hint: `set GG4L_COURSERA_CLIENT_SECRET, or store it with \`gg4l tenant set ${tenant.slug} --coursera-secret-stdin\``,
    });
  }
  const source = secret.source === "env" ? "GG4L_COURSERA_CLIENT_SECRET" : "the secrets file";
  return { clientId: tenant.courseraClientId, secret: secret.value, source };
}

export async function courseraFor(
  ctx: Context,
  tenant: TenantRow,
  opts: { http?: HttpClient } = {},
): Promise<CourseraClient> {
  const { clientId, secret } = courseraCredentials(ctx, tenant);
  const [{ CourseraClient }, { HttpClient }] = await Promise.all([
    import("../clients/coursera/client.js"),
    import("../clients/http.js"),
  ]);
  return new CourseraClient({
    baseUrl: tenant.courseraUrl,
    orgId: tenant.courseraOrg,
    clientId,
    clientSecret: secret,
    tenant: `tenant ${tenant.slug}`,
    http: opts.http ?? new HttpClient({ logger: ctx.logger, userAgent: "gg4l" }),
    // Looked up when a message is made, so a program pulled a moment ago is named too.
    names: {
      program: (programId) => programName(ctx.state().db, tenant.id, programId),
      course: (courseId) => courseName(ctx.state().db, tenant.id, courseId),
    },
  });
}
