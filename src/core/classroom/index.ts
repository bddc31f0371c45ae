/**
 * Google Classroom registrations: the service-account key (stored like the tool key: one 0600
 * JSON file beside the state, never printed), the settings `gg4l lms register --kind
 * google-classroom` takes, and the Classroom client and gradebook adapter of a registration.
 */
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ConfigError, UsageError } from "../../base/errors.js";
import { maskSecret, registerSecret } from "../../base/redact.js";
import type { ClassroomClient } from "../../clients/classroom/client.js";
import type { ClassroomGradebook, NotReleased } from "../../clients/classroom/gradebook.js";
import {
  GOOGLE_CLASSROOM_API,
  GOOGLE_TOKEN_URL,
  parseServiceAccountKey,
  type ServiceAccountKey,
} from "../../clients/classroom/key.js";
import type { ClassroomTokenProvider } from "../../clients/classroom/token.js";
import type { HttpClient } from "../../clients/http.js";
import { type ClassroomSettingsRow, findClassroomSettings } from "../../store/classroom.js";
import { listCourses, listItems } from "../../store/courses.js";
import type { LmsRegistrationRow } from "../../store/lms.js";
import type { TenantRow } from "../../store/tenants.js";
import type { Context } from "../context.js";
import type { ColumnSpec } from "../gradebook.js";
import { validateUrl } from "../validate.js";

export const CLASSROOM_KIND = "google-classroom";

export function isClassroom(reg: Pick<LmsRegistrationRow, "kind">): boolean {
  return reg.kind === CLASSROOM_KIND;
}

// ---- the key file ----------------------------------------------------------------------------

/** `<dir>/<name>.classroom-<tenant>.key.json` beside `<dir>/<name>.db`. */
export function classroomKeyPathFor(dbPath: string, tenantSlug: string): string {
  const base = basename(dbPath).replace(/\.(db|sqlite3?)$/i, "");
  return join(dirname(dbPath), `${base}.classroom-${tenantSlug}.key.json`);
}

function writeKeyFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text.endsWith("\n") ? text : `${text}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function readClassroomKey(
  dbPath: string,
  tenantSlug: string,
): { key: ServiceAccountKey; path: string } {
  const path = classroomKeyPathFor(dbPath, tenantSlug);
  if (!existsSync(path)) {
    throw new ConfigError(`the Google service-account key file ${path} does not exist`, {
      hint: "register it again: gg4l lms register --kind google-classroom --service-account-key <file> …",
    });
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new ConfigError(
      `the Google service-account key file ${path} is readable by others (mode ${mode.toString(8)})`,
      {
        hint: `run \`chmod 600 ${path}\``,
      },
    );
  }
  const key = parseServiceAccountKey(readFileSync(path, "utf8"), `the key file ${path}`);
  registerSecret(key.private_key);
  return { key, path };
}

// ---- registration input ----------------------------------------------------------------------

export interface ClassroomRegisterInput {
  serviceAccountKey?: string;
  teacher?: string;
  courseTeacher?: string[];
  apiUrl?: string;
  tokenUrl?: string;
  issuer?: string;
}

