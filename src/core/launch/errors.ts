/**
 * A launch, login or picker request gg4l refuses. The status is the HTTP answer; `reason` is a
 * stable code for the log; the message names the cause and `hint` what the person at the browser
 * can do (never a gg4l command: that is `fix`, for the log). Messages never carry tokens or
 * e-mail addresses.
 */
export class LaunchRefusal extends Error {
  readonly status: number;
  readonly reason: string;
  readonly hint: string | undefined;
  /** What the operator does about it (a gg4l command): the log says it, the page never does. */
  readonly fix: string | undefined;
  constructor(status: number, reason: string, message: string, hint?: string, fix?: string) {
    super(message);
    this.name = "LaunchRefusal";
    this.status = status;
    this.reason = reason;
    this.hint = hint;
    this.fix = fix;
  }
}

export function refuse(status: number, reason: string, message: string, hint?: string, fix?: string): never {
  throw new LaunchRefusal(status, reason, message, hint, fix);
}
