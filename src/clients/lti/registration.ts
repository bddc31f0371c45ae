/** The LMS registration the LTI service clients work from. */
import { ConfigError } from "../../base/errors.js";

export type LtiPlatformKind =
  | "moodle"
  | "blackboard"
  | "canvas"
  | "d2l"
  | "google-classroom"
  | "schoology"
  | "buzz";

/** Kinds whose gradebook takes grades over AGS (Google Classroom does not, §7.6). */
export type AgsPlatformKind = Exclude<LtiPlatformKind, "google-classroom">;

export interface LtiRegistration {
  kind: LtiPlatformKind;
  issuer: string;
  clientId: string;
  deploymentId: string;
  tokenUrl: string;
  /** The `aud` of the client assertion; defaults per kind (D2L's differs from its token URL, §3.4). */
  tokenAudience?: string;
  /** The platform's JWKS (launch validation, `gg4l lms check`). */
  jwksUrl: string;
}

export const D2L_TOKEN_AUDIENCE = "https://api.brightspace.com/auth/token";

export function tokenAudienceOf(reg: LtiRegistration): string {
  if (reg.tokenAudience) return reg.tokenAudience;
  return reg.kind === "d2l" ? D2L_TOKEN_AUDIENCE : reg.tokenUrl;
}

const DISPLAY: Record<LtiPlatformKind, string> = {
  moodle: "Moodle",
  blackboard: "Blackboard",
  canvas: "Canvas",
  d2l: "D2L Brightspace",
  "google-classroom": "Google Classroom",
  schoology: "Schoology",
  buzz: "Buzz",
};

export function platformName(kind: LtiPlatformKind): string {
  return DISPLAY[kind];
}

export function assertAgsPlatform(
  reg: LtiRegistration,
): asserts reg is LtiRegistration & { kind: AgsPlatformKind } {
  if (reg.kind === "google-classroom") {
    throw new ConfigError("Google Classroom grades do not travel over LTI AGS", {
      hint: "Classroom grades go through the Classroom API (course work and student submissions), not this client",
    });
  }
}

/** Moodle compares score timestamps at whole seconds; the others keep sub-second precision (§4.9). */
export function timestampResolutionMs(kind: LtiPlatformKind): number {
  return kind === "moodle" ? 1000 : 1;
}
