/**
 * The registration URL `gg4l lms register --dynamic` hands out (LTI Dynamic Registration): the
 * LMS opens it in a frame or window with `openid_configuration` and `registration_token`; the
 * answer is a page that tells the LMS to close it, or a refusal page naming the cause.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpClient } from "../clients/http.js";
import { completeDynamicRegistration } from "../core/dynamic-registration.js";
import { LaunchRefusal } from "../core/launch/errors.js";
import { logEvent } from "../core/launch/log.js";
import type { LaunchServices } from "../core/launch/services.js";
import { sendHtml } from "./http.js";
import { escapeHtml, messagePage } from "./pages.js";

const TITLE = "The registration was refused";

function closePage(title: string, message: string, nonce: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><script nonce="${nonce}">(window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");</script></body></html>`;
}

export async function handleRegistration(
  svc: LaunchServices,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  token: string,
): Promise<void> {
  try {
    if (req.method !== "GET")
      throw new LaunchRefusal(
        405,
        "bad-request",
        "The registration URL takes the LMS's GET; open it from the LMS.",
      );
    const done = await completeDynamicRegistration(
      svc.ctx,
      svc.urls,
      token,
      {
        openidConfiguration: url.searchParams.get("openid_configuration") ?? undefined,
        registrationToken: url.searchParams.get("registration_token") ?? undefined,
      },
      new HttpClient({ logger: svc.ctx.logger, retry: { retries: 2 } }),
    );
    logEvent(svc.ctx, "registered", {
      tenant: done.tenant,
      lms: done.kind,
      issuer: done.issuer,
      client: done.clientId,
      deployment: done.deploymentId,
      "grade-sync": done.gradeSync,
      scopes: done.scopes.length,
    });
    const nonce = randomBytes(16).toString("base64url");
    sendHtml(
      res,
      200,
      closePage(
        "Coursera is registered",
        `gg4l registered this LMS for tenant ${done.tenant} (client id ${done.clientId}, deployment ${done.deploymentId}, grade sync ${done.gradeSync}). You can close this window.`,
        nonce,
      ),
      nonce,
    );
  } catch (error) {
    if (error instanceof LaunchRefusal) {
      logEvent(svc.ctx, "registration-refused", {
        status: error.status,
        reason: error.reason,
        message: error.message,
      });
      sendHtml(res, error.status, messagePage(TITLE, error.message, error.hint));
      return;
    }
    logEvent(svc.ctx, "registration-failed", {
      status: 500,
      message: (error as Error)?.message ?? String(error),
    });
    sendHtml(
      res,
      500,
      messagePage(
        "Something went wrong",
        "gg4l could not finish the registration.",
        "Try again in a moment; the gg4l serve log has the cause.",
      ),
    );
  }
}
