/**
 * Login initiation (LTI §1.2–§1.3): find the registration the platform speaks for, store a
 * single-use state and nonce, and send the browser to the platform's OIDC auth URL.
 */
import { randomBytes } from "node:crypto";
import { findRegistrationsByIssuer, type LmsRegistrationRow } from "../../store/lms.js";
import { insertOidcState, purgeExpiredOidcStates } from "../../store/oidc.js";
import type { Context } from "../context.js";
import { refuse } from "./errors.js";

/** How long a login may take from initiation to the id_token's arrival. */
export const STATE_TTL_SECONDS = 600;

export interface LoginStart {
  /** The platform's OIDC auth URL with the authentication request. */
  redirectUrl: string;
  state: string;
  registration: LmsRegistrationRow;
}

const token = () => randomBytes(24).toString("base64url");

/** The registration by issuer, and client_id when the platform sent one (one issuer may serve many tools). */
export function registrationFor(
  ctx: Context,
  issuer: string,
  clientId: string | undefined,
): LmsRegistrationRow {
  const all = findRegistrationsByIssuer(ctx.state().db, issuer);
  const matching = clientId === undefined ? all : all.filter((r) => r.clientId === clientId);
  if (matching.length === 1) return matching[0]!;
  if (all.length === 0)
    refuse(
      400,
      "unknown-issuer",
      `no LMS registration for issuer ${issuer}`,
      "register the LMS with `gg4l lms register --issuer …` before launching",
    );
  if (matching.length === 0)
    refuse(
      400,
      "unknown-client",
      `no LMS registration for issuer ${issuer} with client_id ${clientId}`,
      "check --client-id of `gg4l lms register`",
    );
  return refuse(
    400,
    "ambiguous-issuer",
    `several registrations share issuer ${issuer} and the login did not say which (no client_id)`,
    "ask the LMS admin to send client_id with the login initiation",
  );
}

export function beginLogin(ctx: Context, params: Record<string, string>, launchUrl: string): LoginStart {
  const { iss, login_hint: loginHint, target_link_uri: targetLinkUri } = params;
  if (!iss) refuse(400, "no-issuer", "the login initiation has no iss");
  if (!loginHint) refuse(400, "no-login-hint", "the login initiation has no login_hint");
  if (!targetLinkUri) refuse(400, "no-target-link-uri", "the login initiation has no target_link_uri");
  const registration = registrationFor(ctx, iss, params.client_id || undefined);
  const deployment = params.lti_deployment_id;
  if (deployment && deployment !== registration.deploymentId)
    refuse(
      403,
      "unknown-deployment",
      "the login comes from a deployment this registration does not know",
      "check --deployment-id of `gg4l lms register`",
    );
  const { db } = ctx.state();
  const now = ctx.now();
  const state = token();
  const nonce = token();
  db.transaction(() => {
    purgeExpiredOidcStates(db, now.toISOString());
    insertOidcState(db, {
      state,
      nonce,
      registrationId: registration.id,
      targetLinkUri,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + STATE_TTL_SECONDS * 1000).toISOString(),
    });
  })();
  const auth = new URL(registration.authUrl);
  const request: Record<string, string> = {
    scope: "openid",
    response_type: "id_token",
    response_mode: "form_post",
    prompt: "none",
    client_id: registration.clientId,
    redirect_uri: launchUrl,
    login_hint: loginHint,
    state,
    nonce,
  };
  if (params.lti_message_hint !== undefined) request.lti_message_hint = params.lti_message_hint;
  for (const [k, v] of Object.entries(request)) auth.searchParams.set(k, v);
  return { redirectUrl: auth.href, state, registration };
}
