/**
 * LTI Dynamic Registration 1.0, tool side: `gg4l lms register --dynamic` makes a single-use
 * registration URL for the current tenant (24 h, only its hash stored); `gg4l serve` answers it
 * by reading the platform's OpenID configuration, registering the tool there and storing the
 * answer as the tenant's LMS registration (R1 applies).
 */
import { createHash, randomBytes } from "node:crypto";
import { ConflictError, RemoteError, UsageError } from "../base/errors.js";
import type { HttpClient } from "../clients/http.js";
import {
  DynamicRegistrationError,
  fetchPlatformConfiguration,
  type PlatformConfiguration,
  registerTool,
  toolRegistrationBody,
} from "../clients/lti/dynamic-registration.js";
import { platformName } from "../clients/lti/registration.js";
import {
  type GradeSyncOption,
  gradeSyncOptions,
  type LmsKind,
  lmsKinds,
  upsertRegistration,
} from "../store/lms.js";
import { getMeta, setMeta } from "../store/meta.js";
import {
  claimRegistrationToken,
  findRegistrationToken,
  insertRegistrationToken,
  markRegistrationTokenUsed,
  releaseRegistrationToken,
} from "../store/registration-tokens.js";
import { findTenant } from "../store/tenants.js";
import type { Context } from "./context.js";
import { LaunchRefusal } from "./launch/errors.js";
import type { ToolUrls } from "./launch/services.js";
import { assertOneOption } from "./lms.js";
import { requiredScopes, scopeSwitch, scopesToRequest, shortScope } from "./lms-scopes.js";
import { currentTenant } from "./tenants.js";
import { oneOf, validateUrl } from "./validate.js";

export const REGISTER_PATH = "/lti/register/";
const LIFETIME_MS = 24 * 3600 * 1000;
/** An attempt that neither finished nor failed within this time (a killed server) frees the URL. */
const CLAIM_MS = 5 * 60 * 1000;
const PUBLIC_URL_META = "serve.public_url";

/** The kinds whose LMS implements LTI Dynamic Registration, with the product_family_code it reports. */
export const DYNAMIC_KINDS: Partial<Record<LmsKind, string>> = {
  moodle: "moodle",
  canvas: "canvas",
  d2l: "desire2learn",
};

export interface RegistrationUrl {
  registrationUrl: string;
  expiresAt: string;
  tenant: string;
  kind: LmsKind;
  gradeSync: GradeSyncOption;
  /** The sentence the LMS admin needs. */
  instruction: string;
}

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

/** `gg4l serve --public-url` records where the LMS reaches it; the guide and registration URLs default to it. */
export function rememberPublicUrl(ctx: Context, url: string): void {
  setMeta(ctx.state().db, PUBLIC_URL_META, url);
}

export function publicUrlOf(ctx: Context, given: string | undefined): string | undefined {
  if (given) {
    const url = new URL(validateUrl(given, "--public-url"));
    if (url.search || url.hash)
      throw new UsageError("--public-url takes no query or fragment", {
        hint: "e.g. --public-url https://lti.uni.edu",
      });
    return given.replace(/\/+$/, "");
  }
  return getMeta(ctx.state().db, PUBLIC_URL_META);
}

export function createRegistrationUrl(
  ctx: Context,
  input: { kind: string; gradeSync: string; publicUrl?: string },
): RegistrationUrl {
  const kind = oneOf(input.kind, lmsKinds, "--kind");
  const gradeSync = oneOf(input.gradeSync, gradeSyncOptions, "--grade-sync");
  if (!DYNAMIC_KINDS[kind])
    throw new UsageError(`${platformName(kind)} does not support LTI Dynamic Registration`, {
      hint: `register by hand: \`gg4l lms guide ${kind}\` lists what to enter in ${platformName(kind)}, then \`gg4l lms register --kind ${kind} …\``,
    });
  const publicUrl = publicUrlOf(ctx, input.publicUrl);
  if (!publicUrl)
    throw new UsageError("--dynamic needs --public-url <url>: the address the LMS reaches `gg4l serve` at", {
      hint: "e.g. --public-url https://lti.uni.edu (the same as `gg4l serve --public-url`)",
    });
  const tenant = currentTenant(ctx);
  const token = randomBytes(32).toString("base64url");
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + LIFETIME_MS).toISOString();
  insertRegistrationToken(ctx.state().db, {
    tenantId: tenant.id,
    tokenHash: hashOf(token),
    kind,
    gradeSync,
    publicUrl,
    createdAt: now.toISOString(),
    expiresAt,
  });
  return {
    registrationUrl: `${publicUrl}${REGISTER_PATH}${token}`,
    expiresAt,
    tenant: tenant.slug,
    kind,
    gradeSync,
    instruction: `Paste this into ${platformName(kind)}'s tool registration URL field (${registrationField(kind)}); it works once, until ${expiresAt}.`,
  };
}

