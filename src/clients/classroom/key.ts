/** The service-account JSON key file Google issues, validated. */
import { ConfigError } from "../../base/errors.js";

export interface ServiceAccountKey {
  type: "service_account";
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri?: string;
}

export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
export const GOOGLE_CLASSROOM_API = "https://classroom.googleapis.com/v1";

/** Parses the text of a key file; `where` names it in errors (never its content). */
export function parseServiceAccountKey(text: string, where: string): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${where} is not valid JSON, so it is not a service-account key file`, {
      hint: "download a JSON key for the service account (Cloud console → IAM → Service accounts → Keys → Add key → JSON)",
    });
  }
  const key = parsed as Partial<ServiceAccountKey> & { type?: unknown };
  const missing = (
    ["project_id", "private_key_id", "private_key", "client_email", "client_id"] as const
  ).filter((field) => typeof key[field] !== "string" || key[field] === "");
  if (key.type !== "service_account" || missing.length > 0) {
    throw new ConfigError(
      `${where} is not a Google service-account key file (${key.type !== "service_account" ? `type is ${JSON.stringify(key.type ?? null)}, not "service_account"` : `missing ${missing.join(", ")}`})`,
      {
        hint: "use the JSON key of a service account with domain-wide delegation (an OAuth client secret or a P12 key will not do)",
      },
    );
  }
  if (!/-----BEGIN PRIVATE KEY-----/.test(key.private_key!)) {
    throw new ConfigError(`${where} holds no PKCS#8 private key`, {
      hint: "download a fresh JSON key for the service account",
    });
  }
  return key as ServiceAccountKey;
}
