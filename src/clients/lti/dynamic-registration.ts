/**
 * The tool side of 1EdTech LTI Dynamic Registration 1.0 on the wire: read the platform's
 * OpenID configuration, then POST the tool's client registration to its registration endpoint
 * with the registration token as a bearer token (fixtures/fake-lms/README.md, "Dynamic registration").
 */
import { type HttpClient, type HttpResponse, safeOrigin } from "../http.js";
import { lmsMessageOf } from "./errors.js";

export const PLATFORM_CONFIGURATION_CLAIM = "https://purl.imsglobal.org/spec/lti-platform-configuration";
export const TOOL_CONFIGURATION_CLAIM = "https://purl.imsglobal.org/spec/lti-tool-configuration";

export interface PlatformConfiguration {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  registrationEndpoint: string;
  /** The `aud` of client assertions when the platform names one other than its token endpoint. */
  authorizationServer?: string;
  scopesSupported?: string[];
  productFamilyCode?: string;
  messagesSupported: string[];
}

export interface ToolRegistrationRequest {
  clientName: string;
  loginUrl: string;
  launchUrl: string;
  deepLinkUrl: string;
  jwksUrl: string;
  scopes: readonly string[];
}

export interface RegisteredTool {
  clientId: string;
  deploymentId: string | undefined;
  /** The scopes the platform granted (its answer's `scope`); undefined when it did not say. */
  scopes: string[] | undefined;
}

/** A step of the exchange failed; `reason` is a stable code for the log. */
export class DynamicRegistrationError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly hint?: string,
    readonly lmsMessage?: string,
  ) {
    super(message);
    this.name = "DynamicRegistrationError";
  }
}

