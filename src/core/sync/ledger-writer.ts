/**
 * Group commit for acknowledged scores. Each poster awaits its own acknowledgement's commit
 * before taking the next score, so the scores the LMS has acknowledged but the ledger does
 * not yet hold never outnumber the posts in flight (R9).
 *
 * A commit costs far more than the rows in it, so acknowledgements wait for company: the batch
 * is written once it holds `batchSize()` of them (half the posts allowed at once keeps the
 * other half at the LMS meanwhile) or once the oldest has waited `maxWaitMs`, whichever comes
 * first. Against a slow LMS the wait is a rounding error of its answer time; against a fast
 * one the batch fills long before it.
 */

import type { Db } from "../../store/db.js";
import { type AckedScore, recordAcks } from "../../store/sync.js";

export interface LedgerWriterOptions {
  /** Acknowledgements that make a batch worth writing at once. */
  batchSize: () => number;
  maxWaitMs: number;
}

export class LedgerWriter {
  private batch: Array<{ score: AckedScore; done: () => void; failed: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly runId: number,
    private readonly now: () => string,
    private readonly options: LedgerWriterOptions,
  ) {}

  record(score: AckedScore): Promise<void> {
    return new Promise((done, failed) => {
      this.batch.push({ score, done, failed });
      if (this.batch.length >= this.options.batchSize()) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
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
