/**
 * Group commit for acknowledged scores. Each poster awaits its own acknowledgement's commit
 * before taking the next score, so the scores the LMS has acknowledged but the ledger does
 * not yet hold never outnumber the posts in flight (R9).
 *
 * A commit costs far more than the rows in it, so the acknowledgements that arrive in one turn
 * of the event loop commit together, once that turn's I/O has been handled (setImmediate).
 * Against a fast LMS a turn brings several answers; against a slow one each answer commits
 * alone and at once. No poster waits for others to arrive: holding acknowledged posters back
 * for a batch (half the posts allowed at once, or 1 ms) left the LMS with fewer posts in
 * flight and fed it in bursts (bench/README.md has what that cost the fake LMS).
 */

import type { Db } from "../../store/db.js";
import { type AckedScore, recordAcks } from "../../store/sync.js";

interface Pending {
  score: AckedScore;
  done: () => void;
  failed: (error: unknown) => void;
}

export class LedgerWriter {
  private batch: Pending[] = [];

  constructor(
    private readonly db: Db,
    private readonly runId: number,
    private readonly now: () => string,
  ) {}

  record(score: AckedScore): Promise<void> {
    return new Promise((done, failed) => {
      this.batch.push({ score, done, failed });
      if (this.batch.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    try {
      recordAcks(
        this.db,
        this.runId,
        batch.map((b) => b.score),
        this.now(),
      );
      for (const b of batch) b.done();
    } catch (error) {
      for (const b of batch) b.failed(error);
    }
  }
}
