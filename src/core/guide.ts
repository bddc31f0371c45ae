/**
 * `gg4l lms guide <kind>`: the LMS admin's checklist for one LMS — where in its admin pages, the
 * values to paste (from `gg4l serve --public-url`), the privacy switch that shares e-mail, the
 * service switches (AGS, NRPS, deep linking), what each grade-sync option needs, and how the ids
 * come back to gg4l. Google Classroom's is its service-account setup.
 */
import { UsageError } from "../base/errors.js";
import { CLASSROOM_SCOPES } from "../clients/classroom/token.js";
import { platformName } from "../clients/lti/registration.js";
import { type LmsKind, lmsKinds } from "../store/lms.js";
import type { Context } from "./context.js";
import { DYNAMIC_KINDS, publicUrlOf } from "./dynamic-registration.js";
import { oneOf } from "./validate.js";

export interface GuideValues {
  /** LTI kinds: what the tool registration asks for. */
  loginUrl?: string;
  launchUrl?: string;
  redirectUris?: string[];
  deepLinkUrl?: string;
  jwksUrl?: string;
  domain?: string;
  /** Google Classroom: the OAuth scopes to delegate, comma-separated as the Admin console wants them. */
  scopes?: string;
}

export interface GuideSection {
  title: string;
  steps: string[];
}

export interface LmsGuide {
  kind: LmsKind;
  lms: string;
  publicUrl: string | null;
  dynamicRegistration: boolean;
  values: GuideValues;
  sections: GuideSection[];
}

const GRADE_SYNC: GuideSection = {
  title: "Grade-sync options (one per LMS instance, rule R1)",
  steps: [
    "assignment: one link per Coursera gradable item; the LMS creates one column per link, so column management is not needed.",
    "course: one link per Coursera course; gg4l creates a column per gradable item, so the LMS must grant column management (AGS lineitem scope).",
    "final: one link per course and one column; the final course grade is posted once Coursera marks the course completed.",
    "no-SSO sync (gg4l settings set no-sso on) reads course rosters: Names and Role Provisioning must be on.",
  ],
};

function ltiValues(base: string): GuideValues {
  const launchUrl = `${base}/lti/launch`;
  return {
    loginUrl: `${base}/lti/login`,
    launchUrl,
    redirectUris: [launchUrl],
    deepLinkUrl: `${base}/lti/deep-link`,
    jwksUrl: `${base}/.well-known/jwks.json`,
    domain: new URL(base).host,
  };
}

function handBack(kind: LmsKind, ids: string): GuideSection {
  const dynamic = DYNAMIC_KINDS[kind]
    ? [
        `Or skip the copying: \`gg4l lms register --dynamic --kind ${kind} --grade-sync <option>\` prints a single-use URL to paste into ${platformName(kind)}; \`gg4l serve\` stores the ids itself.`,
      ]
    : [];
  return {
    title: "Hand the ids back to gg4l",
    steps: [
      ids,
      `gg4l lms register --kind ${kind} --issuer <issuer> --client-id <client id> --deployment-id <deployment id> --auth-url <auth url> --token-url <token url> --jwks-url <keyset url> --grade-sync <option>`,
      ...dynamic,
      "Then check what the LMS granted: gg4l lms check",
    ],
  };
}

