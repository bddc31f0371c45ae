/**
 * `gg4l serve`: the LTI 1.3 tool endpoints on node:http — OIDC login initiation, the launch
 * (SSO into Coursera), the content picker (deep linking) and the tool JWKS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../base/errors.js";
import type { Context } from "../core/context.js";
import { REGISTER_PATH, rememberPublicUrl } from "../core/dynamic-registration.js";
import { logEvent } from "../core/launch/log.js";
import { createLaunchServices, type LaunchServices, type ToolUrls } from "../core/launch/services.js";
import { listTenants } from "../store/tenants.js";
import { handleDeepLink } from "./deep-link.js";
import { type CookiePolicy, sendHtml, sendJson } from "./http.js";
import { handleLaunch } from "./launch.js";
import { handleLogin } from "./login.js";
import { messagePage } from "./pages.js";
import { answerProbe, isProbe } from "./probe.js";
import { handleRegistration } from "./register.js";
import { refusePage } from "./respond.js";
import { baseUrlOf, PATHS, toolUrls } from "./urls.js";

export interface ToolServerOptions {
  /** Address to bind; 127.0.0.1 unless told otherwise. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where the LMS and browsers reach the server (an https URL behind a TLS proxy). */
  publicUrl?: string;
  jwksCooldownMs?: number;
  /** R11: free the license a replaced binding took (serve --free-license). */
  freeLicense?: boolean;
}

export interface ToolServer {
  urls: ToolUrls;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

function route(svc: LaunchServices, cookies: CookiePolicy, basePath: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://tool.invalid");
    const path =
      basePath && url.pathname.startsWith(`${basePath}/`)
        ? url.pathname.slice(basePath.length)
        : url.pathname;
    let work: Promise<void> | void;
    if (path.startsWith(REGISTER_PATH)) {
      work = handleRegistration(svc, req, res, url, path.slice(REGISTER_PATH.length));
      Promise.resolve(work).catch(() => res.destroy());
      return;
    }
    switch (path) {
      case PATHS.login:
        work = handleLogin(svc, cookies, req, res, url);
        break;
      case PATHS.launch:
        work = isProbe(req, url) ? answerProbe(svc, req, res) : handleLaunch(svc, cookies, req, res);
        break;
      case PATHS.deepLink:
        work = handleDeepLink(svc, req, res);
        break;
      case PATHS.jwks:
        work =
          req.method === "GET" || req.method === "HEAD"
            ? sendJson(res, 200, svc.toolJwks, 300)
            : sendJson(res, 405, { error: "the JWKS takes GET" });
        break;
      default:
        work = sendHtml(res, 404, messagePage("Not found", `gg4l serve has nothing at ${path}.`));
    }
    Promise.resolve(work).catch((error: unknown) => {
      if (!res.headersSent) refusePage(svc, res, "launch", error);
      else res.destroy();
    });
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE")
        reject(
          new ConfigError(`port ${port} on ${host} is in use`, {
            hint: "pass another --port, or --port 0 for a free one",
          }),
        );
      else if (error.code === "EACCES")
        reject(
          new ConfigError(`not allowed to listen on port ${port} of ${host}`, {
            hint: "use a port above 1023",
          }),
        );
      else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND")
        reject(
          new ConfigError(`cannot listen on ${host}: no such local address`, {
            hint: "pass --host 127.0.0.1 or an address of this machine",
          }),
        );
      else reject(error);
    });
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Not unref'd: a connection whose unread request was paused keeps nothing else alive,
    // and the process would end before close() answers (exit 13 instead of 0).
    const force = setTimeout(() => server.closeAllConnections(), 5_000);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function warnings(ctx: Context, host: string, urls: ToolUrls): void {
  if (!LOOPBACK.has(host) && !urls.baseUrl.startsWith("https://"))
    ctx.logger.warn(
      `listening on ${host} without an https --public-url: browsers refuse the LMS-framed cookies over plain http; put a TLS proxy in front and pass --public-url https://…`,
    );
  if (listTenants(ctx.state().db).length === 0)
    ctx.logger.warn(
      "no tenant in the state yet: launches are refused until `gg4l tenant add` and `gg4l lms register`",
    );
}

export async function startToolServer(ctx: Context, options: ToolServerOptions): Promise<ToolServer> {
  const server = createServer();
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  const port = await listen(server, options.host, options.port);
  let svc: LaunchServices;
  const urls = toolUrls(baseUrlOf(options.publicUrl, options.host, port));
  try {
    svc = await createLaunchServices(ctx, urls, {
      jwksCooldownMs: options.jwksCooldownMs,
      freeLicense: options.freeLicense,
    });
  } catch (error) {
    await stop(server);
    throw error;
  }
  const basePath = new URL(urls.baseUrl).pathname.replace(/\/+$/, "");
  const cookies: CookiePolicy = { secure: urls.baseUrl.startsWith("https://"), path: `${basePath}/lti/` };
  server.on("request", route(svc, cookies, basePath));
  warnings(ctx, options.host, urls);
  if (options.publicUrl) rememberPublicUrl(ctx, urls.baseUrl);
  logEvent(ctx, "listening", { address: `${options.host}:${port}`, url: urls.baseUrl });
  return { urls, port, close: () => stop(server) };
}