function registrationField(kind: LmsKind): string {
  switch (kind) {
    case "moodle":
      return "Site administration > Plugins > Activity modules > External tool > Manage tools > Tool URL, then 'Add LTI Advantage'";
    case "canvas":
      return "Admin > Developer Keys > + Developer Key > + LTI Registration";
    default:
      return "Admin Tools > Manage Extensibility > LTI Advantage > Register Tool > Dynamic";
  }
}

export interface CompletedRegistration {
  tenant: string;
  kind: LmsKind;
  issuer: string;
  clientId: string;
  deploymentId: string;
  gradeSync: GradeSyncOption;
  scopes: string[];
}

const refuse = (status: number, reason: string, message: string, hint?: string): never => {
  throw new LaunchRefusal(status, reason, message, hint);
};

/**
 * Answers a registration URL: `token` is its last path segment, `params` the query the LMS added.
 * Throws a LaunchRefusal (status, reason, message, hint) for every refusal; the URL stays usable
 * after a refusal so the admin can fix the LMS and try again.
 */
export async function completeDynamicRegistration(
  ctx: Context,
  tool: ToolUrls,
  token: string,
  params: { openidConfiguration?: string; registrationToken?: string },
  http: HttpClient,
): Promise<CompletedRegistration> {
  const { db } = ctx.state();
  const row = token ? findRegistrationToken(db, hashOf(token)) : undefined;
  if (!row)
    refuse(
      404,
      "unknown-registration-url",
      "This registration URL is not one gg4l made (or it was mistyped).",
      "Ask the gg4l operator for a new one: gg4l lms register --dynamic --kind <kind> --grade-sync <option>",
    );
  const reg = row!;
  const nowDate = ctx.now();
  const now = nowDate.toISOString();
  const fresh = "Ask the gg4l operator for a new registration URL (gg4l lms register --dynamic …).";
  if (reg.usedAt)
    refuse(410, "registration-url-used", `This registration URL was already used (${reg.usedAt}).`, fresh);
  if (reg.expiresAt <= now)
    refuse(410, "registration-url-expired", `This registration URL expired at ${reg.expiresAt}.`, fresh);
  const configUrl = params.openidConfiguration;
  if (!configUrl)
    refuse(
      400,
      "no-openid-configuration",
      "The request carries no openid_configuration: open this URL from the LMS's tool registration page, not directly.",
      `Paste it into ${platformName(reg.kind)}'s tool registration URL field.`,
    );
  try {
    validateUrl(configUrl!, "openid_configuration");
  } catch {
    refuse(400, "bad-openid-configuration", "The openid_configuration the LMS sent is not an http(s) URL.");
  }
  const staleBefore = new Date(nowDate.getTime() - CLAIM_MS).toISOString();
  if (!claimRegistrationToken(db, reg.id, now, staleBefore))
    refuse(
      409,
      "registration-in-progress",
      "A registration through this URL is already in progress.",
      "Wait a moment and reload.",
    );
  try {
    const done = await register(ctx, tool, reg, configUrl!, params.registrationToken, http);
    return done;
  } catch (error) {
    releaseRegistrationToken(db, reg.id);
    if (error instanceof DynamicRegistrationError)
      refuse(
        502,
        error.reason,
        `${error.message}${error.lmsMessage ? ` (the LMS said: ${error.lmsMessage})` : ""}`,
        error.hint,
      );
    if (error instanceof ConflictError) refuse(409, "grade-sync-conflict", error.message, error.hint);
    if (error instanceof RemoteError)
      refuse(
        502,
        "platform-unreachable",
        `gg4l could not reach ${platformName(reg.kind)}: ${error.message}`,
        "Check that this server can reach the LMS (proxy, firewall), then reload to try again.",
      );
    throw error;
  }
}