function ltiSections(kind: Exclude<LmsKind, "google-classroom">, v: GuideValues): GuideSection[] {
  const paste = (labels: Partial<Record<keyof GuideValues, string>>) =>
    (Object.entries(labels) as Array<[keyof GuideValues, string]>)
      .filter(([k]) => v[k] !== undefined)
      .map(([k, label]) => `${label}: ${Array.isArray(v[k]) ? (v[k] as string[]).join(" ") : v[k]}`);
  switch (kind) {
    case "moodle":
      return [
        {
          title: "Where",
          steps: [
            "Site administration > Plugins > Activity modules > External tool > Manage tools > configure a tool manually (Moodle 4.1+ can take the dynamic registration URL in 'Tool URL' and 'Add LTI Advantage' instead).",
          ],
        },
        {
          title: "Values to paste",
          steps: [
            "LTI version: LTI 1.3; Public key type: Keyset URL",
            ...paste({
              launchUrl: "Tool URL",
              jwksUrl: "Public keyset",
              loginUrl: "Initiate login URL",
              redirectUris: "Redirection URI(s) (only this one)",
              deepLinkUrl: "Content Selection URL",
            }),
          ],
        },
        {
          title: "Services",
          steps: [
            "IMS LTI Assignment and Grade Services: 'Use this service for grade sync and column management'",
            "IMS LTI Names and Role Provisioning: 'Use this service to retrieve members' information as per privacy settings'",
            "Supports Deep Linking (Content-Item Message): on, with the Content Selection URL above",
          ],
        },
        {
          title: "Privacy (share e-mail)",
          steps: [
            "Share launcher's name with tool: Always",
            "Share launcher's email with tool: Always (Moodle's default is Never: launches would carry no e-mail and bind nobody, rule R11)",
            "Accept grades from the tool: Always",
          ],
        },
        GRADE_SYNC,
        handBack(
          kind,
          "Manage tools > the tool's 'View configuration details' shows Platform ID (issuer = the site URL), Client ID, Deployment ID, Public keyset URL ({site}/mod/lti/certs.php), Access token URL ({site}/mod/lti/token.php) and Authentication request URL ({site}/mod/lti/auth.php).",
        ),
      ];
    case "canvas":
      return [
        {
          title: "Where",
          steps: [
            "Admin > Developer Keys > + Developer Key > + LTI Key (or + LTI Registration with the dynamic registration URL)",
          ],
        },
        {
          title: "Values to paste",
          steps: paste({
            redirectUris: "Redirect URIs",
            launchUrl: "Target Link URI",
            loginUrl: "OpenID Connect Initiation Url",
            jwksUrl: "JWK Method: Public JWK URL",
            deepLinkUrl:
              "Placements Link Selection / Assignment Selection: Target Link URI (Message Type LtiDeepLinkingRequest)",
            domain: "Domain",
          }),
        },
        {
          title: "Services",
          steps: [
            "LTI Advantage Services: 'Can create and view assignment data in the gradebook associated with the tool', 'Can view assignment data in the gradebook associated with the tool', 'Can view submission data for assignments associated with the tool', 'Can create and update submission results for assignments associated with the tool'",
            "Names and Role Provisioning: 'Can retrieve user data associated with the context the tool is installed in'",
            "Save, then switch the key ON",
          ],
        },
        {
          title: "Privacy (share e-mail)",
          steps: ["Additional Settings > Privacy Level: Public (shares name and e-mail)"],
        },
        GRADE_SYNC,
        handBack(
          kind,
          "The developer key's number is the client id; install it (Settings > Apps > + App > By Client ID) and read the Deployment Id from the app's settings menu. Issuer https://canvas.instructure.com; auth https://sso.canvaslms.com/api/lti/authorize_redirect; token https://sso.canvaslms.com/login/oauth2/token; keyset https://sso.canvaslms.com/api/lti/security/jwks.",
        ),
      ];
    case "d2l":
      return [
        {
          title: "Where",
          steps: [
            "Admin Tools > Manage Extensibility > LTI Advantage > Register Tool (Standard, or Dynamic with the registration URL)",
          ],
        },
        {
          title: "Values to paste",
          steps: paste({
            domain: "Domain",
            redirectUris: "Redirect URLs",
            loginUrl: "OpenID Connect Login URL",
            launchUrl: "Target Link URI",
            jwksUrl: "Keyset URL",
            deepLinkUrl: "Deep linking link (Links > Register Link, type Deep Linking Quicklink): URL",
          }),
        },
        {
          title: "Services",
          steps: [
            "Extensions: tick Assignment and Grade Services, Deep Linking and Names and Role Provisioning Services",
            "Then View Deployments > New Deployment: tick the same extensions on the deployment, and the org units it serves",
          ],
        },
        {
          title: "Privacy (share e-mail)",
          steps: ["Deployment > Security Settings: tick Email and Name (First name, Last name)"],
        },
        GRADE_SYNC,
        handBack(
          kind,
          "The registration shows Client Id, Brightspace Keyset URL ({host}/d2l/.well-known/jwks), OAuth2 Access Token URL (https://auth.brightspace.com/core/connect/token), OpenID Connect Authentication Endpoint ({host}/d2l/lti/authenticate), Issuer ({host}) and OAuth2 Audience (https://api.brightspace.com/auth/token: pass it as --token-audience); the deployment shows the Deployment Id.",
        ),
      ];
    case "blackboard":
      return [
        {
          title: "Where",
          steps: [
            "1. Anthology Developer Portal (developer.blackboard.com): register an LTI 1.3 tool to get its Application ID (the client id).",
            "2. In Learn: Administrator Panel > Integrations > LTI Tool Providers > Register LTI 1.3/Advantage Tool, with that Client ID.",
          ],
        },
        {
          title: "Values to paste (Developer Portal)",
          steps: paste({
            domain: "Domain(s)",
            loginUrl: "Login Initiation URL",
            redirectUris: "Tool Redirect URL(s)",
            jwksUrl: "Tool JWKS URL",
            launchUrl: "Target link URI",
            deepLinkUrl:
              "Placement (Administrator Panel > LTI Tool Providers > Manage Placements): type Deep Linking content tool, Target Link URI",
          }),
        },
        {
          title: "Services",
          steps: [
            "Institution policies: Allow grade service access: Yes; Allow membership service access: Yes",
          ],
        },
        {
          title: "Privacy (share e-mail)",
          steps: ["Institution policies > User Fields to Send: Role in Course, Name, Email Address"],
        },
        GRADE_SYNC,
        handBack(
          kind,
          "The Learn registration shows the Deployment ID. Issuer https://blackboard.com; auth https://developer.blackboard.com/api/v1/gateway/oidcauth; token https://developer.blackboard.com/api/v1/gateway/oauth2/jwttoken; keyset https://developer.blackboard.com/api/v1/management/applications/<application id>/jwks.json. Blackboard has no LTI Dynamic Registration.",
        ),
      ];
    case "schoology":
      return [
        {
          title: "Where",
          steps: [
            "Schoology App Center: create the LTI 1.3 app (developer), then the system administrator installs it for the school (System Settings > Integration).",
          ],
        },
        {
          title: "Values to paste",
          steps: paste({
            domain: "Domain / URL",
            loginUrl: "Initiate Login URL",
            redirectUris: "Redirect URL(s)",
            launchUrl: "Target Link URI",
            jwksUrl: "JWKS URL",
            deepLinkUrl: "Deep Linking URL",
          }),
        },
        {
          title: "Services",
          steps: [
            "LTI Advantage services: Deep Linking, Assignment and Grade Services, Names and Role Provisioning",
          ],
        },
        {
          title: "Privacy (share e-mail)",
          steps: ["Privacy: send the user's name and e-mail to the tool"],
        },
        GRADE_SYNC,
        handBack(
          kind,
          "The app shows the client id, the installation its deployment id. Issuer https://schoology.schoology.com; auth https://lti-service.svc.schoology.com/lti-service/authorize-redirect; token https://lti-service.svc.schoology.com/lti-service/access-token; keyset https://lti-service.svc.schoology.com/lti-service/.well-known/jwks. Schoology has no LTI Dynamic Registration.",
        ),
      ];
    case "buzz":
      return [
        {
          title: "Where",
          steps: [
            "Buzz domain settings: the LTI 1.3 tool registration of the domain (Agilix support can point to it)",
          ],
        },
        {
          title: "Values to paste",
          steps: paste({
            domain: "Domain",
            loginUrl: "Login initiation URL",
            redirectUris: "Redirect URI(s)",
            launchUrl: "Target link URI",
            jwksUrl: "Public keyset (JWKS) URL",
            deepLinkUrl: "Deep linking URL",
          }),
        },
        {
          title: "Services",
          steps: ["The domain setting enabledltiservices must include AGS, NRPS and deep linking"],
        },
        {
          title: "Privacy (share e-mail)",
          steps: ["Send the user's e-mail in launches (launches without it bind nobody, rule R11)"],
        },
        GRADE_SYNC,
        handBack(
          kind,
          "Buzz shows the client id and deployment id; its issuer is the Buzz API URL and its keyset {api}/lti/platform/jwks (e.g. https://api.agilixbuzz.com/lti/platform/jwks). Buzz has no LTI Dynamic Registration gg4l knows of.",
        ),
      ];
  }
}

