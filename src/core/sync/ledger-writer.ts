/**
 * Group commit for acknowledged scores. Each poster awaits its own acknowledgement's commit
 * before taking the next score, so the scores the LMS has acknowledged but the ledger does
 * not yet hold never outnumber the posts in flight (R9) — while acknowledgements that arrive
 * together share one transaction.
 */

import type { Db } from "../../store/db.js";
import { type AckedScore, recordScores } from "../../store/sync.js";

export class LedgerWriter {
  private batch: Array<{ score: AckedScore; done: () => void; failed: (error: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly tenantId: number,
    private readonly now: () => string,
  ) {}

  record(score: AckedScore): Promise<void> {
    return new Promise((done, failed) => {
      this.batch.push({ score, done, failed });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    this.scheduled = false;
    try {
      recordScores(
        this.db,
        this.tenantId,
        batch.map((b) => b.score),
        this.now(),
      );
      for (const b of batch) b.done();
    } catch (error) {
      for (const b of batch) b.failed(error);
    }
  }
}
