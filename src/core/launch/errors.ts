/**
 * A launch, login or picker request gg4l refuses. The status is the HTTP answer; `reason` is a
 * stable code for the log; the message names the cause and `hint` what to do. Messages never
 * carry tokens or e-mail addresses.
 */
export class LaunchRefusal extends Error {
  readonly status: number;
  readonly reason: string;
  readonly hint: string | undefined;
  constructor(status: number, reason: string, message: string, hint?: string) {
    super(message);
    this.name = "LaunchRefusal";
    this.status = status;
    this.reason = reason;
    this.hint = hint;
  }
}

export function refuse(status: number, reason: string, message: string, hint?: string): never {
  throw new LaunchRefusal(status, reason, message, hint);
}
