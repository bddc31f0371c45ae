/**
 * What `gg4l lms check` reports, for an LTI or a Google Classroom registration, and what
 * `doctor` turns into its remote rows. A module of its own so that lms.ts (which runs the
 * checks) and the Classroom checks (which build the rows) share it without importing each other.
 */
export interface LmsCheckRow {
  check: string;
  status: "pass" | "fail" | "warn" | "skip";
  message: string;
  lmsMessage?: string;
  hint?: string;
}

export interface LmsCheckResult {
  tenant: string;
  kind: string;
  issuer: string;
  contextUrl: string | null;
  checks: LmsCheckRow[];
  ok: boolean;
}
