/** The content picker's pages (POST to the deep-link URL) and, once chosen, the auto-posted signed answer. */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LaunchServices } from "../core/launch/services.js";
import { pickerStep } from "../core/publish/index.js";
import { HttpError, readForm, sendHtml } from "./http.js";
import { autoPostPage, messagePage, pickerPage } from "./pages.js";
import { refusePage } from "./respond.js";

export async function handleDeepLink(
  svc: LaunchServices,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    if (req.method !== "POST")
      throw new HttpError(
        405,
        "the content picker opens from the LMS: add content to a course there (deep linking)",
      );
    const form = await readForm(req);
    const view = await pickerStep(svc, form.get("session") ?? "", {
      program: form.get("program") || undefined,
      course: form.get("course") || undefined,
      items: form.getAll("item").filter((i) => i !== ""),
    });
    if (view.step === "nothing") return sendHtml(res, 200, messagePage(view.title, view.message, view.hint));
    if (view.step !== "done") return sendHtml(res, 200, pickerPage(view, svc.urls.deepLinkUrl));
    const nonce = randomBytes(16).toString("base64");
    const title = `Adding ${view.count} Coursera link${view.count === 1 ? "" : "s"} to the course`;
    sendHtml(res, 200, autoPostPage(title, view.returnUrl, { JWT: view.jwt }, nonce), nonce);
  } catch (error) {
    refusePage(svc, res, "picker", error);
  }
}
