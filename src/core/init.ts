import { chmodSync, existsSync } from "node:fs";
import { generateToolKeyFile, keyPathFor, readToolKeyFile, writeToolKeyFile } from "../base/keys.js";
import type { Context } from "./context.js";

export interface InitResult {
  dbPath: string;
  created: boolean;
  migratedFrom: number;
  schemaVersion: number;
  keyPath: string;
  keyCreated: boolean;
  kid: string;
}

/** Create or migrate the state and make sure the tool key exists. Safe to run again. */
export async function init(ctx: Context): Promise<InitResult> {
  const state = ctx.createState();
  chmodSync(state.path, 0o600);
  const keyPath = keyPathFor(state.path);
  let keyCreated = false;
  if (!existsSync(keyPath)) {
    writeToolKeyFile(keyPath, await generateToolKeyFile(ctx.now()));
    keyCreated = true;
  }
  const key = readToolKeyFile(keyPath);
  return {
    dbPath: state.path,
    created: state.created,
    migratedFrom: state.migratedFrom,
    schemaVersion: state.schemaVersion,
    keyPath,
    keyCreated,
    kid: key.kid,
  };
}
