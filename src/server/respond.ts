/** How a refused or failed request is answered and logged. */
import type { ServerResponse } from "node:http";
import { LaunchRefusal } from "../core/launch/errors.js";
import { logEvent } from "../core/launch/log.js";
import type { LaunchServices } from "../core/launch/services.js";
import { ClientAborted, HttpError, sendHtml } from "./http.js";
import { messagePage } from "./pages.js";

const TITLES: Record<string, string> = {
  login: "The sign-in could not start",
  launch: "The launch was refused",
  picker: "The content picker cannot continue",
};

/** Refusals get their status and a page naming the cause; anything else is a 500 whose cause goes to the log only. */
export function refusePage(
  svc: LaunchServices,
  res: ServerResponse,
  where: keyof typeof TITLES,
  error: unknown,
): void {
  if (error instanceof LaunchRefusal) {
    logEvent(svc.ctx, `${where}-refused`, {
      status: error.status,
      reason: error.reason,
      message: error.message,
      fix: error.fix,
    });
    sendHtml(res, error.status, messagePage(TITLES[where]!, error.message, error.hint));
    return;
  }
  if (error instanceof ClientAborted) {
    logEvent(svc.ctx, `${where}-aborted`, { message: error.message });
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    logEvent(svc.ctx, `${where}-refused`, {
      status: error.status,
      reason: "bad-request",
      message: error.message,
    });
    if (error.closeConnection) res.setHeader("connection", "close");
    sendHtml(res, error.status, messagePage(TITLES[where]!, error.message));
    return;
  }
  logEvent(svc.ctx, `${where}-failed`, { status: 500, message: (error as Error)?.message ?? String(error) });
  sendHtml(
    res,
    500,
    messagePage(
      "Something went wrong",
      "gg4l could not finish this request.",
      "Try again in a moment; if it keeps failing, the administrator finds the cause in the gg4l serve log.",
    ),
  );
}