function jsonObject(res: HttpResponse, what: string): Record<string, unknown> {
  const type = (res.headers["content-type"] ?? "").toLowerCase();
  if (!type.includes("json"))
    throw new DynamicRegistrationError(
      "platform-not-json",
      `${what} at ${safeOrigin(res.url)} answered ${type || "no content type"}, not JSON`,
      "the URL may lead to a login or error page: start the registration again from the LMS",
      lmsMessageOf(res),
    );
  try {
    const value: unknown = JSON.parse(res.body);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw new DynamicRegistrationError(
    "platform-bad-json",
    `${what} at ${safeOrigin(res.url)} is not a JSON object`,
  );
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;

/** The platform's OpenID configuration; its issuer must be a prefix of the URL it came from. */
export async function fetchPlatformConfiguration(
  http: HttpClient,
  url: string,
  registrationToken: string | undefined,
): Promise<PlatformConfiguration> {
  const res = await http.request(url, {
    headers: {
      accept: "application/json",
      ...(registrationToken ? { authorization: `Bearer ${registrationToken}` } : {}),
    },
    timeoutMs: 15_000,
  });
  if (res.status !== 200)
    throw new DynamicRegistrationError(
      "platform-configuration-status",
      `the LMS's OpenID configuration answered HTTP ${res.status}`,
      "the registration may have timed out in the LMS: start it again there",
      lmsMessageOf(res),
    );
  const body = jsonObject(res, "the OpenID configuration");
  const platform = body[PLATFORM_CONFIGURATION_CLAIM];
  const config: Partial<PlatformConfiguration> = {
    issuer: str(body.issuer),
    authorizationEndpoint: str(body.authorization_endpoint),
    tokenEndpoint: str(body.token_endpoint),
    jwksUri: str(body.jwks_uri),
    registrationEndpoint: str(body.registration_endpoint),
  };
  const missing = Object.entries(config)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
  if (missing.length > 0 || !platform || typeof platform !== "object")
    throw new DynamicRegistrationError(
      "platform-configuration-incomplete",
      `the LMS's OpenID configuration lacks ${[...missing, ...(platform && typeof platform === "object" ? [] : [PLATFORM_CONFIGURATION_CLAIM])].join(", ")}`,
      "this LMS may not support LTI Dynamic Registration: register the tool by hand (gg4l lms guide <kind>)",
    );
  const issuer = config.issuer!;
  if (!url.startsWith(issuer))
    throw new DynamicRegistrationError(
      "issuer-mismatch",
      `the LMS says its issuer is ${issuer}, which is not a prefix of the configuration URL ${safeOrigin(url)}…; the specification requires it to be`,
      "the registration did not come from the LMS it claims to be: start it again from the LMS's own admin pages",
    );
  const p = platform as Record<string, unknown>;
  const messages = Array.isArray(p.messages_supported)
    ? p.messages_supported.map((m) => str((m as { type?: unknown })?.type)).filter((t): t is string => !!t)
    : [];
  return {
    ...(config as Omit<PlatformConfiguration, "messagesSupported">),
    ...(str(body.authorization_server) ? { authorizationServer: str(body.authorization_server) } : {}),
    ...(strings(body.scopes_supported) ? { scopesSupported: strings(body.scopes_supported) } : {}),
    ...(str(p.product_family_code) ? { productFamilyCode: str(p.product_family_code) } : {}),
    messagesSupported: messages,
  };
}

/** The client registration the tool sends (OpenID Connect Dynamic Client Registration with the LTI claim). */
export function toolRegistrationBody(tool: ToolRegistrationRequest): Record<string, unknown> {
  const domain = new URL(tool.launchUrl).host;
  return {
    application_type: "web",
    response_types: ["id_token"],
    grant_types: ["implicit", "client_credentials"],
    initiate_login_uri: tool.loginUrl,
    redirect_uris: [tool.launchUrl],
    client_name: tool.clientName,
    jwks_uri: tool.jwksUrl,
    token_endpoint_auth_method: "private_key_jwt",
    scope: tool.scopes.join(" "),
    [TOOL_CONFIGURATION_CLAIM]: {
      domain,
      target_link_uri: tool.launchUrl,
      claims: ["iss", "sub", "name", "given_name", "family_name", "email"],
      messages: [
        { type: "LtiResourceLinkRequest", target_link_uri: tool.launchUrl, label: tool.clientName },
        { type: "LtiDeepLinkingRequest", target_link_uri: tool.deepLinkUrl, label: tool.clientName },
      ],
    },
  };
}

export async function registerTool(
  http: HttpClient,
  endpoint: string,
  registrationToken: string | undefined,
  body: Record<string, unknown>,
): Promise<RegisteredTool> {
  const res = await http.request(endpoint, {
    method: "POST",
    headers: {
      accept: "application/json",
      "content-type": "application/json",
      ...(registrationToken ? { authorization: `Bearer ${registrationToken}` } : {}),
    },
    body: JSON.stringify(body),
    timeoutMs: 30_000,
  });
  if (res.status < 200 || res.status > 299)
    throw new DynamicRegistrationError(
      res.status === 401 || res.status === 403 ? "registration-token-refused" : "registration-refused",
      `the LMS refused the tool registration with HTTP ${res.status}`,
      res.status === 401 || res.status === 403
        ? "the LMS's registration token expired or was used: start the registration again in the LMS"
        : "see what the LMS said; start the registration again in the LMS once it is fixed",
      lmsMessageOf(res),
    );
  const answer = jsonObject(res, "the registration answer");
  const clientId = str(answer.client_id);
  if (!clientId)
    throw new DynamicRegistrationError(
      "registration-no-client-id",
      "the LMS's registration answer has no client_id",
    );
  const toolConfig = answer[TOOL_CONFIGURATION_CLAIM] as Record<string, unknown> | undefined;
  const scope = str(answer.scope);
  return {
    clientId,
    deploymentId: str(toolConfig?.deployment_id),
    scopes: typeof answer.scope === "string" ? (scope ?? "").split(/\s+/).filter(Boolean) : undefined,
  };
}
