/**
 * A sync run on record from its first second (R12): the tenant's lease first, before any remote
 * call, then at once its run row, which follows the run through its phases (pull, plan, post,
 * fold) and ends ok, partial, failed (with the phase and the cause), interrupted, or — when its
 * process is killed — abandoned, as the next command that looks finds it.
 */
import { hostname } from "node:os";
import { InterruptedError } from "../../base/errors.js";
import {
  finishRun,
  type RunPhase,
  type RunStatus,
  runStatus,
  setRunPhase,
  startRun,
} from "../../store/sync.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";
import { acquireLease, type Lease } from "./lease.js";

export interface ActiveRun {
  readonly id: number;
  readonly tenant: TenantRow;
  phase(phase: RunPhase, fingerprint?: string): void;
  /** Stop between phases when Ctrl-C or SIGTERM came: the run is recorded interrupted. */
  checkpoint(signal: AbortSignal | undefined): void;
  finish(status: RunStatus, counts: Record<string, number>, cause?: string): void;
  /** The run failed in its current phase: recorded failed with the cause, unless already ended. */
  fail(error: unknown): void;
  release(): void;
}

export function beginRun(
  ctx: Context,
  tenant: TenantRow,
  command: string,
  options: Record<string, unknown>,
  phase: RunPhase,
): ActiveRun {
  const lease: Lease = acquireLease(ctx, tenant);
  let id: number;
  try {
    id = startRun(ctx.state().db, {
      tenantId: tenant.id,
      command,
      osUser: ctx.osUser,
      pid: process.pid,
      host: hostname(),
      options,
      phase,
      now: ctx.now().toISOString(),
    });
  } catch (error) {
    lease.release();
    throw error;
  }
  const db = () => ctx.state().db;
  const run: ActiveRun = {
    id,
    tenant,
    phase(next, fingerprint) {
      setRunPhase(db(), id, next, fingerprint);
    },
    checkpoint(signal) {
      if (!signal?.aborted) return;
      run.finish("interrupted", {}, "interrupted (Ctrl-C or SIGTERM) before posting");
      throw new InterruptedError(`run ${id} interrupted; run the same command again to finish it`);
    },
    finish(status, counts, cause) {
      finishRun(db(), id, status, counts, ctx.now().toISOString(), cause);
    },
    fail(error) {
      if (!ctx.openedState()) return;
      try {
        if (runStatus(db(), id) === "running")
          run.finish("failed", {}, error instanceof Error ? error.message : String(error));
      } catch {
        // The state itself is what failed: the next command that looks marks the run abandoned.
      }
    },
    release() {
      lease.release();
    },
  };
  return run;
}
