/**
 * Open content pickers (deep linking): what the LMS asked for, kept in memory between the
 * picker's pages under an unguessable id that only the picker page carries. They expire, and
 * a finished picker is closed, so one request cannot be answered twice.
 */
import { randomBytes } from "node:crypto";

export interface PickerSession {
  id: string;
  registrationId: number;
  issuer: string;
  tenantId: number;
  tenantSlug: string;
  deploymentId: string;
  contextId: string | null;
  contextTitle: string | null;
  returnUrl: string;
  data: string | null;
  acceptMultiple: boolean;
  acceptLineItem: boolean;
  /** The LMS can open links in a new window (Coursera pages refuse to be framed). */
  newWindow: boolean;
  expiresAt: number;
}

export const PICKER_TTL_MS = 30 * 60_000;

export class PickerSessions {
  private readonly open_ = new Map<string, PickerSession>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = PICKER_TTL_MS,
  ) {}

  open(request: Omit<PickerSession, "id" | "expiresAt">): PickerSession {
    const now = this.now();
    for (const [id, session] of this.open_) if (session.expiresAt <= now) this.open_.delete(id);
    const session = { ...request, id: randomBytes(24).toString("base64url"), expiresAt: now + this.ttlMs };
    this.open_.set(session.id, session);
    return session;
  }

  get(id: string): PickerSession | undefined {
    const session = this.open_.get(id);
    if (session && session.expiresAt <= this.now()) {
      this.open_.delete(id);
      return undefined;
    }
    return session;
  }

  close(id: string): void {
    this.open_.delete(id);
  }
}
