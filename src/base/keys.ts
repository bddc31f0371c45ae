/**
 * The tool's RS256 signing key pair (LTI client assertions, deep-linking responses, the
 * tool JWKS). Stored as one JSON file with mode 0600 beside the state database.
 */

import type { webcrypto } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { JWK } from "jose";
import { ConfigError } from "./errors.js";

type CryptoKey = webcrypto.CryptoKey;

export interface ToolKeyFile {
  version: 1;
  kid: string;
  alg: "RS256";
  createdAt: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface ToolKey {
  kid: string;
  alg: "RS256";
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** `<dir>/<name>.key.json` beside `<dir>/<name>.db`. */
export function keyPathFor(dbPath: string): string {
  const base = basename(dbPath).replace(/\.(db|sqlite3?)$/i, "");
  return join(dirname(dbPath), `${base}.key.json`);
}

export async function generateToolKeyFile(now: Date): Promise<ToolKeyFile> {
  const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await import("jose");
  const { privateKey, publicKey } = await generateKeyPair("RS256", {
    modulusLength: 2048,
    extractable: true,
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = (await calculateJwkThumbprint(publicJwk)).slice(0, 16);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  return {
    version: 1,
    kid,
    alg: "RS256",
    createdAt: now.toISOString(),
    privateJwk,
    publicJwk: { ...publicJwk, kid, alg: "RS256", use: "sig" },
  };
}

export function writeToolKeyFile(path: string, key: ToolKeyFile): void {
  writeFileSync(path, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
}

export function readToolKeyFile(path: string): ToolKeyFile {
  if (!existsSync(path)) {
    throw new ConfigError(`the tool key file ${path} does not exist`, {
      hint: "run `gg4l init` to generate the tool's signing key",
    });
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new ConfigError(`the tool key file ${path} is readable by others (mode ${mode.toString(8)})`, {
      hint: `run \`chmod 600 ${path}\``,
    });
  }
  let parsed: ToolKeyFile;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as ToolKeyFile;
  } catch (error) {
    throw new ConfigError(`the tool key file ${path} is not valid JSON`, {
      hint: "restore it from a backup, or move it away and run `gg4l init` (LMS admins must then paste the new JWKS)",
      cause: error,
    });
  }
  if (parsed.version !== 1 || !parsed.kid || !parsed.privateJwk || !parsed.publicJwk) {
    throw new ConfigError(`the tool key file ${path} is not a gg4l key file`, {
      hint: "restore it from a backup, or move it away and run `gg4l init`",
    });
  }
  return parsed;
}

export async function loadToolKey(path: string): Promise<ToolKey> {
  const file = readToolKeyFile(path);
  const { importJWK } = await import("jose");
  const privateKey = (await importJWK(file.privateJwk, "RS256")) as CryptoKey;
  return { kid: file.kid, alg: "RS256", privateKey, publicJwk: file.publicJwk };
}

/** The public JWKS an LMS admin pastes into the LMS (or the LMS fetches from `gg4l serve`). */
export function publicJwks(file: ToolKeyFile): { keys: JWK[] } {
  return { keys: [file.publicJwk] };
}
