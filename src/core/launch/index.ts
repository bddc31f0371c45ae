/**
 * The launch (LTI §1.4, the tool's redirect URI): check the state against the browser and
 * the store, validate the id_token, then either open the content picker (deep linking) or
 * sign the learner in to Coursera (R4): record the launch, link the learner, make them a
 * program member on their first launch into it, connect the link, and send them on.
 */

import { ensureLearner, recordLaunch } from "../../store/launches.js";
import { addMembership, findLearners, learnerMemberships } from "../../store/learners.js";
import { findLink, insertLink, type LinkRow, recordLinkLaunch } from "../../store/links.js";
import { findRegistrationsByIssuer, type LmsRegistrationRow } from "../../store/lms.js";
import { rebindLmsUser, saveLaunchedUser } from "../../store/lms-users.js";
import { consumeOidcState } from "../../store/oidc.js";
import { type RefusalReason, recordRefusal } from "../../store/refusals.js";
import { listTenants, type TenantRow } from "../../store/tenants.js";
import { freeLicenses } from "../identity.js";
import { openPicker, type PickerView } from "../publish/index.js";
import { DEEP_LINKING_REQUEST } from "./claims.js";
import { refuse } from "./errors.js";
import { ensureMembership, identify, type LaunchIdentity, type MembershipResult } from "./learner.js";
import { logEvent } from "./log.js";
import {
  courseraDownNotice,
  EMAIL_SETTING,
  fullNotice,
  type Notice,
  noEmailNotice,
  testLearnerNotice,
} from "./notices.js";
import type { LaunchServices } from "./services.js";
import { type LaunchTarget, resolveTarget } from "./target.js";
import { type ValidLaunch, validateIdToken } from "./validate.js";

export type LaunchResult =
  | { kind: "redirect"; location: string }
  | { kind: "picker"; view: PickerView }
  | Notice;

export interface LaunchInput {
  form: Record<string, string>;
  /** The states this browser holds a cookie for. */
  browserStates: ReadonlySet<string>;
}

export function tenantOf(svc: LaunchServices, reg: LmsRegistrationRow): TenantRow {
  const tenant = listTenants(svc.ctx.state().db).find((t) => t.id === reg.tenantId);
  if (!tenant) return refuse(404, "unknown-tenant", "the LMS registration belongs to no tenant any more");
  return tenant;
}

async function checkedLaunch(
  svc: LaunchServices,
  input: LaunchInput,
): Promise<{ reg: LmsRegistrationRow; launch: ValidLaunch }> {
  const { form, browserStates } = input;
  if (form.error)
    refuse(
      403,
      "platform-error",
      `the LMS refused the sign-in: ${form.error}${form.error_description ? ` (${form.error_description})` : ""}`,
      "open the link from the LMS again; if it keeps failing, the LMS admin should check the tool's redirect URI",
    );
  const state = form.state;
  if (!state) refuse(400, "no-state", "the launch has no state");
  if (!browserStates.has(state))
    refuse(
      403,
      "state-mismatch",
      "the launch's state does not belong to this browser",
      "open the link from the LMS again; if it keeps failing, the browser may block the tool's cookies",
    );
  const db = svc.ctx.state().db;
  const consumed = consumeOidcState(db, state, svc.ctx.now().toISOString());
  if (!consumed.ok)
    refuse(
      403,
      `state-${consumed.problem}`,
      `the login state is ${consumed.problem === "used" ? "already used (a replay?)" : consumed.problem}`,
      "open the link from the LMS again",
    );
  const reg = findRegistrationsByIssuer(db, consumed.issuer).find(
    (r) => r.id === consumed.row.registrationId,
  );
  if (!reg) return refuse(400, "unknown-issuer", "the LMS registration of this login is gone");
  if (!form.id_token) refuse(400, "no-id-token", "the launch has no id_token");
  const launch = await validateIdToken({
    idToken: form.id_token,
    registration: reg,
    nonce: consumed.row.nonce,
    targetLinkUri: consumed.row.targetLinkUri,
    keys: svc.platformKeys,
    now: svc.ctx.now(),
  });
  return { reg, launch };
}

/**
 * R1: a link is stale while the grade-sync option it was published under differs from the
 * LMS's current one; when they match again (the option switched back) it is current again.
 */
