import {
  findRegistrationByTenant,
  findRegistrationsByIssuer,
  type GradeSyncOption,
  gradeSyncOptions,
  type LmsKind,
  type LmsRegistrationRow,
  lmsKinds,
  upsertRegistration,
} from "../store/lms.js";
import type { TenantRow } from "../store/tenants.js";
import type { Context } from "./context.js";
import { ConflictError, NotFoundError } from "./errors.js";
import { keyPathFor, publicJwks, readToolKeyFile } from "./keys.js";
import { currentTenant } from "./tenants.js";
import { oneOf, validateUrl } from "./validate.js";

export interface RegisterLmsInput {
  kind: string;
  issuer: string;
  clientId: string;
  deploymentId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  tokenAudience?: string;
  gradeSync: string;
}

export interface LmsView {
  tenant: string;
  kind: LmsKind;
  issuer: string;
  clientId: string;
  deploymentId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  tokenAudience: string | null;
  gradeSync: GradeSyncOption;
  incremental: boolean;
  noSso: boolean;
  updatedAt: string;
}

export function lmsView(tenant: TenantRow, reg: LmsRegistrationRow): LmsView {
  return {
    tenant: tenant.slug,
    kind: reg.kind,
    issuer: reg.issuer,
    clientId: reg.clientId,
    deploymentId: reg.deploymentId,
    authUrl: reg.authUrl,
    tokenUrl: reg.tokenUrl,
    jwksUrl: reg.jwksUrl,
    tokenAudience: reg.tokenAudience,
    gradeSync: reg.gradeSync,
    incremental: reg.incremental,
    noSso: reg.noSso,
    updatedAt: reg.updatedAt,
  };
}

export function registerLms(ctx: Context, input: RegisterLmsInput): LmsView & { updated: boolean } {
  const kind = oneOf(input.kind, lmsKinds, "--kind");
  const gradeSync = oneOf(input.gradeSync, gradeSyncOptions, "--grade-sync");
  const issuer = validateUrl(input.issuer, "--issuer").replace(/\/+$/, "");
  validateUrl(input.authUrl, "--auth-url");
  validateUrl(input.tokenUrl, "--token-url");
  validateUrl(input.jwksUrl, "--jwks-url");
  const tenant = currentTenant(ctx);
  const { db } = ctx.state();
  const existing = findRegistrationByTenant(db, tenant.id);

  // R1: one grade-sync option per LMS instance, whichever tenant registered it.
  const sameInstance = findRegistrationsByIssuer(db, issuer).filter((r) => r.gradeSync !== gradeSync);
  const clash = sameInstance[0];
  if (clash) {
    const who =
      clash.tenantSlug === tenant.slug ? "this tenant's registration" : `tenant "${clash.tenantSlug}"`;
    throw new ConflictError(
      `${issuer} already uses grade-sync "${clash.gradeSync}" (${who}); an LMS instance has one grade-sync option (rule R1: LTI allows one external tool per domain)`,
      {
        hint: `register with --grade-sync ${clash.gradeSync}, or change the option for the whole LMS with \`gg4l settings set grade-sync ${gradeSync}\``,
      },
    );
  }
  const row = upsertRegistration(
    db,
    {
      tenantId: tenant.id,
      kind,
      issuer,
      clientId: input.clientId,
      deploymentId: input.deploymentId,
      authUrl: input.authUrl,
      tokenUrl: input.tokenUrl,
      jwksUrl: input.jwksUrl,
      tokenAudience: input.tokenAudience ?? null,
      gradeSync,
    },
    ctx.now().toISOString(),
  );
  return { ...lmsView(tenant, row), updated: existing !== undefined };
}

export function requireRegistration(ctx: Context): { tenant: TenantRow; reg: LmsRegistrationRow } {
  const tenant = currentTenant(ctx);
  const reg = findRegistrationByTenant(ctx.state().db, tenant.id);
  if (!reg) {
    throw new NotFoundError(`tenant "${tenant.slug}" has no LMS registration`, {
      hint: "register one with `gg4l lms register --kind <kind> --issuer <url> …` (see `gg4l lms register --help`)",
    });
  }
  return { tenant, reg };
}

export function showLms(ctx: Context): LmsView {
  const { tenant, reg } = requireRegistration(ctx);
  return lmsView(tenant, reg);
}

/** The tool's public JWKS; needs only the key file, not a tenant. */
export function toolJwks(ctx: Context): ReturnType<typeof publicJwks> {
  ctx.state();
  return publicJwks(readToolKeyFile(keyPathFor(ctx.dbPath)));
}

export interface LmsCheckResult {
  tenant: string;
  kind: string;
  issuer: string;
  contextUrl: string | null;
  checks: Array<{
    check: string;
    status: "pass" | "fail" | "warn" | "skip";
    message: string;
    lmsMessage?: string;
    hint?: string;
  }>;
  ok: boolean;
}

/** Platform JWKS, a service token with the AGS scopes, and the line items of a context. */
export async function checkLms(ctx: Context, contextUrl: string | undefined): Promise<LmsCheckResult> {
  const { tenant, reg } = requireRegistration(ctx);
  if (contextUrl) validateUrl(contextUrl, "--context-url");
  const { anyLineItemsUrl } = await import("../store/links.js");
  const lineItemsUrl = contextUrl ?? anyLineItemsUrl(ctx.state().db, reg.id);
  const [{ checkLmsRegistration }, { loadToolKey }, { ltiRegistration }, { HttpClient }] = await Promise.all([
    import("../clients/lti/check.js"),
    import("./keys.js"),
    import("./lti.js"),
    import("../clients/http.js"),
  ]);
  const key = await loadToolKey(keyPathFor(ctx.dbPath));
  const checks = await checkLmsRegistration(ltiRegistration(reg), key, {
    http: new HttpClient({ logger: ctx.logger, retry: { retries: 2 } }),
    ...(lineItemsUrl ? { lineItemsUrl } : {}),
  });
  return {
    tenant: tenant.slug,
    kind: reg.kind,
    issuer: reg.issuer,
    contextUrl: lineItemsUrl ?? null,
    checks,
    ok: checks.every((c) => c.status !== "fail"),
  };
}