export interface PreparedClassroom {
  key: ServiceAccountKey;
  keyText: string;
  apiUrl: string;
  tokenUrl: string;
  issuer: string;
  defaultTeacher: string | null;
  teachers: Array<{ courseId: string; teacher: string }>;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function email(value: string, flag: string): string {
  if (!EMAIL.test(value))
    throw new UsageError(`${flag} "${value}" is not an e-mail address`, {
      hint: `e.g. ${flag} teacher@school.edu`,
    });
  return value;
}

/** Reads and checks what `lms register --kind google-classroom` was given; writes nothing. */
export function prepareClassroomRegistration(input: ClassroomRegisterInput): PreparedClassroom {
  if (!input.serviceAccountKey) {
    throw new UsageError("--service-account-key <file> is required for --kind google-classroom", {
      hint: "pass the JSON key of the service account that has domain-wide delegation for Classroom",
    });
  }
  const teachers = (input.courseTeacher ?? []).map((pair) => {
    const m = /^([^=\s]+)=(.+)$/.exec(pair);
    if (!m) {
      throw new UsageError(`--course-teacher "${pair}" is not <classroom course id>=<teacher e-mail>`, {
        hint: "e.g. --course-teacher 612345678901=ms.diaz@school.edu",
      });
    }
    return { courseId: m[1]!, teacher: email(m[2]!, "--course-teacher") };
  });
  const defaultTeacher = input.teacher ? email(input.teacher, "--teacher") : null;
  if (!defaultTeacher && teachers.length === 0) {
    throw new UsageError(
      "Google Classroom needs a teacher to act as: pass --teacher <e-mail> (or --course-teacher <id>=<e-mail>)",
      {
        hint: "only teachers of a Classroom course may create and grade its course work; gg4l impersonates one through domain-wide delegation",
      },
    );
  }
  let keyText: string;
  try {
    keyText = readFileSync(input.serviceAccountKey, "utf8");
  } catch (error) {
    throw new UsageError(
      `--service-account-key ${input.serviceAccountKey}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        hint: "pass the path of the service account's JSON key file",
      },
    );
  }
  const key = parseServiceAccountKey(keyText, `--service-account-key ${input.serviceAccountKey}`);
  const apiUrl = validateUrl(input.apiUrl ?? GOOGLE_CLASSROOM_API, "--api-url").replace(/\/+$/, "");
  const tokenUrl = validateUrl(input.tokenUrl ?? key.token_uri ?? GOOGLE_TOKEN_URL, "--token-url");
  const domain = (defaultTeacher ?? teachers[0]!.teacher).split("@")[1]!.toLowerCase();
  // The LMS instance of rule R1: the Workspace domain's Classroom.
  const issuer = input.issuer
    ? validateUrl(input.issuer, "--issuer").replace(/\/+$/, "")
    : `https://classroom.google.com/a/${domain}`;
  return { key, keyText, apiUrl, tokenUrl, issuer, defaultTeacher, teachers };
}

/** Stores the key file (0600) for the tenant; the content is never printed. */
export function storeClassroomKey(dbPath: string, tenantSlug: string, keyText: string): string {
  const path = classroomKeyPathFor(dbPath, tenantSlug);
  writeKeyFile(path, keyText);
  return path;
}

/** The tenant is gone: its service-account key goes with it, a secret nothing else uses. */
export function forgetClassroomKey(dbPath: string, tenantSlug: string): void {
  rmSync(classroomKeyPathFor(dbPath, tenantSlug), { force: true });
}

// ---- the view --------------------------------------------------------------------------------

export interface ClassroomView {
  apiUrl: string;
  tokenUrl: string;
  serviceAccount: string;
  projectId: string;
  /** The key's id, masked. */
  keyId: string | null;
  keyFile: string;
  defaultTeacher: string | null;
  courseTeachers: Record<string, string>;
  classroomReturn: boolean;
}

export function classroomView(
  ctx: Context,
  tenant: TenantRow,
  reg: LmsRegistrationRow,
): ClassroomView | null {
  if (!isClassroom(reg)) return null;
  const settings = findClassroomSettings(ctx.state().db, reg.id);
  if (!settings) return null;
  return {
    apiUrl: settings.apiUrl,
    tokenUrl: reg.tokenUrl,
    serviceAccount: settings.serviceAccount,
    projectId: settings.projectId,
    keyId: maskSecret(settings.keyId),
    keyFile: classroomKeyPathFor(ctx.dbPath, tenant.slug),
    defaultTeacher: settings.defaultTeacher,
    courseTeachers: Object.fromEntries(settings.teachers.map((t) => [t.courseId, t.teacher])),
    classroomReturn: reg.classroomReturn,
  };
}

// ---- services --------------------------------------------------------------------------------

export function requireClassroomSettings(ctx: Context, reg: LmsRegistrationRow): ClassroomSettingsRow {
  const settings = findClassroomSettings(ctx.state().db, reg.id);
  if (!settings) {
    throw new ConfigError("the Google Classroom registration has no Classroom settings", {
      hint: "register it again: gg4l lms register --kind google-classroom --service-account-key <file> --teacher <e-mail> --grade-sync <option>",
    });
  }
  return settings;
}

export function teacherResolver(settings: ClassroomSettingsRow): (courseId: string) => string {
  return (courseId) => {
    const teacher =
      settings.teachers.find((t) => t.courseId === courseId)?.teacher ?? settings.defaultTeacher;
    if (!teacher) {
      throw new ConfigError(`no teacher to act as in Classroom course ${courseId}`, {
        hint: `name one: gg4l lms register --kind google-classroom … --course-teacher ${courseId}=<teacher e-mail> (or --teacher <e-mail> for every course)`,
      });
    }
    return teacher;
  };
}

export interface ClassroomServices {
  client: ClassroomClient;
  tokens: ClassroomTokenProvider;
  settings: ClassroomSettingsRow;
  key: ServiceAccountKey;
  keyPath: string;
}

export async function classroomServicesFor(
  ctx: Context,
  tenant: TenantRow,
  reg: LmsRegistrationRow,
  http: HttpClient,
): Promise<ClassroomServices> {
  const settings = requireClassroomSettings(ctx, reg);
  const { key, path } = readClassroomKey(ctx.dbPath, tenant.slug);
  const [{ ClassroomTokenProvider }, { ClassroomClient }] = await Promise.all([
    import("../../clients/classroom/token.js"),
    import("../../clients/classroom/client.js"),
  ]);
  const tokens = new ClassroomTokenProvider(key, reg.tokenUrl, { http, now: () => ctx.now().getTime() });
  const client = new ClassroomClient({
    http,
    tokens,
    apiUrl: settings.apiUrl,
    teacherFor: teacherResolver(settings),
    defaultUser: settings.defaultTeacher ?? settings.teachers[0]?.teacher,
  });
  return { client, tokens, settings, key, keyPath: path };
}

/** What a column gg4l creates says and links to: the Coursera course or item it grades. */
export function columnDetailsFor(
  ctx: Context,
  tenant: TenantRow,
): (spec: ColumnSpec) => { description?: string; link?: { url: string; title?: string } } {
  const { db } = ctx.state();
  const courses = new Map(listCourses(db, tenant.id).map((c) => [c.courseId, c]));
  return (spec) => {
    const id = spec.resourceId ?? "";
    const course = courses.get(id);
    if (course) {
      return {
        description: `The final grade of the Coursera course "${course.name}", copied here by gg4l. Do not grade it by hand.`,
        ...(course.url ? { link: { url: course.url, title: course.name } } : {}),
      };
    }
    for (const c of courses.values()) {
      const item = listItems(db, tenant.id, c.courseId).find((i) => i.itemId === id);
      if (item) {
        return {
          description: `"${item.name}" of the Coursera course "${c.name}", graded on Coursera and copied here by gg4l. Do not grade it by hand.`,
          ...(c.url
            ? { link: { url: `${c.url}/item/${encodeURIComponent(item.itemId)}`, title: item.name } }
            : {}),
        };
      }
    }
    return { description: "Graded on Coursera and copied here by gg4l." };
  };
}

/** The gradebook adapter of a google-classroom registration (the sync executor's entry). */
export async function classroomGradebook(
  ctx: Context,
  tenant: TenantRow,
  reg: LmsRegistrationRow,
  http: HttpClient,
): Promise<ClassroomGradebook> {
  const { client } = await classroomServicesFor(ctx, tenant, reg, http);
  const { ClassroomGradebook } = await import("../../clients/classroom/gradebook.js");
  const warned = new Set<string>();
  return new ClassroomGradebook(client, {
    returnGrades: reg.classroomReturn,
    columnDetails: columnDetailsFor(ctx, tenant),
    onNotReleased: (info: NotReleased) => {
      ctx.logger.debug(`classroom: ${info.columnRef} user ${info.learnerRef}: ${info.message}`);
      if (warned.has(info.columnRef)) return;
      warned.add(info.columnRef);
      ctx.logger.warn(
        `Classroom "${info.title}": ${info.message}. Students see the grade once the work is turned in and returned.`,
      );
    },
  });
}
