/** The LTI service clients of a tenant's LMS registration, signed with the tool key. */

import { keyPathFor, loadToolKey } from "../base/keys.js";
import type { HttpClient } from "../clients/http.js";
import type { AgsGradebook } from "../clients/lti/gradebook.js";
import type { NrpsClient } from "../clients/lti/nrps.js";
import type { LtiRegistration } from "../clients/lti/registration.js";
import type { LmsRegistrationRow } from "../store/lms.js";
import type { Context } from "./context.js";
import type { GradebookAdapter } from "./gradebook.js";

export function ltiRegistration(reg: LmsRegistrationRow): LtiRegistration {
  return {
    kind: reg.kind,
    issuer: reg.issuer,
    clientId: reg.clientId,
    deploymentId: reg.deploymentId,
    tokenUrl: reg.tokenUrl,
    jwksUrl: reg.jwksUrl,
    ...(reg.tokenAudience ? { tokenAudience: reg.tokenAudience } : {}),
  };
}

export interface LtiServices {
  gradebook: AgsGradebook;
  nrps: NrpsClient;
}

export async function ltiServicesFor(
  ctx: Context,
  reg: LmsRegistrationRow,
  http: HttpClient,
): Promise<LtiServices> {
  const [{ ServiceTokenProvider }, { AgsClient }, { AgsGradebook }, { NrpsClient }] = await Promise.all([
    import("../clients/lti/token.js"),
    import("../clients/lti/ags.js"),
    import("../clients/lti/gradebook.js"),
    import("../clients/lti/nrps.js"),
  ]);
  const registration = ltiRegistration(reg);
  const key = await loadToolKey(keyPathFor(ctx.dbPath));
  const tokens = new ServiceTokenProvider(registration, key, { http });
  return {
    gradebook: new AgsGradebook(new AgsClient(registration, tokens, { http })),
    nrps: new NrpsClient(registration, tokens, { http }),
  };
}

/**
 * The gradebook adapter of a registration: LTI AGS for the LTI kinds, the Classroom API for
 * google-classroom (course work and student submissions).
 */
export async function gradebookFor(
  ctx: Context,
  reg: LmsRegistrationRow,
  http: HttpClient,
): Promise<GradebookAdapter> {
  if (reg.kind === "google-classroom") {
    const [{ classroomGradebook }, { currentTenant }] = await Promise.all([
      import("./classroom/index.js"),
      import("./tenants.js"),
    ]);
    return classroomGradebook(ctx, currentTenant(ctx), reg, http);
  }
  return (await ltiServicesFor(ctx, reg, http)).gradebook;
}
