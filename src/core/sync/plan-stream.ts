/**
 * A plan read as it is posted, for a live run (`sync grades`, `sync daily`). The whole plan
 * costs seconds of SQL at a million grades before a first post; streamed, each column's grades
 * are decided a page at a time off their primary key while earlier posts are at the LMS. The
 * rows come in the whole plan's order and are counted and hashed on the way, so the run ends
 * with the same summary and fingerprint a dry run of that state shows.
 */
import type { Hash } from "node:crypto";
import type { Db } from "../../store/db.js";
import {
  buildTargets,
  candidateGrades,
  DIGEST_CHUNK,
  type PlanPost,
  type PlanQuery,
  planColumns,
  planPage,
  planTargetColumns,
  unconnectedGrades,
} from "../../store/plan.js";
import type { Context } from "../context.js";
import {
  columnsHash,
  fingerprintHex,
  PlanCounter,
  type PlanSummary,
  type PreparedPlan,
  planScope,
  type SyncFilters,
  summaryOf,
} from "./plan.js";

export class PlanStream {
  /** Posts handed out so far: a post's `seq` is its place among them, as in the whole plan. */
  private seq = 0;
  private column = 0;
  private after = "";
  private readonly columns: Array<{ linkId: number; itemId: string }>;
  private readonly counts = new PlanCounter();
  private readonly hash: Hash;
  private digestLines: string[] = [];
  private done = false;
  private summarised: PlanSummary | undefined;
  readonly columnsToCreate: number;
  /** The grades on the registration's columns: the most this plan can post. */
  readonly mostPosts: number;

  constructor(
    private readonly db: Db,
    readonly scope: Pick<PreparedPlan, "tenant" | "reg" | "query">,
    private readonly filters: SyncFilters,
  ) {
    const query: PlanQuery = scope.query;
    buildTargets(db, query);
    this.columns = planTargetColumns(db);
    this.columnsToCreate = planColumns(db).length;
    this.hash = columnsHash(db);
    this.mostPosts = candidateGrades(db, query);
  }

  /** The next posts in plan order, at most about `limit`; empty once the plan is read. */
  next(limit: number): PlanPost[] {
    const posts: PlanPost[] = [];
    while (posts.length === 0 && !this.done) {
      const column = this.columns[this.column];
      if (!column) {
        this.finishDigest();
        this.done = true;
        break;
      }
      const rows = planPage(this.db, this.scope.query, column, this.after, limit);
      if (rows.length < limit) {
        this.column += 1;
        this.after = "";
      } else this.after = rows[rows.length - 1]![2];
      for (const [decision, reason, externalId, digest, ...post] of rows) {
        this.counts.add(decision, reason);
        if (decision === "skip") continue;
        this.seq += 1;
        this.digestLines.push(digest!);
        if (this.digestLines.length === DIGEST_CHUNK) this.flushDigest();
        posts.push({
          seq: this.seq,
          kind: decision,
          linkId: post[0],
          courseId: post[1],
          itemId: post[2],
          externalId,
          lmsUserId: post[3],
          columnUrl: post[4],
          scoreGiven: post[5],
          scoreMaximum: post[6],
          comment: post[7],
          commentChanged: post[8],
          lastSentMs: post[9],
        });
      }
    }
    return posts;
  }

  /** Whether every row has been read (and counted). */
  get complete(): boolean {
    return this.done;
  }

  /** Read what is left without posting it, so a stopped run still counts what it did not try. */
  drain(): void {
    while (!this.done) this.next(1000);
  }

  /** The summary of the whole plan, once it is read; its fingerprint is a dry run's for that state. */
  summary(): PlanSummary {
    if (!this.done) throw new Error("the streamed plan is not read to its end yet");
    if (!this.summarised) {
      const unconnected = unconnectedGrades(this.db, this.scope.query);
      if (unconnected > 0) this.counts.add("skip", "no-connected-link", unconnected);
      const fingerprint = fingerprintHex(this.hash);
      this.summarised = summaryOf(this.scope, this.filters, this.counts, this.columnsToCreate, fingerprint);
    }
    return this.summarised;
  }

  // The whole plan hashes its posts in chunks of DIGEST_CHUNK lines: the same bytes here.
  private flushDigest(): void {
    this.hash.update("p\n").update(this.digestLines.join("\n")).update("\n");
    this.digestLines = [];
  }

  private finishDigest(): void {
    if (this.digestLines.length > 0) this.flushDigest();
  }
}

/** Start a streamed plan: the journal folded, the columns known, no grade decided yet. */
export function streamPlan(ctx: Context, filters: SyncFilters): PlanStream {
  return new PlanStream(ctx.state().db, planScope(ctx, filters), filters);
}
