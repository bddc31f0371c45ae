/**
 * What the tool endpoints share for the life of `gg4l serve`: the context, the public URLs,
 * the platform key cache, the tool's signing key, one Coursera client per tenant and the
 * open content pickers.
 */

import { keyPathFor, loadToolKey, publicJwks, readToolKeyFile, type ToolKey } from "../../base/keys.js";
import type { CourseraClient } from "../../clients/coursera/client.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";
import { courseraFor } from "../coursera.js";
import { PickerSessions } from "../publish/sessions.js";
import { JwksError, PlatformKeySets } from "./jwks.js";

export interface ToolUrls {
  baseUrl: string;
  loginUrl: string;
  launchUrl: string;
  deepLinkUrl: string;
  jwksUrl: string;
}

export interface LaunchServices {
  ctx: Context;
  urls: ToolUrls;
  platformKeys: PlatformKeySets;
  toolKey: ToolKey;
  toolJwks: ReturnType<typeof publicJwks>;
  coursera(tenant: TenantRow): Promise<CourseraClient>;
  pickers: PickerSessions;
  /** R11: free the licenses a replaced binding (by the LMS user id) took, at the launch that replaces it. */
  freeLicense: boolean;
}

export interface LaunchServicesOptions {
  /** Least time between two JWKS fetches caused by unknown kids. */
  jwksCooldownMs?: number;
  /** See LaunchServices.freeLicense. */
  freeLicense?: boolean;
}

async function jwksFetcher(): Promise<(url: string) => Promise<unknown>> {
  const { HttpClient } = await import("../../clients/http.js");
  const http = new HttpClient({
    userAgent: "gg4l",
    retry: { retries: 1, baseDelayMs: 200, maxDelayMs: 1000 },
  });
  return async (url) => {
    let res: Awaited<ReturnType<typeof http.request>>;
    try {
      res = await http.request(url, { headers: { accept: "application/json" }, timeoutMs: 10_000 });
    } catch (error) {
      throw new JwksError(`cannot read the platform JWKS at ${url}: ${(error as Error).message}`);
    }
    if (res.status !== 200) throw new JwksError(`the platform JWKS at ${url} answered HTTP ${res.status}`);
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw new JwksError(`the platform JWKS at ${url} is not JSON`);
    }
  };
}

/** Loads the tool key (ConfigError when `gg4l init` never ran) and opens the state. */
export async function createLaunchServices(
  ctx: Context,
  urls: ToolUrls,
  options: LaunchServicesOptions = {},
): Promise<LaunchServices> {
  ctx.state();
  const keyPath = keyPathFor(ctx.dbPath);
  const toolKey = await loadToolKey(keyPath);
  const clients = new Map<string, Promise<CourseraClient>>();
  return {
    ctx,
    urls,
    platformKeys: new PlatformKeySets({
      fetchJwks: await jwksFetcher(),
      now: () => ctx.now().getTime(),
      cooldownMs: options.jwksCooldownMs,
    }),
    toolKey,
    toolJwks: publicJwks(readToolKeyFile(keyPath)),
    coursera: (tenant) => {
      let client = clients.get(tenant.slug);
      if (!client) {
        client = courseraFor(ctx, tenant);
        // A failure (no secret yet) is not cached: the next launch tries again.
        client.catch(() => clients.delete(tenant.slug));
        clients.set(tenant.slug, client);
      }
      return client;
    },
    pickers: new PickerSessions(() => ctx.now().getTime()),
    freeLicense: options.freeLicense ?? false,
  };
}
