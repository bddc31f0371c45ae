/**
 * One sync per tenant at a time: a lease in the `locks` table, renewed while the run lives.
 * A lease whose process died is taken over at once on the same host, and after it expires
 * anywhere else.
 */
import { hostname } from "node:os";
import { ConflictError } from "../../base/errors.js";
import {
  hasRunningRun,
  markAbandonedRuns,
  readLock,
  releaseLock,
  renewLock,
  tryLock,
} from "../../store/sync.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";

const LEASE_MS = 120_000;
const RENEW_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The tenant's lease is held by a run that is alive: refused at once, never waited for (exit 6). */
export class LeaseHeldError extends ConflictError {}

export interface Lease {
  release(): void;
}

export function acquireLease(ctx: Context, tenant: TenantRow): Lease {
  const { db } = ctx.state();
  const host = hostname();
  const pid = process.pid;
  const nowMs = ctx.now().getTime();
  const result = tryLock(
    db,
    tenant.id,
    { holder: ctx.osUser, host, pid, acquiredAt: ctx.now().toISOString(), expiresAt: nowMs + LEASE_MS },
    nowMs,
    (held) => held.host === host && !alive(held.pid),
  );
  if (!result.acquired) {
    const { held } = result;
    throw new LeaseHeldError(
      `a sync for tenant "${tenant.slug}" is already running: held by ${held.holder} on ${held.host} (pid ${held.pid}) since ${held.acquiredAt}`,
      {
        hint: `wait for it to finish (gg4l sync runs); a lease of a process that died expires by ${new Date(held.expiresAt).toISOString()}`,
      },
    );
  }
  // We hold the lease and have no run yet: every run still marked running was abandoned.
  const abandoned = markAbandonedRuns(db, tenant.id, ctx.now().toISOString(), () => undefined);
  if (abandoned > 0)
    ctx.logger.warn(
      `${abandoned} earlier run(s) of tenant ${tenant.slug} ended without finishing; this run picks up what they left`,
    );
  const timer = setInterval(() => {
    if (!renewLock(db, tenant.id, pid, host, Date.now() + LEASE_MS))
      ctx.logger.warn("the sync lease was taken over");
  }, RENEW_MS);
  timer.unref();
  return {
    release() {
      clearInterval(timer);
      if (ctx.openedState()) releaseLock(db, tenant.id, pid, host);
    },
  };
}

/**
 * For the commands that look at runs (sync runs, sync show, doctor): a run still marked running
 * whose process no longer holds the tenant's lease (expired, or its process died on this host)
 * was killed; record it abandoned. Returns how many.
 */
export function settleAbandonedRuns(ctx: Context, tenant: TenantRow): number {
  const { db } = ctx.state();
  if (!hasRunningRun(db, tenant.id)) return 0;
  const host = hostname();
  const nowMs = ctx.now().getTime();
  return markAbandonedRuns(db, tenant.id, ctx.now().toISOString(), (held) =>
    held && held.expiresAt > nowMs && !(held.host === host && !alive(held.pid))
      ? { pid: held.pid, host: held.host }
      : undefined,
  );
}

export { readLock };
