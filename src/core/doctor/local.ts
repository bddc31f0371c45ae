/** Checks of what lives on this machine: the state file, the tool key, the secrets file, the Coursera credentials. */
import { existsSync, statSync } from "node:fs";
import { keyPathFor, loadToolKey } from "../../base/keys.js";
import { integrityProblems, schemaVersion } from "../../store/doctor.js";
import { courseraCredentials } from "../coursera.js";
import { courseraSecret, secretsPathFor } from "../secrets.js";
import { type Check, need, row } from "./basis.js";

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

export const databaseCheck: Check = {
  names: ["database"],
  async run({ state }) {
    if (!state.ok) return [row("database", "fail", state.reason, state.fix)];
    const { db, path } = state.value;
    // A page too damaged to read throws SQLITE_CORRUPT: runCheck turns it into a failed row.
    const problems = integrityProblems(db);
    const version = schemaVersion(db);
    if (problems.length > 0) {
      return [
        row(
          "database",
          "fail",
          `PRAGMA integrity_check found ${problems.length === 1 ? "a problem" : "problems"} in ${path}: ${problems.slice(0, 3).join("; ")}`,
          `back the file up, then rebuild the indexes with \`sqlite3 ${path} REINDEX\` and run gg4l doctor again; if the problems stay, restore ${path} from a backup`,
        ),
      ];
    }
    // A state from a newer gg4l is refused when opened, an older one migrated: what is open is current.
    return [row("database", "pass", `integrity ok, schema version ${version} (current), ${path}`)];
  },
};

export const keyFileCheck: Check = {
  names: ["key-file"],
  async run({ ctx }) {
    const path = keyPathFor(ctx.dbPath);
    const key = await loadToolKey(path);
    return [row("key-file", "pass", `tool key ${key.kid}, mode ${mode(path)}, ${path}`)];
  },
};

export const secretsFileCheck: Check = {
  names: ["secrets-file"],
  async run({ ctx }) {
    const path = secretsPathFor(ctx.dbPath);
    if (!existsSync(path)) {
      return [
        row(
          "secrets-file",
          "pass",
          `none at ${path}: no secret stored (GG4L_COURSERA_CLIENT_SECRET can give it)`,
        ),
      ];
    }
    // Reading it without the environment checks the file itself: its mode and its content.
    courseraSecret(ctx.dbPath, {}, "");
    return [row("secrets-file", "pass", `mode ${mode(path)}, ${path}`)];
  },
};

export const courseraCredentialsCheck: Check = {
  names: ["coursera-credentials"],
  async run({ ctx, tenant }) {
    const { clientId, source } = courseraCredentials(ctx, need(tenant, "fail"));
    return [row("coursera-credentials", "pass", `client id ${clientId}, secret from ${source}`)];
  },
};
