/**
 * id_token validation (LTI §1.5 and the certification negatives of §2.1): signature against
 * the platform JWKS, issuer, audience/azp, timestamps, the nonce of this login, and the LTI
 * claims. Returns the launch as plain data or throws a LaunchRefusal naming the cause.
 */
import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import type { LmsRegistrationRow } from "../../store/lms.js";
import { CLAIM, DEEP_LINKING_REQUEST, LTI_VERSION, RESOURCE_LINK_REQUEST } from "./claims.js";
import { refuse } from "./errors.js";
import { JwksError, type PlatformKeySets, UnknownKidError } from "./jwks.js";

export interface DeepLinkingSettings {
  returnUrl: string;
  acceptTypes: string[];
  acceptTargets: string[];
  acceptMultiple: boolean;
  acceptLineItem: boolean;
  data: string | null;
}

export interface ValidLaunch {
  messageType: typeof RESOURCE_LINK_REQUEST | typeof DEEP_LINKING_REQUEST;
  sub: string;
  deploymentId: string;
  email: string | null;
  name: string | null;
  roles: string[];
  context: { id: string; title: string | null } | null;
  resourceLink: { id: string; title: string | null } | null;
  custom: Record<string, string>;
  ags: { lineitem: string | null; lineitems: string | null; scope: string[] } | null;
  nrpsUrl: string | null;
  deepLinking: DeepLinkingSettings | null;
}

export interface ValidationInput {
  idToken: string;
  registration: LmsRegistrationRow;
  /** The nonce stored with this login's state. */
  nonce: string;
  /** The target_link_uri of the login initiation. */
  targetLinkUri: string;
  keys: PlatformKeySets;
  now: Date;
}

const CLOCK_TOLERANCE_S = 60;
const MAX_TOKEN_AGE_S = 600;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const httpUrl = (v: unknown): string | null => {
  const s = str(v);
  if (!s) return null;
  try {
    const { protocol } = new URL(s);
    return protocol === "https:" || protocol === "http:" ? s : null;
  } catch {
    return null;
  }
};

async function verifySignature(input: ValidationInput): Promise<JWTPayload> {
  const { idToken, registration: reg } = input;
  if (idToken.split(".").length !== 3)
    refuse(400, "malformed-jwt", "the id_token is not a signed JWT (it must have 3 parts)");
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(idToken);
  } catch {
    return refuse(400, "malformed-jwt", "the id_token header cannot be read");
  }
  if (header.alg !== "RS256")
    refuse(403, "bad-algorithm", `the id_token is signed with ${String(header.alg)}; only RS256 is accepted`);
  if (typeof header.kid !== "string" || header.kid === "")
    refuse(403, "no-kid", "no kid in the JWT header: the platform key cannot be chosen");
  let key: Awaited<ReturnType<PlatformKeySets["key"]>>;
  try {
    key = await input.keys.key(reg.jwksUrl, header.kid);
  } catch (error) {
    if (error instanceof UnknownKidError)
      return refuse(403, "unknown-kid", `no platform key matches the JWT's kid "${header.kid}"`);
    if (error instanceof JwksError)
      return refuse(502, "jwks-unavailable", error.message, "check the registration's --jwks-url");
    throw error;
  }
  try {
    const { payload } = await jwtVerify(idToken, key, {
      algorithms: ["RS256"],
      issuer: reg.issuer,
      audience: reg.clientId,
      currentDate: input.now,
      clockTolerance: CLOCK_TOLERANCE_S,
      maxTokenAge: MAX_TOKEN_AGE_S,
      requiredClaims: ["exp", "iat"],
    });
    return payload;
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed)
      return refuse(403, "bad-signature", "the id_token signature does not verify");
    if (error instanceof errors.JWTExpired)
      return refuse(403, "bad-timestamps", `the id_token is expired or too old (${error.message})`);
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.reason === "missing")
        return refuse(
          403,
          "missing-claim",
          `the id_token has no "${error.claim}" claim: it is not an LTI launch`,
        );
      if (error.claim === "aud")
        return refuse(401, "wrong-audience", `the id_token is not for this tool: ${error.message}`);
      if (error.claim === "iss")
        return refuse(403, "wrong-issuer", `the id_token's issuer is not ${reg.issuer}: ${error.message}`);
      return refuse(403, "bad-timestamps", `the id_token's timestamps are wrong: ${error.message}`);
    }
    if (error instanceof errors.JOSEError)
      return refuse(400, "malformed-jwt", `the id_token is invalid: ${error.message}`);
    throw error;
  }
}

