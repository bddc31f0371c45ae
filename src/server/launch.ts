/** POST to the redirect URI (LTI §1.4): the launch, answered with a redirect to Coursera, the picker or a notice. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { completeLaunch } from "../core/launch/index.js";
import type { LaunchServices } from "../core/launch/services.js";
import {
  type CookiePolicy,
  cookie,
  fields,
  HttpError,
  parseCookies,
  readForm,
  redirect,
  sendHtml,
} from "./http.js";
import { STATE_COOKIE_PREFIX } from "./login.js";
import { messagePage, pickerPage } from "./pages.js";
import { refusePage } from "./respond.js";

function browserStates(header: string | undefined): Set<string> {
  const states = new Set<string>();
  for (const name of parseCookies(header).keys())
    if (name.startsWith(STATE_COOKIE_PREFIX)) states.add(name.slice(STATE_COOKIE_PREFIX.length));
  return states;
}

export async function handleLaunch(
  svc: LaunchServices,
  cookies: CookiePolicy,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    if (req.method !== "POST")
      throw new HttpError(405, "the launch URL takes the LMS's form post; open the link from the LMS");
    const form = fields(await readForm(req));
    if (form.state)
      res.setHeader("set-cookie", cookie(`${STATE_COOKIE_PREFIX}${form.state}`, "", 0, cookies));
    const result = await completeLaunch(svc, { form, browserStates: browserStates(req.headers.cookie) });
    if (result.kind === "redirect") return redirect(res, result.location);
    if (result.kind === "notice")
      return sendHtml(res, result.status, messagePage(result.title, result.message, result.hint));
    const view = result.view;
    if (view.step === "nothing") return sendHtml(res, 200, messagePage(view.title, view.message, view.hint));
    if (view.step === "done") throw new Error("the content picker cannot finish before a choice");
    sendHtml(res, 200, pickerPage(view, svc.urls.deepLinkUrl));
  } catch (error) {
    refusePage(svc, res, "launch", error);
  }
}
