/**
 * Tenant secrets (the Coursera client secret) live in one 0600 JSON file beside the
 * state, never in a table that a command prints. GG4L_COURSERA_CLIENT_SECRET wins over
 * the file, for CI.
 */
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "../base/errors.js";
import { registerSecret } from "../base/redact.js";
import type { Env } from "./paths.js";

interface SecretsFile {
  version: 1;
  tenants: Record<string, { courseraClientSecret?: string }>;
}

export function secretsPathFor(dbPath: string): string {
  const base = basename(dbPath).replace(/\.(db|sqlite3?)$/i, "");
  return join(dirname(dbPath), `${base}.secrets.json`);
}

function readSecrets(path: string): SecretsFile {
  if (!existsSync(path)) return { version: 1, tenants: {} };
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new ConfigError(`the secrets file ${path} is readable by others (mode ${mode.toString(8)})`, {
      hint: `run \`chmod 600 ${path}\``,
    });
  }
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as SecretsFile;
    if (parsed.version !== 1 || typeof parsed.tenants !== "object") throw new Error("unexpected shape");
    for (const entry of Object.values(parsed.tenants)) registerSecret(entry.courseraClientSecret);
    return parsed;
  } catch (error) {
    throw new ConfigError(`the secrets file ${path} is not readable as gg4l secrets`, {
      hint: "restore it from a backup, or move it away and store the secret again with `gg4l tenant add`",
      cause: error,
    });
  }
}

function writeSecrets(path: string, secrets: SecretsFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function storeCourseraSecret(dbPath: string, slug: string, secret: string): void {
  const path = secretsPathFor(dbPath);
  const secrets = readSecrets(path);
  secrets.tenants[slug] = { ...secrets.tenants[slug], courseraClientSecret: secret };
  writeSecrets(path, secrets);
}

export function forgetTenantSecrets(dbPath: string, slug: string): void {
  const path = secretsPathFor(dbPath);
  if (!existsSync(path)) return;
  const secrets = readSecrets(path);
  if (!(slug in secrets.tenants)) return;
  delete secrets.tenants[slug];
  writeSecrets(path, secrets);
}

export interface ResolvedSecret {
  value: string | undefined;
  source: "env" | "file" | "none";
}

export function courseraSecret(dbPath: string, env: Env, slug: string): ResolvedSecret {
  const fromEnv = env.GG4L_COURSERA_CLIENT_SECRET;
  if (fromEnv) {
    registerSecret(fromEnv);
    return { value: fromEnv, source: "env" };
  }
  const stored = readSecrets(secretsPathFor(dbPath)).tenants[slug]?.courseraClientSecret;
  return stored ? { value: stored, source: "file" } : { value: undefined, source: "none" };
}
