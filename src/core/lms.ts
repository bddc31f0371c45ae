import { ConflictError, NotFoundError, UsageError } from "../base/errors.js";
import { keyPathFor, publicJwks, readToolKeyFile } from "../base/keys.js";
import { saveClassroomSettings } from "../store/classroom.js";
import {
  findRegistrationByTenant,
  findRegistrationsByIssuer,
  gradeSyncOptions,
  type LmsRegistrationRow,
  lmsKinds,
  upsertRegistration,
} from "../store/lms.js";
import type { TenantRow } from "../store/tenants.js";
import type { LmsCheckResult } from "./check-result.js";
import {
  CLASSROOM_KIND,
  type ClassroomRegisterInput,
  type ClassroomView,
  classroomView,
  isClassroom,
  type PreparedClassroom,
  prepareClassroomRegistration,
  storeClassroomKey,
} from "./classroom/index.js";
import type { Context } from "./context.js";
import { currentTenant } from "./tenants.js";
import { oneOf, validateUrl } from "./validate.js";

/** The LTI settings are required for the LTI kinds; google-classroom takes the Classroom ones instead. */
export interface RegisterLmsInput extends ClassroomRegisterInput {
  kind: string;
  issuer?: string;
  clientId?: string;
  deploymentId?: string;
  authUrl?: string;
  tokenUrl?: string;
  jwksUrl?: string;
  tokenAudience?: string;
  gradeSync: string;
}

const LTI_FLAGS = [
  ["issuer", "--issuer <url>"],
  ["clientId", "--client-id <id>"],
  ["deploymentId", "--deployment-id <id>"],
  ["authUrl", "--auth-url <url>"],
  ["tokenUrl", "--token-url <url>"],
  ["jwksUrl", "--jwks-url <url>"],
] as const;
const LTI_ONLY_FLAGS = [
  ["clientId", "--client-id"],
  ["deploymentId", "--deployment-id"],
  ["authUrl", "--auth-url"],
  ["jwksUrl", "--jwks-url"],
  ["tokenAudience", "--token-audience"],
] as const;
const CLASSROOM_ONLY_FLAGS = [
  ["serviceAccountKey", "--service-account-key"],
  ["teacher", "--teacher"],
  ["courseTeacher", "--course-teacher"],
  ["apiUrl", "--api-url"],
] as const;

/** The flags that belong to the kind, or a usage error naming what is missing or out of place. */
function checkFlagsForKind(kind: string, input: RegisterLmsInput): void {
  const given = (name: keyof RegisterLmsInput) => {
    const v = input[name];
    return Array.isArray(v) ? v.length > 0 : v !== undefined;
  };
  if (kind === CLASSROOM_KIND) {
    const stray = LTI_ONLY_FLAGS.filter(([name]) => given(name)).map(([, flag]) => flag);
    if (stray.length > 0) {
      throw new UsageError(
        `${stray.join(", ")} ${stray.length > 1 ? "are" : "is"} for LTI 1.3 kinds, not --kind google-classroom`,
        {
          hint: "Google Classroom takes --service-account-key <file> --teacher <e-mail> [--course-teacher <id>=<e-mail>] [--api-url <url>] [--token-url <url>]",
        },
      );
    }
    return;
  }
  const stray = CLASSROOM_ONLY_FLAGS.filter(([name]) => given(name)).map(([, flag]) => flag);
  if (stray.length > 0) {
    throw new UsageError(
      `${stray.join(", ")} ${stray.length > 1 ? "are" : "is"} for --kind google-classroom only`,
      {
        hint: "an LTI 1.3 registration takes --issuer, --client-id, --deployment-id, --auth-url, --token-url and --jwks-url",
      },
    );
  }
  const missing = LTI_FLAGS.filter(([name]) => !given(name)).map(([, flag]) => flag);
  if (missing.length > 0) {
    throw new UsageError(`--kind ${kind} needs ${missing.join(", ")}`, {
      hint: "an LTI 1.3 registration takes the values the LMS shows for the tool; see `gg4l lms register --help`",
    });
  }
}

export type LmsView = Omit<
  LmsRegistrationRow,
  "id" | "tenantId" | "createdAt" | "classroomReturn" | "testLaunches"
> & {
  tenant: string;
  /** Google Classroom settings (google-classroom only; null for the LTI kinds). */
  classroom?: ClassroomView | null;
};

export function lmsView(
  tenant: TenantRow,
  reg: LmsRegistrationRow,
  classroom?: ClassroomView | null,
): LmsView {
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
    ...(classroom !== undefined ? { classroom } : {}),
  };
}

