/** Running `gg4l doctor --json` and reading its rows by check name. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { parseJson, type RunResult } from "../helpers/gg4l.js";

export interface DoctorRow {
  check: string;
  status: "pass" | "warn" | "fail";
  message: string;
  fix: string | null;
}

export interface Doctor {
  code: number;
  stderr: string;
  tenant: string | null;
  ok: boolean;
  rows: DoctorRow[];
  row(check: string): DoctorRow;
}

/** Every row, in the printed order: the --json contract. */
export const CHECK_NAMES = [
  "database",
  "key-file",
  "secrets-file",
  "coursera-credentials",
  "coursera-token",
  "lms-jwks",
  "lms-token",
  "lms-scopes",
  "lms-nrps",
  "lms-line-items",
  "clock-coursera",
  "clock-lms",
  "daily-sync",
  "stale-links",
  "never-launched",
  "course-links",
  "incremental",
  "licenses",
  "test-learners",
  "no-email-launches",
];

export function readDoctor(result: RunResult): Doctor {
  const body = parseJson<{ tenant: string | null; checks: DoctorRow[]; ok: boolean }>(result);
  expect(Object.keys(body).sort()).toEqual(["checks", "ok", "tenant"]);
  expect(body.checks.map((r) => r.check)).toEqual(CHECK_NAMES);
  for (const r of body.checks) {
    expect(Object.keys(r).sort()).toEqual(["check", "fix", "message", "status"]);
    expect(["pass", "warn", "fail"]).toContain(r.status);
    expect(r.message.length).toBeGreaterThan(0);
    // A pass needs no fix; a warn or fail always says what to do.
    if (r.status === "pass") expect(r.fix).toBeNull();
    else expect(r.fix, r.check).toMatch(/\S/);
  }
  expect(body.ok).toBe(body.checks.every((r) => r.status !== "fail"));
  expect(result.code).toBe(body.ok ? 0 : 1);
  return {
    code: result.code,
    stderr: result.stderr,
    tenant: body.tenant,
    ok: body.ok,
    rows: body.checks,
    row: (check) => body.checks.find((r) => r.check === check)!,
  };
}

/** Rows that are not a pass, as "check: status" (for readable failure diffs). */
export function notPassing(d: Doctor): string[] {
  return d.rows.filter((r) => r.status !== "pass").map((r) => `${r.check}: ${r.status} — ${r.message}`);
}

/** A loopback URL nothing listens on (a port just freed): "no network" without leaving the machine. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface SkewedServer {
  url: string;
  /** How far its Date header is from the real time (positive: ahead). */
  offsetMs: number;
  close(): Promise<void>;
}

/** A loopback server whose every answer (200, an empty JWKS) carries a Date header `offsetMs` off. */
export async function startSkewedServer(offsetMs: number): Promise<SkewedServer> {
  const skewed = { offsetMs };
  const server = createServer((_req, res) => {
    res.setHeader("date", new Date(Date.now() + skewed.offsetMs).toUTCString());
    res.setHeader("content-type", "application/json");
    res.end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(skewed, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
