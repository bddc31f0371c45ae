import type { Command } from "commander";
import type { LmsView } from "../../core/lms.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import { completeArgument } from "../completion.js";
import type { Output } from "../io/output.js";

const loadLms = () => import("../../core/lms.js");

function renderLms(out: Output, v: LmsView): void {
  if (v.classroom) {
    const c = v.classroom;
    out.record([
      ["tenant", v.tenant],
      ["kind", v.kind],
      ["instance", v.issuer],
      ["api url", c.apiUrl],
      ["token url", c.tokenUrl],
      ["service account", c.serviceAccount],
      ["project", c.projectId],
      ["key", `${c.keyId ?? "-"} (${c.keyFile}, mode 0600)`],
      ["teacher", c.defaultTeacher ?? "(per course only)"],
      ["course teachers", Object.entries(c.courseTeachers).map(([id, t]) => `${id}=${t}`)],
      ["grade sync", v.gradeSync],
      ["incremental", v.incremental ? "on" : "off"],
      ["classroom-return", c.classroomReturn ? "on" : "off"],
    ]);
    return;
  }
  out.record([
    ["tenant", v.tenant],
    ["kind", v.kind],
    ["issuer", v.issuer],
    ["client id", v.clientId],
    ["deployment id", v.deploymentId],
    ["auth url", v.authUrl],
    ["token url", v.tokenUrl],
    ["jwks url", v.jwksUrl],
    ["token audience", v.tokenAudience ?? "(token url)"],
    ["grade sync", v.gradeSync],
    ["incremental", v.incremental ? "on" : "off"],
    ["no-sso", v.noSso ? "on" : "off"],
  ]);
}

