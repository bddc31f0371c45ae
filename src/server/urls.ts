/** The URLs the LMS admin registers, from the public URL (behind a proxy) or the address listened on. */
import type { ToolUrls } from "../core/launch/services.js";

export const PATHS = {
  login: "/lti/login",
  launch: "/lti/launch",
  deepLink: "/lti/deep-link",
  jwks: "/.well-known/jwks.json",
} as const;

function hostForUrl(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "localhost";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** The base URL without a trailing slash. */
export function baseUrlOf(publicUrl: string | undefined, host: string, port: number): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, "");
  return `http://${hostForUrl(host)}:${port}`;
}

export function toolUrls(baseUrl: string): ToolUrls {
  return {
    baseUrl,
    loginUrl: baseUrl + PATHS.login,
    launchUrl: baseUrl + PATHS.launch,
    deepLinkUrl: baseUrl + PATHS.deepLink,
    jwksUrl: baseUrl + PATHS.jwks,
  };
}
