/**
 * Clock skew against each server's Date header. LTI id_tokens and client assertions carry
 * iat/exp, so a clock a few minutes off makes the LMS refuse tokens or gg4l refuse launches.
 */
import type { HttpClient } from "../../clients/http.js";
import type { Context } from "../context.js";
import { type Check, type CheckRow, formatDuration, need, row } from "./basis.js";

export const SKEW_WARN_MS = 60_000;
export const SKEW_FAIL_MS = 5 * 60_000;

/** Server time minus local time, taken at the middle of the round trip. */
async function measureSkew(ctx: Context, http: HttpClient, url: string): Promise<number | undefined> {
  const before = ctx.now().getTime();
  const res = await http.request(url, { headers: { accept: "application/json" } });
  const after = ctx.now().getTime();
  const server = Date.parse(res.headers.date ?? "");
  return Number.isNaN(server) ? undefined : server - (before + after) / 2;
}

async function skewRow(
  ctx: Context,
  http: HttpClient,
  name: string,
  server: string,
  url: string,
): Promise<CheckRow> {
  let skew: number | undefined;
  try {
    skew = await measureSkew(ctx, http, url);
  } catch (error) {
    return row(
      name,
      "warn",
      `not measured: ${(error as Error).message}`,
      "check the network, then run gg4l doctor again",
    );
  }
  if (skew === undefined)
    return row(
      name,
      "warn",
      `not measured: ${server} sent no readable Date header (${url})`,
      "compare the clocks by hand",
    );
  const size = Math.abs(skew);
  const how = `${server}'s clock is ${formatDuration(size)} ${skew > 0 ? "ahead of" : "behind"} this machine's`;
  if (size <= SKEW_WARN_MS)
    return row(
      name,
      "pass",
      `${server}'s clock is within ${formatDuration(Math.max(size, 1000))} of this machine's`,
    );
  const fix = `set this machine's clock by NTP (e.g. \`timedatectl set-ntp true\`); if it is already right, ask ${server}'s admin to fix theirs`;
  if (size > SKEW_FAIL_MS)
    return row(name, "fail", `${how}: more than 5 min, so LTI tokens (iat/exp) will be refused`, fix);
  return row(name, "warn", `${how}: more than 60 s; tokens are refused past a few minutes`, fix);
}

export const courseraClockCheck: Check = {
  names: ["clock-coursera"],
  async run({ ctx, http, tenant }) {
    const url = need(tenant, "warn").courseraUrl;
    return [await skewRow(ctx, http, "clock-coursera", "Coursera", url)];
  },
};

export const lmsClockCheck: Check = {
  names: ["clock-lms"],
  async run({ ctx, http, registration }) {
    const reg = need(registration, "warn");
    return [await skewRow(ctx, http, "clock-lms", "the LMS", reg.jwksUrl)];
  },
};
