/** Names and Role Provisioning Services 2.0 client (§5): context memberships with paging. */
import { parseJsonBody } from "../http.js";
import { MEDIA_TYPE, NRPS_SCOPE } from "./constants.js";
import { AgsError } from "./errors.js";
import { type LtiRegistration, platformName } from "./registration.js";
import { LtiServiceCaller, type ServiceCallerOptions } from "./service.js";
import type { ServiceTokenProvider } from "./token.js";

export interface Member {
  /** The LTI user id (launch `sub`). */
  user_id: string;
  roles: string[];
  status?: "Active" | "Inactive" | "Deleted";
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  lis_person_sourcedid?: string;
  [claim: string]: unknown;
}

export interface Membership {
  id?: string;
  context: { id: string; label?: string; title?: string };
  members: Member[];
}

export interface MembershipQuery {
  /** A role URI or short context role (`Learner`). */
  role?: string;
  /** Members of one resource link only. */
  rlid?: string;
  limit?: number;
}

export class NrpsClient {
  private readonly caller: LtiServiceCaller;

  constructor(
    readonly registration: LtiRegistration,
    tokens: ServiceTokenProvider,
    /** `scopes`: the scope set to request the token for (default NRPS alone). */
    options: ServiceCallerOptions & { scopes?: readonly string[] } = {},
  ) {
    this.caller = new LtiServiceCaller(registration, tokens, options.scopes ?? [NRPS_SCOPE], options);
  }

  /** One page of a roster, no paging: enough to prove rosters can be read (`gg4l lms check`). */
  async firstPage(membershipsUrl: string): Promise<{ contextId: string | undefined; members: number }> {
    const what = "read a course roster";
    const lms = platformName(this.registration.kind);
    const res = await this.caller.call({
      what,
      route: "memberships",
      method: "GET",
      url: withLimit(membershipsUrl, 10),
      anyOf: [NRPS_SCOPE],
      accept: MEDIA_TYPE.membershipContainer,
    });
    const page = parseJsonBody<Partial<Membership> | null>(res, what);
    if (!page || typeof page !== "object" || !Array.isArray(page.members) || !page.context) {
      throw new AgsError(`${what}: ${lms} answered without a context and members list`, {
        kind: "invalid-request",
        errorCode: "unexpected_body",
      });
    }
    return { contextId: page.context.id, members: page.members.length };
  }

  async listMembers(membershipsUrl: string, query: MembershipQuery = {}): Promise<Membership> {
    const what = "list course members";
    const lms = platformName(this.registration.kind);
    const url = new URL(membershipsUrl);
    if (query.role !== undefined) url.searchParams.set("role", query.role);
    if (query.rlid !== undefined) url.searchParams.set("rlid", query.rlid);
    if (query.limit !== undefined) url.searchParams.set("limit", String(query.limit));
    let head: Omit<Membership, "members"> | undefined;
    const members = await this.caller.collect(
      {
        what,
        route: "memberships",
        method: "GET",
        url: url.href,
        anyOf: [NRPS_SCOPE],
        accept: MEDIA_TYPE.membershipContainer,
      },
      (body) => {
        const page = body as Partial<Membership> | null;
        if (!page || typeof page !== "object" || !Array.isArray(page.members) || !page.context) {
          throw new AgsError(`${what}: ${lms} answered without a context and members list`, {
            kind: "invalid-request",
            errorCode: "unexpected_body",
          });
        }
        head ??= { ...(page.id !== undefined ? { id: page.id } : {}), context: page.context };
        return page.members.filter((m): m is Member => !!m && typeof m.user_id === "string");
      },
    );
    return { ...head!, members };
  }
}

function withLimit(membershipsUrl: string, limit: number): string {
  const url = new URL(membershipsUrl);
  if (!url.searchParams.has("limit")) url.searchParams.set("limit", String(limit));
  return url.href;
}
