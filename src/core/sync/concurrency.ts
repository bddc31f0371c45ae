/**
 * How many score posts run at once: starts modest, halves when the LMS throttles (429,
 * Canvas's 403 rate limit, a low X-Rate-Limit-Remaining), pauses for Retry-After, and grows
 * again by one after a calm stretch.
 */
export interface LimiterOptions {
  initial: number;
  min: number;
  max: number;
  /** Successes in a row, per unit of current concurrency, before growing by one. */
  calmPerStep: number;
}

export class AdaptiveLimiter {
  current: number;
  private active = 0;
  private calm = 0;
  private pausedUntil = 0;
  private readonly waiters: Array<() => void> = [];
  readonly history: number[] = [];

  constructor(
    private readonly options: LimiterOptions = { initial: 4, min: 1, max: 16, calmPerStep: 20 },
    private readonly now: () => number = Date.now,
  ) {
    this.current = options.initial;
  }

  /** Wait for a slot; resolves when one is free and no pause is in force. */
  async acquire(): Promise<void> {
    for (;;) {
      const wait = this.pausedUntil - this.now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      if (this.active < this.current) {
        this.active += 1;
        return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(): void {
    this.active -= 1;
    this.waiters.shift()?.();
  }

  success(): void {
    this.calm += 1;
    if (this.calm >= this.current * this.options.calmPerStep && this.current < this.options.max) {
      this.set(this.current + 1);
      this.calm = 0;
    }
  }

  /** The LMS throttled: halve, and pause everyone for `pauseMs` (Retry-After). */
  throttled(pauseMs: number): void {
    this.calm = 0;
    this.set(Math.max(this.options.min, Math.floor(this.current / 2)));
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + pauseMs);
  }

  /** Canvas's leaky bucket is running low: stop growing and shed one. */
  nearLimit(): void {
    this.calm = 0;
    this.set(Math.max(this.options.min, this.current - 1));
  }

  private set(value: number): void {
    if (value === this.current) return;
    this.current = value;
    this.history.push(value);
    for (let free = this.current - this.active; free > 0 && this.waiters.length > 0; free--)
      this.waiters.shift()?.();
  }
}
