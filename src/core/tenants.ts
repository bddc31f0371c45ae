import { ConflictError, NotFoundError, UsageError } from "../base/errors.js";
import { maskSecret, registerSecret } from "../base/redact.js";
import { findRegistrationByTenant } from "../store/lms.js";
import { deleteMeta, getMeta, setMeta } from "../store/meta.js";
import {
  deleteTenant,
  findTenant,
  insertTenant,
  listTenants,
  type TenantRow,
  updateTenant,
} from "../store/tenants.js";
import { confirmOrRefuse } from "./confirm.js";
import type { Context } from "./context.js";
import { courseraSecret, forgetTenantSecrets, storeCourseraSecret } from "./secrets.js";
import { validateUrl } from "./validate.js";

export const DEFAULT_COURSERA_URL = "https://api.coursera.org";
const DEFAULT_TENANT_KEY = "default_tenant";
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface TenantView {
  slug: string;
  name: string;
  courseraOrg: string;
  courseraUrl: string;
  courseraClientId: string | null;
  /** Masked (last four characters) or null; never the secret itself. */
  courseraSecret: string | null;
  courseraSecretSource: "env" | "file" | "none";
  default: boolean;
  lms: { kind: string; issuer: string; gradeSync: string } | null;
  createdAt: string;
}

function view(ctx: Context, tenant: TenantRow, defaultSlug: string | undefined): TenantView {
  const { db } = ctx.state();
  const secret = courseraSecret(ctx.dbPath, ctx.env, tenant.slug);
  const reg = findRegistrationByTenant(db, tenant.id);
  return {
    slug: tenant.slug,
    name: tenant.name,
    courseraOrg: tenant.courseraOrg,
    courseraUrl: tenant.courseraUrl,
    courseraClientId: tenant.courseraClientId,
    courseraSecret: maskSecret(secret.value),
    courseraSecretSource: secret.source,
    default: tenant.slug === defaultSlug,
    lms: reg ? { kind: reg.kind, issuer: reg.issuer, gradeSync: reg.gradeSync } : null,
    createdAt: tenant.createdAt,
  };
}

export interface AddTenantInput {
  slug: string;
  name: string;
  courseraOrg: string;
  courseraUrl?: string;
  courseraClientId?: string;
  secretFromStdin: boolean;
}

export async function addTenant(
  ctx: Context,
  input: AddTenantInput,
): Promise<TenantView & { madeDefault: boolean }> {
  if (!SLUG.test(input.slug)) {
    throw new UsageError(`invalid tenant slug "${input.slug}"`, {
      hint: "use lowercase letters, digits and dashes, starting with a letter or digit (e.g. uni-x)",
    });
  }
  if (!input.name.trim())
    throw new UsageError("the tenant name is empty", { hint: 'pass --name "University X"' });
  if (!input.courseraOrg.trim())
    throw new UsageError("the Coursera org id is empty", { hint: "pass --coursera-org <orgId>" });
  const courseraUrl = validateUrl(input.courseraUrl ?? DEFAULT_COURSERA_URL, "--coursera-url").replace(
    /\/+$/,
    "",
  );
  const secret = await readSecretInput(ctx, input.secretFromStdin);
  const { db } = ctx.state();
  if (findTenant(db, input.slug)) {
    throw new ConflictError(`tenant "${input.slug}" already exists`, {
      hint: `choose another slug, or remove it first with \`gg4l tenant remove ${input.slug}\``,
    });
  }
  const tenant = db.transaction(() => {
    const row = insertTenant(db, {
      slug: input.slug,
      name: input.name.trim(),
      courseraOrg: input.courseraOrg.trim(),
      courseraUrl,
      courseraClientId: input.courseraClientId ?? null,
      createdAt: ctx.now().toISOString(),
    });
    if (!getMeta(db, DEFAULT_TENANT_KEY)) setMeta(db, DEFAULT_TENANT_KEY, row.slug);
    return row;
  })();
  ctx.tenantInUse = tenant.slug;
  if (secret) storeCourseraSecret(ctx.dbPath, tenant.slug, secret);
  const defaultSlug = getMeta(db, DEFAULT_TENANT_KEY);
  return { ...view(ctx, tenant, defaultSlug), madeDefault: defaultSlug === tenant.slug };
}

export interface SetTenantInput {
  slug: string;
  name?: string;
  courseraUrl?: string;
  courseraClientId?: string;
  secretFromStdin: boolean;
}

/**
 * Edits a tenant in place: its name, Coursera API URL, client id and (from stdin) secret.
 * The slug and the Coursera org stay: the programs, learners and links in the state are the org's.
 */