export function registerLms(ctx: Context, input: RegisterLmsInput): LmsView & { updated: boolean } {
  const kind = oneOf(input.kind, lmsKinds, "--kind");
  const gradeSync = oneOf(input.gradeSync, gradeSyncOptions, "--grade-sync");
  checkFlagsForKind(kind, input);
  let classroom: PreparedClassroom | undefined;
  let issuer: string;
  if (kind === CLASSROOM_KIND) {
    classroom = prepareClassroomRegistration(input);
    issuer = classroom.issuer;
  } else {
    issuer = validateUrl(input.issuer!, "--issuer").replace(/\/+$/, "");
    validateUrl(input.authUrl!, "--auth-url");
    validateUrl(input.tokenUrl!, "--token-url");
    validateUrl(input.jwksUrl!, "--jwks-url");
  }
  const tenant = currentTenant(ctx);
  const { db } = ctx.state();
  const existing = findRegistrationByTenant(db, tenant.id);
  assertOneOption(ctx, tenant, issuer, gradeSync);
  const now = ctx.now().toISOString();
  if (classroom) {
    const prepared = classroom;
    // The key file first: a registration whose key is missing would fail every call.
    storeClassroomKey(ctx.dbPath, tenant.slug, prepared.keyText);
    const row = db.transaction(() => {
      const saved = upsertRegistration(
        db,
        {
          tenantId: tenant.id,
          kind,
          issuer,
          // The LTI columns hold their Classroom counterparts: the service account, its project, the token URL.
          clientId: prepared.key.client_email,
          deploymentId: prepared.key.project_id,
          authUrl: "",
          tokenUrl: prepared.tokenUrl,
          jwksUrl: "",
          tokenAudience: null,
          gradeSync,
        },
        now,
      );
      saveClassroomSettings(
        db,
        {
          registrationId: saved.id,
          apiUrl: prepared.apiUrl,
          serviceAccount: prepared.key.client_email,
          projectId: prepared.key.project_id,
          keyId: prepared.key.private_key_id,
          defaultTeacher: prepared.defaultTeacher,
          teachers: prepared.teachers,
        },
        now,
      );
      return saved;
    })();
    return { ...lmsView(tenant, row, classroomView(ctx, tenant, row)), updated: existing !== undefined };
  }
  const row = upsertRegistration(
    db,
    {
      tenantId: tenant.id,
      kind,
      issuer,
      clientId: input.clientId!,
      deploymentId: input.deploymentId!,
      authUrl: input.authUrl!,
      tokenUrl: input.tokenUrl!,
      jwksUrl: input.jwksUrl!,
      tokenAudience: input.tokenAudience ?? null,
      gradeSync,
    },
    now,
  );
  return { ...lmsView(tenant, row), updated: existing !== undefined };
}

/** R1: one grade-sync option per LMS instance, whichever tenant registered it (exit 6 otherwise). */
export function assertOneOption(ctx: Context, tenant: TenantRow, issuer: string, gradeSync: string): void {
  const sameInstance = findRegistrationsByIssuer(ctx.state().db, issuer).filter(
    (r) => r.gradeSync !== gradeSync,
  );
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
  return isClassroom(reg) ? lmsView(tenant, reg, classroomView(ctx, tenant, reg)) : lmsView(tenant, reg);
}

/** The tool's public JWKS; needs only the key file, not a tenant. */
export function toolJwks(ctx: Context): ReturnType<typeof publicJwks> {
  ctx.state();
  return publicJwks(readToolKeyFile(keyPathFor(ctx.dbPath)));
}

export type { LmsCheckResult };

/** Platform JWKS, one service token for every scope, the scopes this tenant needs, a roster page, the line items of a context. */
export async function checkLms(
  ctx: Context,
  contextUrl: string | undefined,
  opts: { classroomCourse?: string; membershipsUrl?: string } = {},
): Promise<LmsCheckResult> {
  const { tenant, reg } = requireRegistration(ctx);
  if (contextUrl) validateUrl(contextUrl, "--context-url");
  if (opts.membershipsUrl) validateUrl(opts.membershipsUrl, "--memberships-url");
  if (isClassroom(reg)) {
    if (opts.membershipsUrl)
      throw new UsageError("--memberships-url is for an LTI registration", {
        hint: "Google Classroom rosters are checked per course: pass --classroom-course <id>",
      });
    const [{ checkClassroom }, { parseContainerRef }, { HttpClient }] = await Promise.all([
      import("./classroom/check.js"),
      import("../clients/classroom/gradebook.js"),
      import("../clients/http.js"),
    ]);
    const courses = [
      ...(opts.classroomCourse ? [opts.classroomCourse] : []),
      ...(contextUrl ? [parseContainerRef(contextUrl)] : []),
    ];
    return checkClassroom(ctx, tenant, reg, {
      courses,
      http: new HttpClient({ logger: ctx.logger, retry: { retries: 2 } }),
    });
  }
  if (opts.classroomCourse) {
    throw new UsageError("--classroom-course is for a google-classroom registration", {
      hint: `this tenant's LMS is ${reg.kind}: pass --context-url <line-items URL> instead`,
    });
  }
  const { anyLineItemsUrl, anyNrpsUrl } = await import("../store/links.js");
  const db = ctx.state().db;
  const lineItemsUrl = contextUrl ?? anyLineItemsUrl(db, reg.id);
  const membershipsUrl = opts.membershipsUrl ?? anyNrpsUrl(db, reg.id, lineItemsUrl);
  const [{ checkLmsRegistration }, { loadToolKey }, { ltiRegistration }, { HttpClient }, { scopePolicy }] =
    await Promise.all([
      import("../clients/lti/check.js"),
      import("../base/keys.js"),
      import("./lti.js"),
      import("../clients/http.js"),
      import("./lms-scopes.js"),
    ]);
  const key = await loadToolKey(keyPathFor(ctx.dbPath));
  const checks = await checkLmsRegistration(ltiRegistration(reg), key, {
    http: new HttpClient({ logger: ctx.logger, retry: { retries: 2 } }),
    policy: scopePolicy(reg),
    ...(lineItemsUrl ? { lineItemsUrl } : {}),
    ...(membershipsUrl ? { membershipsUrl } : {}),
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
