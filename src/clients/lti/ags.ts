/**
 * Assignment and Grade Services 2.0 client (§4): line items (list with paging, get, create,
 * update, delete, find-or-create), score publish and results.
 */
import { type HttpResponse, parseJsonBody, writeAnswer } from "../http.js";
import { AGS_SCOPE, ALL_AGS_SCOPES, MEDIA_TYPE } from "./constants.js";
import { AgsError, UnacknowledgedError } from "./errors.js";
import {
  type AgsPlatformKind,
  assertAgsPlatform,
  type LtiRegistration,
  platformName,
} from "./registration.js";
import { expectArray, LtiServiceCaller, type ServiceCallerOptions } from "./service.js";
import type { ServiceTokenProvider } from "./token.js";

export interface LineItemInput {
  label: string;
  scoreMaximum: number;
  resourceId?: string;
  resourceLinkId?: string;
  tag?: string;
  startDateTime?: string;
  endDateTime?: string;
  gradesReleased?: boolean;
  /** Extensions under fully-qualified keys, e.g. Canvas's submission_type. */
  [extension: string]: unknown;
}

export interface LineItem extends LineItemInput {
  /** The line item's URL: the target of GET/PUT/DELETE and the base of /scores and /results. */
  id: string;
}

export interface LineItemQuery {
  resourceLinkId?: string;
  resourceId?: string;
  tag?: string;
  /** Page size asked of the LMS (it may return fewer); every page is read either way. */
  limit?: number;
}

export type ActivityProgress = "Initialized" | "Started" | "InProgress" | "Submitted" | "Completed";
export type GradingProgress = "FullyGraded" | "Pending" | "PendingManual" | "Failed" | "NotReady";

export interface Score {
  /** The LTI user id (launch `sub`). */
  userId: string;
  /** Absent or null clears the tool's score. */
  scoreGiven?: number | null;
  /** Required whenever scoreGiven is present. */
  scoreMaximum?: number;
  comment?: string;
  /** Strictly increasing per line item and user (§4.9); a Date is sent with millisecond precision. */
  timestamp: Date | string;
  activityProgress: ActivityProgress;
  gradingProgress: GradingProgress;
  scoringUserId?: string;
  submission?: { startedAt?: string; submittedAt?: string };
  /** Extra members under fully-qualified keys (Canvas's https://canvas.instructure.com/lti/submission). */
  extensions?: Record<string, unknown>;
}

export interface ScorePostResult {
  /** "stale": the LMS already has a newer score for this learner and kept it. */
  outcome: "accepted" | "stale";
  status: number;
  message: string;
  /** Canvas answers with the URL of the result. */
  resultUrl?: string;
}

export interface AgsResult {
  id?: string;
  scoreOf?: string;
  userId: string;
  resultScore?: number | null;
  resultMaximum?: number;
  comment?: string;
  scoringUserId?: string;
}

export interface AgsClientOptions extends ServiceCallerOptions {
  /** The scope set tokens are requested for (default: every AGS scope). */
  scopes?: readonly string[];
}

