/**
 * One log line per launch, refusal or publication, logfmt style on stderr. Lines name the
 * tenant, LMS, context, link and Coursera ids — never the learner's e-mail, name or tokens
 * (and pass through redact() in case a platform put one where it does not belong).
 */

import { redact } from "../../base/redact.js";
import type { Context } from "../context.js";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

const quote = (value: string) => (/^[^\s"=]+$/.test(value) ? value : JSON.stringify(value));

export function logEvent(ctx: Context, event: string, fields: LogFields): void {
  const pairs = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k}=${quote(String(v))}`);
  ctx.logger.info(redact([ctx.now().toISOString(), event, ...pairs].join(" ")));
}
