/**
 * The phases of a sync run as events, for whoever shows them (the CLI's progress lines, a
 * caller following several tenants). Each phase counts only its own work, so every figure
 * means one thing: a posts counter never moves while columns are created.
 */
import type { Context } from "../context.js";

export type PhaseName = "pull" | "plan" | "columns" | "posts" | "fold";

/**
 * `done`: the phase went through all its work (its figures may still count failed items);
 * `failed`: it stopped before the end, `error` says why (what it had not reached is not attempted).
 */
export type PhaseState = "start" | "progress" | "done" | "failed";

export interface PhaseFigures {
  /** Read from Coursera (programs, courses, grades: `sync daily`) and from the LMS (rosters: no-SSO, Classroom). */
  pull: { programs?: number; courses?: number; grades?: number; rosters?: number; matched?: number };
  /** Items planned: score posts, columns to create, grades kept out (with a reason). */
  plan: { posts: number; columns: number; skipped: number };
  /** Columns of the plan: created + found + failed + not attempted = total. */
  columns: { total: number; created: number; found: number; failed: number };
  /** Score posts of the plan: posted + stale (refused as older, the LMS already holds it) + failed + not attempted = total. */
  posts: { total: number; posted: number; stale: number; failed: number };
  /** Acknowledged scores folded from the run's journal into the ledger (R9). */
  fold: { folded: number };
}

interface PhaseEventOf<P extends PhaseName> {
  tenant: string;
  phase: P;
  state: PhaseState;
  /** A snapshot: the listener may keep it. */
  figures: PhaseFigures[P];
  /** When the phase started (ms since the epoch). */
  startedAt: number;
  /** What the phase is doing now, in words (pull: "Pulling Coursera gradebooks…"). */
  step?: string;
  /** posts: score posts in flight at most, as the adaptive limiter allows now. */
  concurrency?: number;
  /** failed: why the phase stopped. */
  error?: string;
}

export type PhaseEvent = { [P in PhaseName]: PhaseEventOf<P> }[PhaseName];
export type PhaseListener = (event: PhaseEvent) => void;

/** Emits the phase events of one tenant's run; a no-op without a listener. */
export class Phases {
  private open: { phase: PhaseName; figures: object; startedAt: number } | undefined;

  constructor(
    readonly tenant: string,
    private readonly listener: PhaseListener | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  get following(): boolean {
    return this.listener !== undefined;
  }

  /** Starts `phase` with its figures, which the caller updates in place and reports with `progress`. */
  start<P extends PhaseName>(phase: P, figures: PhaseFigures[P]): PhaseFigures[P] {
    this.open = { phase, figures, startedAt: this.clock() };
    this.emit(phase, "start", {});
    return figures;
  }

  progress(phase: PhaseName, extra: { step?: string; concurrency?: number } = {}): void {
    if (this.open?.phase === phase) this.emit(phase, "progress", extra);
  }

  done(phase: PhaseName, extra: { concurrency?: number } = {}): void {
    if (this.open?.phase !== phase) return;
    this.emit(phase, "done", extra);
    this.open = undefined;
  }

  /** The phase stopped early; one that never started is reported failed with its figures as given. */
  failed<P extends PhaseName>(phase: P, error: unknown, figures?: PhaseFigures[P]): void {
    if (this.open?.phase !== phase) this.open = { phase, figures: figures ?? {}, startedAt: this.clock() };
    this.emit(phase, "failed", { error: messageOf(error) });
    this.open = undefined;
  }

  /** Whatever phase is open failed (an error left the run). */
  failOpen(error: unknown): void {
    if (this.open) this.failed(this.open.phase, error);
  }

  /** Runs `body` as `phase`: started, then done, or failed when it throws. */
  async run<P extends PhaseName, T>(
    phase: P,
    figures: PhaseFigures[P],
    body: (figures: PhaseFigures[P]) => T | Promise<T>,
  ): Promise<T> {
    this.start(phase, figures);
    try {
      const result = await body(figures);
      this.done(phase);
      return result;
    } catch (error) {
      this.failed(phase, error);
      throw error;
    }
  }

  /**
   * While `body` runs, what the services it calls would log as progress ("Pulling…") becomes
   * the open phase's step instead of a line of its own: the phase's end line says what was read.
   * Warnings stay warnings.
   */
  async steps<T>(ctx: Context, phase: PhaseName, body: () => Promise<T>): Promise<T> {
    if (!this.following) return body();
    const logger = ctx.logger;
    ctx.logger = { ...logger, info: (message) => this.progress(phase, { step: message }) };
    try {
      return await body();
    } finally {
      ctx.logger = logger;
    }
  }

  private emit(phase: PhaseName, state: PhaseState, extra: Partial<PhaseEventOf<PhaseName>>): void {
    if (!this.listener || !this.open) return;
    this.listener({
      tenant: this.tenant,
      phase,
      state,
      figures: { ...this.open.figures },
      startedAt: this.open.startedAt,
      ...extra,
    } as PhaseEvent);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