function staleness(reg: LmsRegistrationRow, link: LinkRow | undefined, target: LaunchTarget): string | null {
  const published = link?.gradeSync ?? target.publishedUnder;
  if (published && published !== reg.gradeSync)
    return `published under grade-sync "${published}", the LMS now uses "${reg.gradeSync}"`;
  return null;
}

function connectable(launch: ValidLaunch): boolean {
  return launch.ags !== null && (launch.ags.lineitem !== null || launch.ags.lineitems !== null);
}

function record(
  svc: LaunchServices,
  ids: { reg: LmsRegistrationRow; tenant: TenantRow },
  launch: ValidLaunch,
  who: LaunchIdentity,
  target: LaunchTarget,
  membership: MembershipResult,
  stale: string | null,
): { connected: boolean } {
  const { reg, tenant } = ids;
  const db = svc.ctx.state().db;
  const now = svc.ctx.now().toISOString();
  const resourceLinkId = launch.resourceLink!.id;
  const contextId = launch.context?.id ?? "";
  const connect = stale === null && connectable(launch);
  db.transaction(() => {
    saveLaunchedUser(
      db,
      {
        registrationId: reg.id,
        sub: launch.sub,
        externalId: who.externalId,
        email: who.email,
        name: who.name,
        linkedBy: who.binding,
        rebind: who.replaced !== null,
      },
      now,
    );
    if (who.replaced !== null)
      rebindLmsUser(db, tenant.id, {
        registrationId: reg.id,
        sub: launch.sub,
        from: who.replaced,
        to: who.externalId,
        linkedBy: who.binding,
      });
    const learner = { externalId: who.externalId, email: who.email, fullName: who.name };
    if (membership.outcome === "added" || membership.outcome === "already-member") {
      addMembership(
        db,
        tenant.id,
        { ...learner, programId: target.programId, state: "MEMBER", joinedAt: svc.ctx.now().getTime() },
        now,
      );
    } else ensureLearner(db, tenant.id, learner, now);
    recordLaunch(db, {
      tenantId: tenant.id,
      externalId: who.externalId,
      lmsSub: launch.sub,
      contextId,
      resourceLinkId,
      programId: target.programId,
      courseId: target.courseId,
      itemId: target.itemId,
      launchedAt: now,
    });
    const link =
      findLink(db, reg.id, resourceLinkId) ??
      insertLink(
        db,
        {
          registrationId: reg.id,
          contextId,
          resourceLinkId,
          programId: target.programId,
          courseId: target.courseId,
          itemId: target.itemId,
          gradeSync: target.publishedUnder ?? reg.gradeSync,
          title: launch.resourceLink!.title,
          staleReason: stale,
        },
        now,
      );
    recordLinkLaunch(
      db,
      link.id,
      {
        title: launch.resourceLink!.title,
        stale,
        connect: connect
          ? {
              lineitemUrl: launch.ags!.lineitem,
              lineitemsUrl: launch.ags!.lineitems,
              nrpsUrl: launch.nrpsUrl,
            }
          : null,
      },
      now,
    );
  })();
  return { connected: connect };
}

const LICENSE: Record<MembershipResult["outcome"], string> = {
  member: "held",
  added: "taken",
  "already-member": "held-at-coursera",
  full: "none-program-full",
  failed: "none-coursera-failed",
};

/** A launch refused before any binding or license: recorded for doctor, logged with the fix, a page for the learner. */
function refused(
  svc: LaunchServices,
  ids: { reg: LmsRegistrationRow; tenant: TenantRow },
  launch: ValidLaunch,
  target: LaunchTarget,
  refusal: { reason: RefusalReason; externalId: string | null; fix: string; notice: Notice },
): Notice {
  const { reg, tenant } = ids;
  recordRefusal(
    svc.ctx.state().db,
    {
      registrationId: reg.id,
      reason: refusal.reason,
      sub: launch.sub,
      externalId: refusal.externalId,
      contextId: launch.context?.id ?? "",
      resourceLinkId: launch.resourceLink!.id,
    },
    svc.ctx.now().toISOString(),
  );
  logEvent(svc.ctx, "launch-refused", {
    tenant: tenant.slug,
    lms: reg.kind,
    context: launch.context?.id,
    link: launch.resourceLink!.id,
    program: target.programId,
    sub: launch.sub,
    learner: refusal.externalId ?? undefined,
    reason: refusal.reason,
    license: "none",
    fix: refusal.fix,
  });
  return refusal.notice;
}