export function registerLms(program: Command, cli: CliEnv): void {
  const lms = program
    .command("lms")
    .description("the tenant's LMS registration (LTI 1.3 tool)")
    .addHelpText(
      "after",
      examples([
        ["show the registration", "gg4l lms show"],
        ["print the tool's public JWKS for the LMS admin", "gg4l lms show --jwks"],
      ]),
    );

  const register = lms
    .command("register")
    .description(
      "register (or update) the LMS of the current tenant: an LTI 1.3 tool registration, or Google Classroom over its API",
    )
    .requiredOption("--kind <kind>", "moodle|blackboard|canvas|d2l|google-classroom|schoology|buzz")
    .option(
      "--issuer <url>",
      "LTI: the platform issuer (iss); Classroom: the instance id (default https://classroom.google.com/a/<domain>)",
    )
    .option("--client-id <id>", "LTI: the client_id the LMS assigned to the tool")
    .option("--deployment-id <id>", "LTI: the deployment id")
    .option("--auth-url <url>", "LTI: the platform's OIDC authorization URL")
    .option(
      "--token-url <url>",
      "the OAuth2 token URL (LTI: the platform's; Classroom default: the key file's token_uri)",
    )
    .option("--jwks-url <url>", "LTI: the platform's public key set URL")
    .option(
      "--token-audience <aud>",
      "LTI: the aud of client assertions when the LMS wants another than the token URL",
    )
    .option(
      "--service-account-key <file>",
      "Classroom: the service account's JSON key (stored 0600 beside the state, never printed)",
    )
    .option(
      "--teacher <email>",
      "Classroom: the teacher gg4l acts as (domain-wide delegation), for every course",
    )
    .option(
      "--course-teacher <id=email>",
      "Classroom: the teacher to act as in one Classroom course (repeatable)",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option("--api-url <url>", "Classroom: the API base URL (default https://classroom.googleapis.com/v1)")
    .option(
      "--dynamic",
      "LTI Dynamic Registration (Moodle, Canvas, D2L): print a single-use registration URL (24 h) for the LMS admin instead of taking the ids",
    )
    .option(
      "--public-url <url>",
      "with --dynamic: where the LMS reaches `gg4l serve` (default: the last `gg4l serve --public-url`)",
    )
    .requiredOption(
      "--grade-sync <option>",
      "assignment (a link and a column per gradable item) | course (a link per course; the sync makes a column per gradable item) | final (a link and a column per course, the final grade) — one option per LMS instance (R1)",
    )
    .addHelpText(
      "after",
      examples([
        [
          "register a Moodle site, one course link and a gradebook column per gradable item of the course (Option B)",
          "gg4l lms register --kind moodle --issuer https://moodle.uni.edu --client-id abc --deployment-id 1 --auth-url https://moodle.uni.edu/mod/lti/auth.php --token-url https://moodle.uni.edu/mod/lti/token.php --jwks-url https://moodle.uni.edu/mod/lti/certs.php --grade-sync course",
        ],
        [
          "register D2L, which wants a fixed token audience",
          "gg4l lms register --tenant uni-x --kind d2l --issuer https://uni.brightspace.com --client-id c1 --deployment-id d1 --auth-url https://uni.brightspace.com/d2l/lti/authenticate --token-url https://auth.brightspace.com/core/connect/token --jwks-url https://uni.brightspace.com/d2l/.well-known/jwks --token-audience https://api.brightspace.com/auth/token --grade-sync assignment",
        ],
        [
          "one URL for the Moodle admin to paste (LTI Dynamic Registration); gg4l serve completes it",
          "gg4l lms register --dynamic --kind moodle --grade-sync course --public-url https://lti.uni.edu",
        ],
        [
          "register Google Classroom: a service account with domain-wide delegation, acting as a teacher",
          "gg4l lms register --kind google-classroom --service-account-key ./gg4l-sa.json --teacher ms.diaz@school.edu --grade-sync assignment",
        ],
      ]),
    );
  defineAction<{
    kind: string;
    issuer?: string;
    clientId?: string;
    deploymentId?: string;
    authUrl?: string;
    tokenUrl?: string;
    jwksUrl?: string;
    tokenAudience?: string;
    serviceAccountKey?: string;
    teacher?: string;
    courseTeacher?: string[];
    apiUrl?: string;
    dynamic?: boolean;
    publicUrl?: string;
    gradeSync: string;
  }>(register, cli, { audit: true }, async ({ ctx, out, opts }) => {
    if (opts.dynamic) {
      const { publicUrl, kind, gradeSync } = opts;
      const valueFlags = [
        "issuer",
        "clientId",
        "deploymentId",
        "authUrl",
        "tokenUrl",
        "jwksUrl",
        "tokenAudience",
        "serviceAccountKey",
        "teacher",
        "courseTeacher",
        "apiUrl",
      ] as const;
      const stray = valueFlags
        .filter((k) => opts[k] !== undefined)
        .map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      if (stray.length > 0) {
        const { UsageError } = await import("../../base/errors.js");
        throw new UsageError(`--dynamic takes no ${stray.join(", ")}: the LMS sends those values itself`, {
          hint: "gg4l lms register --dynamic --kind <kind> --grade-sync <option> [--public-url <url>]",
        });
      }
      const { createRegistrationUrl } = await import("../../core/dynamic-registration.js");
      const made = createRegistrationUrl(ctx, { kind, gradeSync, ...(publicUrl ? { publicUrl } : {}) });
      await out.emit({ registrationUrl: made.registrationUrl, expiresAt: made.expiresAt }, () => {
        out.line(made.registrationUrl);
        out.note(made.instruction);
        out.note(
          `Shown once: gg4l keeps only its hash. \`gg4l serve\` must be running at that address; it stores ${made.tenant}'s registration when the LMS opens the URL.`,
        );
      });
      return;
    }
    if (opts.publicUrl) {
      const { UsageError } = await import("../../base/errors.js");
      throw new UsageError("--public-url goes with --dynamic", {
        hint: "gg4l lms register --dynamic --kind <kind> --grade-sync <option> --public-url <url>",
      });
    }
    const { registerLms } = await loadLms();
    const result = registerLms(ctx, opts);
    await out.emit(result, () => {
      out.success(
        `${result.updated ? "Updated" : "Registered"} the ${result.kind} LMS for tenant ${result.tenant}`,
      );
      renderLms(out, result);
      if (result.classroom)
        out.note(
          "Next: check it with `gg4l lms check`, then create the columns with `gg4l classroom publish --classroom-course <id> --course <course>`",
        );
      else out.note("Next: give the LMS admin the tool's public key set: gg4l lms show --jwks");
    });
  });

  registerLmsCheck(lms, cli);
  registerLmsGuide(lms, cli);

  const show = lms
    .command("show")
    .description("show the LMS registration, or with --jwks the tool's public JWKS")
    .option("--jwks", "print the tool's public JWKS (JSON), to paste into the LMS")
    .addHelpText(
      "after",
      examples([
        ["show the current tenant's registration", "gg4l lms show"],
        ["save the tool JWKS to a file for the LMS admin", "gg4l lms show --jwks > gg4l-jwks.json"],
      ]),
    );
  defineAction<{ jwks?: boolean }>(show, cli, { audit: false }, async ({ ctx, out, opts }) => {
    const { showLms, toolJwks } = await loadLms();
    if (opts.jwks) {
      const jwks = toolJwks(ctx);
      // The JWKS is data to paste: JSON whether or not --json was given.
      out.document(jwks);
      return;
    }
    const view = showLms(ctx);
    await out.emit(view, () => renderLms(out, view));
  });
}

interface CheckOptions {
  contextUrl?: string;
  membershipsUrl?: string;
  classroomCourse?: string;
}

export function registerLmsCheck(lms: Command, cli: CliEnv): void {
  const check = lms
    .command("check")
    .description(
      "check the LMS registration: platform JWKS, one service token for every scope gg4l may use, the scopes this tenant needs, a page of a course roster, the line items of a context (Classroom: key, delegated tokens, teachers, rosters, course work)",
    )
    .option(
      "--context-url <lineitems url>",
      "a line-items container URL (default: one learned from a launch)",
    )
    .option(
      "--memberships-url <roster url>",
      "a course roster (NRPS) URL to read one page of (default: one learned from a launch)",
    )
    .option(
      "--classroom-course <id>",
      "Google Classroom: check this course (default: the courses gg4l published into)",
    )
    .addHelpText(
      "after",
      examples([
        ["check the current tenant's LMS", "gg4l lms check"],
        [
          "check a given course context, for a script",
          "gg4l lms check --context-url https://moodle.uni.edu/mod/lti/services.php/2/lineitems?type_id=1 --json",
        ],
        ["check one Google Classroom course", "gg4l lms check --classroom-course 612345678901"],
      ]),
    );
  defineAction<CheckOptions>(check, cli, { audit: false }, async ({ ctx, out, opts }) => {
    const { checkLms } = await loadLms();
    const result = await checkLms(ctx, opts.contextUrl, {
      ...(opts.classroomCourse ? { classroomCourse: opts.classroomCourse } : {}),
      ...(opts.membershipsUrl ? { membershipsUrl: opts.membershipsUrl } : {}),
    });
    await out.emit(result, async () => {
      await out.table(
        [
          { header: "CHECK", value: (c: (typeof result.checks)[number]) => c.check },
          { header: "RESULT", value: (c) => c.status },
          {
            header: "DETAILS",
            value: (c) =>
              [c.message, c.lmsMessage ? `LMS said: ${c.lmsMessage}` : "", c.hint ? `fix: ${c.hint}` : ""]
                .filter(Boolean)
                .join(" — "),
            wrap: true,
          },
        ],
        result.checks,
        "",
      );
    });
    if (!result.ok) {
      const { ConfigError } = await import("../../base/errors.js");
      const failed = result.checks.filter((c) => c.status === "fail").map((c) => c.check);
      throw new ConfigError(`the ${result.kind} registration failed: ${failed.join(", ")}`, {
        hint: result.checks.find((c) => c.status === "fail")?.hint ?? "see the checks above",
      });
    }
  });
}

const KINDS = ["moodle", "blackboard", "canvas", "d2l", "google-classroom", "schoology", "buzz"] as const;

export function registerLmsGuide(lms: Command, cli: CliEnv): void {
  const guide = lms
    .command("guide")
    .argument("<kind>", KINDS.join("|"))
    .description(
      "the LMS admin's checklist for one LMS: where, the values to paste, the e-mail privacy switch, AGS/NRPS/deep linking, the grade-sync options, how to hand the ids back (Google Classroom: the service-account setup)",
    )
    .option(
      "--public-url <url>",
      "where the LMS reaches `gg4l serve` (default: the last `gg4l serve --public-url`)",
    )
    .addHelpText(
      "after",
      examples([
        ["the Moodle admin's checklist", "gg4l lms guide moodle --public-url https://lti.uni.edu"],
        ["the values only, for a script", "gg4l lms guide canvas --public-url https://lti.uni.edu --json"],
        ["Google Classroom's service-account setup", "gg4l lms guide google-classroom"],
      ]),
    );
  completeArgument(guide, KINDS);
  defineAction<{ publicUrl?: string }>(guide, cli, { audit: false }, async ({ ctx, out, opts, args }) => {
    const { lmsGuide } = await import("../../core/guide.js");
    const g = lmsGuide(ctx, String(args[0]), opts.publicUrl);
    await out.emit(g, () => {
      out.line(`Connect ${g.lms} to gg4l${g.publicUrl ? ` (tool at ${g.publicUrl})` : ""}`);
      for (const [n, section] of g.sections.entries()) {
        out.line("");
        out.line(`${n + 1}. ${section.title}`);
        for (const step of section.steps) out.line(`   - ${step}`);
      }
    });
  });
}