function checkAuthorizedParty(payload: JWTPayload, clientId: string): void {
  const aud = payload.aud;
  if (Array.isArray(aud) && aud.length > 1 && payload.azp === undefined)
    refuse(401, "no-azp", "the id_token names several audiences but no authorized party (azp)");
  if (payload.azp !== undefined && payload.azp !== clientId)
    refuse(
      401,
      "wrong-azp",
      `the id_token's authorized party (azp) is not this tool's client_id ${clientId}`,
    );
}

function deepLinkingSettings(raw: unknown): DeepLinkingSettings {
  const settings = isRecord(raw) ? raw : {};
  const returnUrl = httpUrl(settings.deep_link_return_url);
  if (!returnUrl)
    refuse(400, "no-deep-linking-settings", "Missing Deep Linking Settings (deep_link_return_url)");
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  return {
    returnUrl,
    acceptTypes: list(settings.accept_types),
    acceptTargets: list(settings.accept_presentation_document_targets),
    acceptMultiple: settings.accept_multiple !== false && settings.accept_multiple !== "false",
    acceptLineItem: settings.accept_lineitem !== false && settings.accept_lineitem !== "false",
    data: typeof settings.data === "string" ? settings.data : null,
  };
}

function userName(p: JWTPayload): string | null {
  const name = str(p.name);
  if (name) return name;
  const parts = [str(p.given_name), str(p.family_name)].filter((x) => x !== null);
  return parts.length > 0 ? parts.join(" ") : null;
}

function stringMap(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(raw)) for (const [k, v] of Object.entries(raw)) if (typeof v === "string") out[k] = v;
  return out;
}

export async function validateIdToken(input: ValidationInput): Promise<ValidLaunch> {
  const reg = input.registration;
  const p = await verifySignature(input);
  checkAuthorizedParty(p, reg.clientId);
  if (p.nonce !== input.nonce)
    refuse(403, "nonce-mismatch", "the id_token's nonce is not the one issued for this login (a replay?)");
  if (p[CLAIM.version] !== LTI_VERSION)
    refuse(422, "wrong-version", `Incorrect version, expected ${LTI_VERSION}`);
  const messageType = p[CLAIM.messageType];
  if (messageType !== RESOURCE_LINK_REQUEST && messageType !== DEEP_LINKING_REQUEST)
    refuse(400, "unknown-message-type", `unknown or missing message_type (${String(messageType ?? "none")})`);
  const deploymentId = str(p[CLAIM.deploymentId]);
  if (!deploymentId) refuse(400, "no-deployment-id", "Missing deployment_id");
  if (deploymentId !== reg.deploymentId)
    refuse(
      403,
      "unknown-deployment",
      "the launch comes from a deployment this registration does not know",
      "check --deployment-id of `gg4l lms register`",
    );
  const roles = p[CLAIM.roles];
  if (!Array.isArray(roles)) refuse(400, "no-roles", "Missing Roles Claim");
  const sub = str(p.sub);
  if (!sub || sub.length > 255) refuse(400, "no-sub", "Must have a user (sub)");
  if (p[CLAIM.targetLinkUri] !== input.targetLinkUri)
    refuse(400, "target-link-uri-mismatch", "the signed target_link_uri differs from the login's");
  const context = isRecord(p[CLAIM.context]) ? (p[CLAIM.context] as Record<string, unknown>) : null;
  const ags = isRecord(p[CLAIM.agsEndpoint]) ? (p[CLAIM.agsEndpoint] as Record<string, unknown>) : null;
  const nrps = isRecord(p[CLAIM.nrps]) ? (p[CLAIM.nrps] as Record<string, unknown>) : null;
  let resourceLink: ValidLaunch["resourceLink"] = null;
  let deepLinking: DeepLinkingSettings | null = null;
  if (messageType === RESOURCE_LINK_REQUEST) {
    const link = p[CLAIM.resourceLink];
    const id = isRecord(link) ? str(link.id) : null;
    if (!id || id.length > 255) refuse(400, "no-resource-link", "Missing Resource Link Id");
    resourceLink = { id, title: isRecord(link) ? str(link.title) : null };
  } else {
    deepLinking = deepLinkingSettings(p[CLAIM.deepLinkingSettings]);
  }
  return {
    messageType,
    sub,
    deploymentId,
    email: str(p.email),
    name: userName(p),
    roles: (roles as unknown[]).filter((r): r is string => typeof r === "string"),
    context: context && str(context.id) ? { id: str(context.id)!, title: str(context.title) } : null,
    resourceLink,
    custom: stringMap(p[CLAIM.custom]),
    ags: ags
      ? {
          lineitem: httpUrl(ags.lineitem),
          lineitems: httpUrl(ags.lineitems),
          scope: Array.isArray(ags.scope) ? ags.scope.filter((s): s is string => typeof s === "string") : [],
        }
      : null,
    nrpsUrl: nrps ? httpUrl(nrps.context_memberships_url) : null,
    deepLinking,
  };
}
