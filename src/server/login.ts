/** GET or POST login initiation (LTI §1.2): set the state cookie and redirect to the platform. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { logEvent } from "../core/launch/log.js";
import { beginLogin, STATE_TTL_SECONDS } from "../core/launch/login.js";
import type { LaunchServices } from "../core/launch/services.js";
import { type CookiePolicy, cookie, fields, HttpError, readForm, redirect } from "./http.js";
import { refusePage } from "./respond.js";

export const STATE_COOKIE_PREFIX = "gg4l_state_";

export async function handleLogin(
  svc: LaunchServices,
  cookies: CookiePolicy,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  try {
    let params: Record<string, string>;
    if (req.method === "GET") params = Object.fromEntries(url.searchParams);
    else if (req.method === "POST") params = fields(await readForm(req));
    else throw new HttpError(405, "login initiation takes GET or POST");
    const start = beginLogin(svc.ctx, params, svc.urls.launchUrl);
    // One cookie per state, so two launches in two frames of one LMS page do not overwrite each other.
    res.setHeader(
      "set-cookie",
      cookie(`${STATE_COOKIE_PREFIX}${start.state}`, "1", STATE_TTL_SECONDS, cookies),
    );
    logEvent(svc.ctx, "login", { lms: start.registration.kind, issuer: start.registration.issuer });
    redirect(res, start.redirectUrl);
  } catch (error) {
    refusePage(svc, res, "login", error);
  }
}