/** R11: the license a binding by the LMS user id took, reported (and freed when serve was told to). */
async function replacedBinding(
  svc: LaunchServices,
  tenant: TenantRow,
  who: LaunchIdentity,
): Promise<{ wrongLicenses?: string; freed?: string }> {
  if (who.replaced === null) return {};
  const db = svc.ctx.state().db;
  const held = learnerMemberships(db, tenant.id, who.replaced).map((m) => m.programId);
  if (held.length === 0) return { wrongLicenses: "none" };
  if (!svc.freeLicense)
    return {
      wrongLicenses: held.join(","),
      freed: `no (free with: gg4l learners remove ${who.replaced} --program <program>, or serve --free-license)`,
    };
  const results = await freeLicenses(svc.ctx, tenant, who.replaced, held, () => svc.coursera(tenant));
  return {
    wrongLicenses: held.join(","),
    freed: results.map((r) => `${r.programId}:${r.outcome}${r.error ? `(${r.error})` : ""}`).join(","),
  };
}

async function resourceLinkLaunch(
  svc: LaunchServices,
  reg: LmsRegistrationRow,
  launch: ValidLaunch,
): Promise<LaunchResult> {
  const tenant = tenantOf(svc, reg);
  const db = svc.ctx.state().db;
  const link = findLink(db, reg.id, launch.resourceLink!.id);
  const target = resolveTarget(db, tenant, link, launch.custom);
  const who = identify(db, reg, tenant.id, launch);
  if (who === null)
    return refused(svc, { reg, tenant }, launch, target, {
      reason: "no-email",
      externalId: null,
      fix: `the LMS shares no e-mail: ${EMAIL_FIX(reg)}; \`gg4l doctor\` counts such launches`,
      notice: noEmailNotice(reg.kind, target.programName),
    });
  const test = findLearners(db, tenant.id, who.externalId).find(
    (l) => l.externalId === who.externalId,
  )?.isTest;
  const member = learnerMemberships(db, tenant.id, who.externalId).some(
    (m) => m.programId === target.programId,
  );
  if (test && !member && !reg.testLaunches)
    return refused(svc, { reg, tenant }, launch, target, {
      reason: "test-learner",
      externalId: who.externalId,
      fix: `a test learner takes no license: \`gg4l learners unmark-test ${who.externalId}\` if this is a real learner, or \`gg4l settings set test-launches allow\``,
      notice: testLearnerNotice(target.programName),
    });
  const replaced = await replacedBinding(svc, tenant, who);
  const membership = await ensureMembership(svc, tenant, target.programId, who);
  const stale = staleness(reg, link, target);
  const { connected } = record(svc, { reg, tenant }, launch, who, target, membership, stale);
  logEvent(svc.ctx, "launch", {
    tenant: tenant.slug,
    lms: reg.kind,
    context: launch.context?.id,
    link: launch.resourceLink!.id,
    program: target.programId,
    course: target.courseId,
    item: target.itemId,
    learner: who.linkedBy,
    replaced: who.replaced ?? undefined,
    "wrong-licenses": replaced.wrongLicenses,
    freed: replaced.freed,
    license: LICENSE[membership.outcome],
    grading: stale
      ? "stale"
      : connected
        ? "connected"
        : "not-connected (no AGS endpoint: enable grade services for the tool in the LMS)",
    note: stale ? `${stale}: the learner is signed in, the link is not connected for grading` : undefined,
    error: membership.error,
    fix:
      membership.outcome === "full"
        ? `free test learners' licenses (gg4l learners remove --test --program ${target.programId} --confirm ${target.programId}) or buy more`
        : undefined,
  });
  if (membership.outcome === "full") return fullNotice(target.programName);
  if (membership.outcome === "failed") return courseraDownNotice(target.programName);
  return { kind: "redirect", location: target.url };
}

const EMAIL_FIX = (reg: LmsRegistrationRow) => EMAIL_SETTING[reg.kind];

export async function completeLaunch(svc: LaunchServices, input: LaunchInput): Promise<LaunchResult> {
  const { reg, launch } = await checkedLaunch(svc, input);
  if (launch.messageType === DEEP_LINKING_REQUEST) {
    const view = openPicker(svc, { registration: reg, tenant: tenantOf(svc, reg), launch });
    return { kind: "picker", view };
  }
  return resourceLinkLaunch(svc, reg, launch);
}