async function register(
  ctx: Context,
  tool: ToolUrls,
  reg: NonNullable<ReturnType<typeof findRegistrationToken>>,
  configUrl: string,
  registrationToken: string | undefined,
  http: HttpClient,
): Promise<CompletedRegistration> {
  const lms = platformName(reg.kind);
  const config: PlatformConfiguration = await fetchPlatformConfiguration(http, configUrl, registrationToken);
  const family = config.productFamilyCode;
  if (family && family !== DYNAMIC_KINDS[reg.kind])
    refuse(
      409,
      "wrong-lms-kind",
      `This registration URL was made for ${lms}, but the LMS says it is "${family}".`,
      "Ask the gg4l operator for a URL made with the right --kind.",
    );
  const tenant = findTenant(ctx.state().db, reg.tenantSlug);
  if (!tenant) refuse(404, "tenant-gone", `Tenant "${reg.tenantSlug}" no longer exists in gg4l.`);
  const issuer = config.issuer.replace(/\/+$/, "");
  assertOneOption(ctx, tenant!, issuer, reg.gradeSync);

  const wanted = scopesToRequest();
  const notOffered = config.scopesSupported ? wanted.filter((s) => !config.scopesSupported!.includes(s)) : [];
  const needed = requiredScopes(reg.gradeSync);
  const missingBefore = notOffered.filter((s) => needed.includes(s));
  if (missingBefore.length > 0) scopeRefusal(reg.kind, reg.gradeSync, missingBefore, false);

  const registered = await registerTool(
    http,
    config.registrationEndpoint,
    registrationToken,
    toolRegistrationBody({
      clientName: "Coursera (gg4l)",
      loginUrl: tool.loginUrl,
      launchUrl: tool.launchUrl,
      deepLinkUrl: tool.deepLinkUrl,
      jwksUrl: tool.jwksUrl,
      scopes: wanted,
    }),
  );
  const granted = registered.scopes ?? wanted;
  const missing = needed.filter((s) => !granted.includes(s));
  if (missing.length > 0) scopeRefusal(reg.kind, reg.gradeSync, missing, true);
  if (!registered.deploymentId)
    refuse(
      502,
      "no-deployment-id",
      `${lms} registered the tool (client id ${registered.clientId}) but did not say its deployment id.`,
      `Finish by hand: \`gg4l lms register --kind ${reg.kind} --client-id ${registered.clientId} --deployment-id <id> …\` with the deployment id ${lms} shows for the tool.`,
    );
  const db = ctx.state().db;
  const now = ctx.now().toISOString();
  db.transaction(() => {
    upsertRegistration(
      db,
      {
        tenantId: tenant!.id,
        kind: reg.kind,
        issuer,
        clientId: registered.clientId,
        deploymentId: registered.deploymentId!,
        authUrl: config.authorizationEndpoint,
        tokenUrl: config.tokenEndpoint,
        jwksUrl: config.jwksUri,
        tokenAudience:
          config.authorizationServer && config.authorizationServer !== config.tokenEndpoint
            ? config.authorizationServer
            : null,
        gradeSync: reg.gradeSync,
      },
      now,
    );
    markRegistrationTokenUsed(db, reg.id, issuer, now);
  })();
  return {
    tenant: reg.tenantSlug,
    kind: reg.kind,
    issuer,
    clientId: registered.clientId,
    deploymentId: registered.deploymentId!,
    gradeSync: reg.gradeSync,
    scopes: granted,
  };
}

function scopeRefusal(kind: LmsKind, gradeSync: GradeSyncOption, missing: string[], created: boolean): never {
  const lms = platformName(kind);
  return refuse(
    403,
    "scope-not-granted",
    `${lms} does not grant ${missing.map(shortScope).join(", ")}, which grade-sync ${gradeSync} needs.`,
    `${created ? `Delete the tool ${lms} just created; ` : ""}${scopeSwitch(kind, missing[0]!)}; then start the registration again with the same URL.`,
  );
}
