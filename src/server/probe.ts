/**
 * Moodle requests the tool URL with a plain GET when an activity is saved. That is a probe, not a
 * launch: it gets a short page and a `launch-probe` log line rather than a 405 refusal.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { logEvent } from "../core/launch/log.js";
import type { LaunchServices } from "../core/launch/services.js";
import { sendHtml } from "./http.js";
import { messagePage } from "./pages.js";

/** A GET or HEAD without any launch parameter (a launch is a form POST carrying id_token). */
export function isProbe(req: IncomingMessage, url: URL): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  return !url.searchParams.has("id_token") && !url.searchParams.has("state");
}

export function answerProbe(svc: LaunchServices, req: IncomingMessage, res: ServerResponse): void {
  logEvent(svc.ctx, "launch-probe", {
    method: req.method,
    agent: (req.headers["user-agent"] ?? "").slice(0, 80),
  });
  sendHtml(
    res,
    200,
    messagePage(
      "Coursera (gg4l)",
      "This is the Coursera tool's launch address. Learners reach Coursera by opening the link in their course.",
    ),
  );
}
