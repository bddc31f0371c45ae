/** Grade-sync health read from the state: the daily job, stale links, learners and courses that get no grades, re-posts. */
import {
  coursesWithoutConnectedLink,
  membersNeverLaunched,
  recentResends,
  staleLinkCounts,
} from "../../store/doctor.js";
import { latestRun } from "../../store/sync.js";
import { settleAbandonedRuns } from "../sync/lease.js";
import { type Check, formatDuration, listSome, need, row } from "./basis.js";

/** The daily job runs once a day; two more hours cover a slow run or a late cron. */
export const DAILY_SYNC_WARN_MS = 26 * 3600_000;
/** How many of the latest sync runs the re-post check reads. */
export const RESEND_RUNS = 5;

export const dailySyncCheck: Check = {
  names: ["daily-sync"],
  async run({ ctx, state, tenant: t }) {
    const tenant = need(t, "warn");
    const { db } = need(state, "warn");
    // R12: judge the latest daily run, whatever became of it, not the latest success.
    settleAbandonedRuns(ctx, tenant);
    const run = latestRun(db, tenant.id, "sync daily");
    const cron = `schedule \`gg4l sync daily --tenant ${tenant.slug}\` once a day (cron) and run it once now`;
    if (!run) return [row("daily-sync", "warn", `the daily sync never ran for tenant ${tenant.slug}`, cron)];
    const show = `\`gg4l sync show ${run.id}\``;
    const age = ctx.now().getTime() - Date.parse(run.finishedAt ?? run.startedAt);
    const ago = `${formatDuration(age)} ago`;
    const phase = run.phase ? ` in its ${run.phase} phase` : "";
    const cause = run.error ? `: ${run.error}` : "";
    switch (run.status) {
      case "failed":
        return [
          row(
            "daily-sync",
            "fail",
            `the latest daily sync (run ${run.id}, ${ago}) failed${phase}${cause}`,
            `${show} says what failed; fix it and run \`gg4l sync daily --tenant ${tenant.slug}\` again`,
          ),
        ];
      case "partial":
        return [
          row(
            "daily-sync",
            "warn",
            `the latest daily sync (run ${run.id}, ${ago}) was partial: ${run.counts.failed ?? 0} item(s) failed`,
            `${show} lists every failure with the LMS's message; the next run tries them again`,
          ),
        ];
      case "abandoned":
      case "interrupted":
        return [
          row(
            "daily-sync",
            "warn",
            `the latest daily sync (run ${run.id}, ${ago}) was ${run.status}${phase}${cause}`,
            `${show}; run \`gg4l sync daily --tenant ${tenant.slug}\` again: it posts what is missing`,
          ),
        ];
      case "running":
        return [row("daily-sync", "pass", `a daily sync (run ${run.id}) is running${phase}, started ${ago}`)];
      default:
        break;
    }
    const when = `the latest daily sync (run ${run.id}) was ok and finished ${ago}`;
    if (age > DAILY_SYNC_WARN_MS) {
      return [
        row(
          "daily-sync",
          "warn",
          `${when}: more than 26 h, and grades must reach the LMS within 72 h`,
          `check the cron job and ${show}; run \`gg4l sync daily --tenant ${tenant.slug}\` now`,
        ),
      ];
    }
    return [row("daily-sync", "pass", when)];
  },
};

export const staleLinksCheck: Check = {
  names: ["stale-links"],
  async run({ state, registration }) {
    const reg = need(registration, "warn");
    const groups = staleLinkCounts(need(state, "warn").db, reg.id, reg.gradeSync);
    const total = groups.reduce((sum, g) => sum + g.count, 0);
    if (total === 0)
      return [row("stale-links", "pass", `no stale link: every link is under grade-sync ${reg.gradeSync}`)];
    return [
      row(
        "stale-links",
        "warn",
        `${total} link(s) get no grades because they belong to another grade-sync option: ${groups.map((g) => `${g.reason} (${g.count})`).join("; ")}`,
        `republish those links in the LMS under grade-sync ${reg.gradeSync}; every learner then launches the new link once`,
      ),
    ];
  },
};

export const neverLaunchedCheck: Check = {
  names: ["never-launched"],
  async run({ state, registration }) {
    const reg = need(registration, "warn");
    if (reg.noSso)
      return [
        row(
          "never-launched",
          "pass",
          "no-SSO sync is on: program members get grades without launching a link",
        ),
      ];
    const programs = membersNeverLaunched(need(state, "warn").db, reg.tenantId);
    if (programs.length === 0) {
      return [
        row("never-launched", "pass", "every member of an active program has launched a link from the LMS"),
      ];
    }
    const total = programs.reduce((sum, p) => sum + p.count, 0);
    const first = programs[0]!;
    return [
      row(
        "never-launched",
        "warn",
        `${total} program member(s) never launched a link from the LMS, so they get no grades (no-SSO sync is off): ${programs.map((p) => `${p.name} ${p.count}`).join(", ")}`,
        `ask them to open the Coursera link published in the LMS once (reaching Coursera directly does not link accounts); \`gg4l learners list --program ${first.programId} --no-sso\` lists them; or turn no-SSO sync on: \`gg4l settings set no-sso on\``,
      ),
    ];
  },
};

export const courseLinksCheck: Check = {
  names: ["course-links"],
  async run({ state, registration }) {
    const reg = need(registration, "warn");
    if (reg.gradeSync !== "course") {
      return [
        row(
          "course-links",
          "pass",
          `grade-sync is ${reg.gradeSync}, not course (Option B): nothing to check`,
        ),
      ];
    }
    const courses = coursesWithoutConnectedLink(need(state, "warn").db, reg.tenantId, reg.id);
    if (courses.length === 0) {
      return [row("course-links", "pass", "every course of the active programs has a launched course link")];
    }
    return [
      row(
        "course-links",
        "warn",
        `${courses.length} course(s) of the active programs have no launched course link, so their gradebook columns cannot appear: ${listSome(courses.map((c) => c.name))}`,
        "publish each of them in the LMS and open its link once (anyone's launch connects it); the next sync creates the columns",
      ),
    ];
  },
};

export const incrementalCheck: Check = {
  names: ["incremental"],
  async run({ state, registration }) {
    const reg = need(registration, "warn");
    if (reg.incremental)
      return [row("incremental", "pass", "incremental sync is on: only new or changed grades are posted")];
    const recent = recentResends(need(state, "warn").db, reg.tenantId, RESEND_RUNS);
    if (recent.resent === 0) {
      return [
        row(
          "incremental",
          "pass",
          `incremental sync is off, but the last ${recent.runs} sync run(s) re-posted no unchanged grade`,
        ),
      ];
    }
    return [
      row(
        "incremental",
        "warn",
        `incremental sync is off: the last ${recent.runs} sync run(s) re-posted ${recent.resent} unchanged grade(s), and the LMS may e-mail students about each`,
        "`gg4l settings set incremental on`",
      ),
    ];
  },
};