function classroomSections(scopes: string): GuideSection[] {
  return [
    {
      title: "Where",
      steps: [
        "Google Cloud console: a project with the Google Classroom API enabled",
        "Google Admin console (a super admin): Security > Access and data control > API controls > Domain-wide delegation",
      ],
    },
    {
      title: "Service account",
      steps: [
        "IAM & Admin > Service accounts > Create service account; then Keys > Add key > JSON, and keep the file safe",
        "Note its numeric Client ID (Unique ID)",
      ],
    },
    {
      title: "Domain-wide delegation",
      steps: [
        "Add new: the service account's Client ID, and exactly these OAuth scopes:",
        scopes,
        "Classroom has no LTI here: no e-mail, AGS, NRPS or deep-linking switches; gg4l creates the course work it grades (gg4l classroom publish).",
      ],
    },
    {
      title: "Grade-sync options",
      steps: [
        "assignment: one Classroom assignment per Coursera gradable item; course and final as for the LTI kinds, through course work gg4l creates.",
      ],
    },
    {
      title: "Hand the key back to gg4l",
      steps: [
        "gg4l lms register --kind google-classroom --service-account-key <key.json> --teacher <teacher e-mail> --grade-sync <option>",
        "The key is stored 0600 beside the state and never printed. Then: gg4l lms check --classroom-course <id>",
      ],
    },
  ];
}

export function lmsGuide(ctx: Context, kindText: string, publicUrlFlag: string | undefined): LmsGuide {
  const kind = oneOf(kindText, lmsKinds, "<kind>");
  if (kind === "google-classroom") {
    const scopes = CLASSROOM_SCOPES.join(",");
    return {
      kind,
      lms: platformName(kind),
      publicUrl: null,
      dynamicRegistration: false,
      values: { scopes },
      sections: classroomSections(scopes),
    };
  }
  let publicUrl = publicUrlFlag ? publicUrlOf(ctx, publicUrlFlag) : undefined;
  if (!publicUrl) {
    try {
      publicUrl = publicUrlOf(ctx, undefined);
    } catch {
      publicUrl = undefined;
    }
  }
  if (!publicUrl)
    throw new UsageError(
      `the ${platformName(kind)} guide needs --public-url <url>: where the LMS reaches \`gg4l serve\``,
      {
        hint: `e.g. gg4l lms guide ${kind} --public-url https://lti.uni.edu (after one \`gg4l serve --public-url\`, that one is the default)`,
      },
    );
  const values = ltiValues(publicUrl);
  return {
    kind,
    lms: platformName(kind),
    publicUrl,
    dynamicRegistration: DYNAMIC_KINDS[kind] !== undefined,
    values,
    sections: ltiSections(kind, values),
  };
}
