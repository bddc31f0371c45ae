/**
 * Requests in flight per LMS host, shared by the tenants of one `sync daily --all-tenants`:
 * several institutions on one hosted Moodle or Canvas together never send it more at once
 * than one tenant alone may. Each tenant's adaptive limiter still decides how many of its own
 * posts run; this budget only caps what all of them have at the host together. Slots are
 * handed out first come, first served, so no tenant starves another.
 */
export class HostBudget {
  private readonly hosts = new Map<string, { active: number; waiters: Array<() => void> }>();
  /** The most requests any host had in flight at once (tests and the bench read it). */
  peak = 0;

  constructor(readonly perHost: number) {
    if (!Number.isInteger(perHost) || perHost < 1)
      throw new RangeError(`perHost must be ≥ 1, not ${perHost}`);
  }

  /** Waits for a slot at the host of `url`; resolves to the function that gives it back (once). */
  readonly enter = async (url: string): Promise<() => void> => {
    const key = hostOf(url);
    let host = this.hosts.get(key);
    if (!host) {
      host = { active: 0, waiters: [] };
      this.hosts.set(key, host);
    }
    if (host.active >= this.perHost) {
      const waiting = host;
      // The slot is handed over by leave(): active stays counted for the waiter.
      await new Promise<void>((resolve) => waiting.waiters.push(resolve));
    } else host.active += 1;
    this.peak = Math.max(this.peak, host.active);
    let left = false;
    const entered = host;
    return () => {
      if (left) return;
      left = true;
      const next = entered.waiters.shift();
      if (next) next();
      else {
        entered.active -= 1;
        if (entered.active === 0) this.hosts.delete(key);
      }
    };
  };

  /** Requests in flight at the host of `url` now. */
  inFlight(url: string): number {
    return this.hosts.get(hostOf(url))?.active ?? 0;
  }
}

/** The host's origin (scheme, name and port): what "the same LMS host" means here. */
export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return u.origin !== "null" ? u.origin : u.protocol;
  } catch {
    return url;
  }
}
