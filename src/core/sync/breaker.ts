/**
 * The circuit breaker of a run, per LMS host: after `threshold` items in a row whose LMS did not
 * answer (connection failures, timeouts, 5xx/429 after the HTTP layer's retries; an item counts
 * once however often it was retried), the run stops posting. Any answer from the host, even a
 * refusal, closes the count again. Without it an LMS that is down costs each planned post its
 * full retry budget: a night's backlog of thousands would run for hours.
 */
export const BREAKER_THRESHOLD = 8;

interface HostState {
  streak: number;
  /** The last time the host answered in this run, else when the streak's first failure began. */
  since: string;
  cause: string;
}

export interface Tripped {
  host: string;
  since: string;
  cause: string;
}

export class CircuitBreaker {
  private readonly hosts = new Map<string, HostState>();
  private readonly lastAnswer = new Map<string, string>();
  tripped: Tripped | undefined;

  constructor(
    private readonly now: () => string,
    private readonly threshold = BREAKER_THRESHOLD,
  ) {}

  get open(): boolean {
    return this.tripped !== undefined;
  }

  /** Failures in a row at the host of `url` (0 once it answered). */
  streak(url: string): number {
    return this.hosts.get(hostOf(url))?.streak ?? 0;
  }

  /** The host answered (however): it is up. Cheap: called once per acknowledged score. */
  answered(url: string): void {
    if (this.hosts.size === 0) return;
    const host = hostOf(url);
    if (this.hosts.delete(host)) this.lastAnswer.set(host, this.now());
  }

  /** An item failed because the host did not answer; `startedAt` is when that item's first attempt began. */
  failed(url: string, cause: string, startedAt: string): void {
    const host = hostOf(url);
    const state = this.hosts.get(host) ?? { streak: 0, since: this.lastAnswer.get(host) ?? startedAt, cause };
    state.streak += 1;
    state.cause = cause;
    this.hosts.set(host, state);
    if (state.streak >= this.threshold && !this.tripped) this.tripped = { host, since: state.since, cause };
  }

  /** The reason the rest of the run was not attempted. */
  reason(): string {
    const t = this.tripped;
    return t ? `the LMS at ${t.host} has not answered since ${t.since}: ${t.cause}` : "";
  }
}

function hostOf(url: string): string {
  // Classroom's column references are not URLs: all of them are one host, Google's.
  try {
    const u = new URL(url);
    return u.host || u.protocol.replace(/:$/, "");
  } catch {
    return "the LMS";
  }
}