export async function setTenant(
  ctx: Context,
  input: SetTenantInput,
): Promise<TenantView & { changed: string[] }> {
  const tenant = requireTenant(ctx, input.slug);
  ctx.tenantInUse = tenant.slug;
  const name = input.name?.trim();
  if (input.name !== undefined && !name)
    throw new UsageError("the tenant name is empty", { hint: 'pass --name "University X"' });
  const clientId = input.courseraClientId?.trim();
  if (input.courseraClientId !== undefined && !clientId)
    throw new UsageError("the Coursera client id is empty", { hint: "pass --coursera-client-id <id>" });
  const courseraUrl =
    input.courseraUrl === undefined
      ? undefined
      : validateUrl(input.courseraUrl, "--coursera-url").replace(/\/+$/, "");
  if (name === undefined && courseraUrl === undefined && clientId === undefined && !input.secretFromStdin) {
    throw new UsageError("nothing to change", {
      hint: `pass one or more of --name, --coursera-url, --coursera-client-id, --coursera-secret-stdin, e.g. \`gg4l tenant set ${tenant.slug} --coursera-client-id <id> --coursera-secret-stdin\``,
    });
  }
  const secret = input.secretFromStdin ? await readSecretInput(ctx, true) : undefined;
  const changes = {
    ...(name !== undefined && name !== tenant.name ? { name } : {}),
    ...(courseraUrl !== undefined && courseraUrl !== tenant.courseraUrl ? { courseraUrl } : {}),
    ...(clientId !== undefined && clientId !== tenant.courseraClientId ? { courseraClientId: clientId } : {}),
  };
  const { db } = ctx.state();
  updateTenant(db, tenant.id, changes);
  if (secret) storeCourseraSecret(ctx.dbPath, tenant.slug, secret);
  const changed = [...Object.keys(changes), ...(secret ? ["courseraSecret"] : [])];
  const updated = requireTenant(ctx, tenant.slug);
  return { ...view(ctx, updated, getMeta(db, DEFAULT_TENANT_KEY)), changed };
}

/** The secret comes from --coursera-secret-stdin (piped, or a hidden prompt on a terminal) or the environment. */
async function readSecretInput(ctx: Context, fromStdin: boolean): Promise<string | undefined> {
  if (!fromStdin) {
    const fromEnv = ctx.env.GG4L_COURSERA_CLIENT_SECRET;
    registerSecret(fromEnv);
    return fromEnv || undefined;
  }
  const raw = ctx.canPrompt ? await ctx.prompter.password("Coursera client secret") : await ctx.readStdin();
  const secret = raw.replace(/\r?\n$/, "");
  if (!secret) {
    throw new UsageError("--coursera-secret-stdin was given but standard input was empty", {
      hint: 'pipe the secret in: `printf %s "$SECRET" | gg4l tenant add … --coursera-secret-stdin`',
    });
  }
  registerSecret(secret);
  return secret;
}

export function listTenantViews(ctx: Context): TenantView[] {
  const { db } = ctx.state();
  const defaultSlug = getMeta(db, DEFAULT_TENANT_KEY);
  return listTenants(db).map((tenant) => view(ctx, tenant, defaultSlug));
}

export function requireTenant(ctx: Context, slug: string): TenantRow {
  const tenant = findTenant(ctx.state().db, slug);
  if (!tenant) {
    throw new NotFoundError(`no tenant "${slug}"`, {
      hint: "`gg4l tenant list` shows the tenants; `gg4l tenant add` adds one",
    });
  }
  return tenant;
}

/**
 * The tenant a command works on: --tenant > GG4L_TENANT > `gg4l tenant use` > the only
 * tenant there is.
 */
export function currentTenant(ctx: Context): TenantRow {
  const explicit = ctx.tenantFlag ?? ctx.env.GG4L_TENANT;
  if (explicit) return requireTenant(ctx, explicit);
  const { db } = ctx.state();
  const chosen = getMeta(db, DEFAULT_TENANT_KEY);
  if (chosen) {
    const tenant = findTenant(db, chosen);
    if (tenant) {
      ctx.tenantInUse = tenant.slug;
      return tenant;
    }
  }
  const all = listTenants(db);
  if (all.length === 1) {
    ctx.tenantInUse = all[0]!.slug;
    return all[0]!;
  }
  if (all.length === 0) {
    throw new NotFoundError("no tenant is set up yet", {
      hint: "add one with `gg4l tenant add <slug> --name <text> --coursera-org <orgId>`",
    });
  }
  throw new UsageError("no tenant selected and there are several", {
    hint: `pass --tenant <slug> (one of: ${all.map((t) => t.slug).join(", ")}), set GG4L_TENANT, or run \`gg4l tenant use <slug>\``,
  });
}

export function showTenant(ctx: Context, slug: string | undefined): TenantView {
  const tenant = slug ? requireTenant(ctx, slug) : currentTenant(ctx);
  return view(ctx, tenant, getMeta(ctx.state().db, DEFAULT_TENANT_KEY));
}

export function useTenant(ctx: Context, slug: string): { slug: string; changed: boolean } {
  const tenant = requireTenant(ctx, slug);
  const { db } = ctx.state();
  const changed = getMeta(db, DEFAULT_TENANT_KEY) !== tenant.slug;
  setMeta(db, DEFAULT_TENANT_KEY, tenant.slug);
  return { slug: tenant.slug, changed };
}

export async function removeTenant(
  ctx: Context,
  slug: string,
  yes: boolean | undefined,
): Promise<{ slug: string; removed: true }> {
  const tenant = requireTenant(ctx, slug);
  const { db } = ctx.state();
  const reg = findRegistrationByTenant(db, tenant.id);
  const impact = reg
    ? `tenant "${slug}" (${tenant.name}) with its ${reg.kind} registration, links and sync settings`
    : `tenant "${slug}" (${tenant.name})`;
  await confirmOrRefuse(ctx, {
    yes,
    question: `Remove ${impact} from this state? The Coursera and LMS data stay where they are.`,
    refusal: `not removing ${impact}`,
  });
  db.transaction(() => {
    deleteTenant(db, tenant.id);
    if (getMeta(db, DEFAULT_TENANT_KEY) === slug) deleteMeta(db, DEFAULT_TENANT_KEY);
  })();
  forgetTenantSecrets(ctx.dbPath, slug);
  (await import("./classroom/index.js")).forgetClassroomKey(ctx.dbPath, slug);
  return { slug, removed: true };
}