/** §4.4: the line item URL's path plus `/scores` or `/results`, its query string kept. */
export function lineItemServiceUrl(lineItemUrl: string, service: "scores" | "results"): string {
  const url = new URL(lineItemUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${service}`;
  return url.href;
}

function withQuery(base: string, params: Record<string, string | number | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(name, String(value));
  return url.href;
}

function toLineItem(value: unknown, what: string, lms: string): LineItem {
  const item = value as Partial<LineItem> | null;
  if (
    !item ||
    typeof item !== "object" ||
    typeof item.id !== "string" ||
    typeof item.scoreMaximum !== "number"
  ) {
    throw new AgsError(`${what}: ${lms} answered with a line item that has no id or scoreMaximum`, {
      kind: "invalid-request",
      errorCode: "unexpected_body",
    });
  }
  return item as LineItem;
}

function matches(item: LineItem, key: LineItemQuery & { tagAliases?: readonly string[] }): boolean {
  return (
    (key.resourceId === undefined || item.resourceId === key.resourceId) &&
    (key.resourceLinkId === undefined || item.resourceLinkId === key.resourceLinkId) &&
    (key.tag === undefined ||
      item.tag === key.tag ||
      (item.tag !== undefined && (key.tagAliases ?? []).includes(item.tag)))
  );
}

export class AgsClient {
  readonly registration: LtiRegistration & { kind: AgsPlatformKind };
  private readonly caller: LtiServiceCaller;
  /** Line item URL → its /scores URL: a sync posts many scores to few line items. */
  private readonly scoresUrls = new Map<string, string>();

  constructor(registration: LtiRegistration, tokens: ServiceTokenProvider, options: AgsClientOptions = {}) {
    assertAgsPlatform(registration);
    this.registration = registration;
    this.caller = new LtiServiceCaller(registration, tokens, options.scopes ?? ALL_AGS_SCOPES, options);
  }

  private get lms(): string {
    return platformName(this.registration.kind);
  }

  /** Moodle wants lineitem.readonly for GETs even when lineitem is granted (§4.2). */
  private get readScopes(): readonly string[] {
    return this.registration.kind === "moodle"
      ? [AGS_SCOPE.lineitemReadonly]
      : [AGS_SCOPE.lineitem, AGS_SCOPE.lineitemReadonly];
  }

  async listLineItems(containerUrl: string, query: LineItemQuery = {}): Promise<LineItem[]> {
    const what = "list line items";
    const url = withQuery(containerUrl, {
      resource_link_id: query.resourceLinkId,
      resource_id: query.resourceId,
      tag: query.tag,
      limit: query.limit,
    });
    return this.caller.collect(
      {
        what,
        route: "lineitems",
        method: "GET",
        url,
        anyOf: this.readScopes,
        accept: MEDIA_TYPE.lineitemContainer,
      },
      (body) => expectArray(body, what, this.lms).map((v) => toLineItem(v, what, this.lms)),
    );
  }

  async getLineItem(lineItemUrl: string): Promise<LineItem> {
    const what = "read a line item";
    const res = await this.caller.call({
      what,
      route: "lineitem",
      method: "GET",
      url: lineItemUrl,
      anyOf: this.readScopes,
      accept: MEDIA_TYPE.lineitem,
    });
    return toLineItem(parseJsonBody(res, what), what, this.lms);
  }

  async createLineItem(containerUrl: string, item: LineItemInput): Promise<LineItem> {
    const what = "create a line item";
    const res = await this.caller.call({
      what,
      route: "lineitems",
      method: "POST",
      url: containerUrl,
      anyOf: [AGS_SCOPE.lineitem],
      accept: MEDIA_TYPE.lineitem,
      contentType: MEDIA_TYPE.lineitem,
      body: JSON.stringify(item),
    });
    return this.writtenLineItem(res, what);
  }

  /** A created or updated line item: only the JSON line item with its id acknowledges the write. */
  private writtenLineItem(res: HttpResponse, what: string): LineItem {
    const answer = writeAnswer(res);
    const item = answer.kind === "json" ? (answer.value as Partial<LineItem> | null) : null;
    if (
      !item ||
      typeof item !== "object" ||
      typeof item.id !== "string" ||
      typeof item.scoreMaximum !== "number"
    )
      throw new UnacknowledgedError(this.registration.kind, what, res, "the line item as JSON with its id");
    return item as LineItem;
  }

  /** PUT replaces the whole definition (§4.7): pass a complete line item, e.g. one read with getLineItem. */
  async updateLineItem(item: LineItem): Promise<LineItem> {
    const what = "update a line item";
    const res = await this.caller.call({
      what,
      route: "lineitem",
      method: "PUT",
      url: item.id,
      anyOf: [AGS_SCOPE.lineitem],
      accept: MEDIA_TYPE.lineitem,
      contentType: MEDIA_TYPE.lineitem,
      body: JSON.stringify(item),
    });
    return this.writtenLineItem(res, what);
  }

  async deleteLineItem(lineItemUrl: string): Promise<void> {
    const what = "delete a line item";
    const res = await this.caller.call({
      what,
      route: "lineitem",
      method: "DELETE",
      url: lineItemUrl,
      anyOf: [AGS_SCOPE.lineitem],
    });
    if (writeAnswer(res).kind === "other")
      throw new UnacknowledgedError(this.registration.kind, what, res, "an empty answer");
  }

  /**
   * The line item with the spec's resourceId / resourceLinkId / tag, created only when none
   * exists (§4.6 course copy, rule R6: look up before creating).
   */
  async findOrCreateLineItem(
    containerUrl: string,
    input: LineItemInput & { tagAliases?: readonly string[] },
  ): Promise<{ lineItem: LineItem; created: boolean }> {
    const { tagAliases, ...spec } = input;
    if (spec.resourceId === undefined && spec.resourceLinkId === undefined && spec.tag === undefined) {
      throw new Error(
        "findOrCreateLineItem needs a resourceId, resourceLinkId or tag to look the line item up by",
      );
    }
    // With older tags that name the same column, the tag is matched here, not by the LMS.
    const found = await this.listLineItems(containerUrl, {
      resourceId: spec.resourceId,
      resourceLinkId: spec.resourceLinkId,
      tag: tagAliases?.length ? undefined : spec.tag,
    });
    // Filter again: a platform may ignore the query filters.
    const existing = found.find((item) => matches(item, { ...spec, tagAliases }));
    if (existing) return { lineItem: existing, created: false };
    return { lineItem: await this.createLineItem(containerUrl, spec), created: true };
  }

  async postScore(lineItemUrl: string, score: Score): Promise<ScorePostResult> {
    // Copied key by key: rest and spread cost twice as much, once per score of a sync.
    const body: Record<string, unknown> = {};
    for (const key in score) {
      if (key === "extensions") continue;
      const value = score[key as keyof Score];
      body[key] = value instanceof Date ? value.toISOString() : value;
    }
    if (score.extensions) Object.assign(body, score.extensions);
    let res: HttpResponse;
    try {
      res = await this.caller.call({
        what: "post a score",
        route: "scores",
        method: "POST",
        url: this.scoresUrlOf(lineItemUrl),
        anyOf: [AGS_SCOPE.score],
        contentType: MEDIA_TYPE.score,
        body: JSON.stringify(body),
        // A resend carries the same timestamp, so the LMS cannot apply it twice as a newer score.
        retry: true,
      });
    } catch (error) {
      if (error instanceof AgsError && error.kind === "stale") {
        return {
          outcome: "stale",
          status: error.status ?? 0,
          message: `LMS already has a newer score: ${error.lmsMessage}`,
        };
      }
      throw error;
    }
    if (this.registration.kind === "blackboard" && res.status === 204) {
      // Blackboard answers a score older than the one on record with 204 and drops it (§4.9).
      return {
        outcome: "stale",
        status: 204,
        message: "LMS already has a newer score: Blackboard answered 204 and ignored it",
      };
    }
    // Acknowledged only as documented (§4.9, R9): an empty body (Moodle 200, spec 204) or a JSON
    // object (Canvas's resultUrl). A proxy's 200 login page is not a delivered score.
    const answer = writeAnswer(res);
    const parsed = answer.kind === "json" ? (answer.value as { resultUrl?: unknown } | null) : undefined;
    if (
      answer.kind === "other" ||
      (answer.kind === "json" && (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)))
    )
      throw new UnacknowledgedError(
        this.registration.kind,
        "post a score",
        res,
        "an empty body or a JSON object under a JSON media type",
      );
    const resultUrl = typeof parsed?.resultUrl === "string" ? parsed.resultUrl : undefined;
    return { outcome: "accepted", status: res.status, message: "", ...(resultUrl ? { resultUrl } : {}) };
  }

  private scoresUrlOf(lineItemUrl: string): string {
    let url = this.scoresUrls.get(lineItemUrl);
    if (url === undefined) {
      if (this.scoresUrls.size >= 10_000) this.scoresUrls.clear();
      url = lineItemServiceUrl(lineItemUrl, "scores");
      this.scoresUrls.set(lineItemUrl, url);
    }
    return url;
  }

  async getResults(
    lineItemUrl: string,
    query: { userId?: string; limit?: number } = {},
  ): Promise<AgsResult[]> {
    const what = "read results";
    const url = withQuery(lineItemServiceUrl(lineItemUrl, "results"), {
      user_id: query.userId,
      limit: query.limit,
    });
    return this.caller.collect(
      {
        what,
        route: "results",
        method: "GET",
        url,
        anyOf: [AGS_SCOPE.resultReadonly],
        accept: MEDIA_TYPE.resultContainer,
      },
      (body) =>
        expectArray(body, what, this.lms).filter(
          (r): r is AgsResult => !!r && typeof r === "object" && typeof (r as AgsResult).userId === "string",
        ),
    );
  }
}
