import type { Command } from "commander";
import type { BindingChange } from "../../core/identity.js";
import type { BulkOutcome, LearnerListItem, RemovalPlan } from "../../core/learners.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import type { Column, Output } from "../io/output.js";

const load = () => import("../../core/learners.js");

function renderBulk(out: Output, result: BulkOutcome): void {
  for (const r of result.results) {
    if (r.error) out.warn(`${r.key}: ${r.error}`);
    else if (r.outcome === "unchanged") out.note(`${r.key}: already so`);
    else out.success(`${r.key}: ${r.outcome}`);
  }
}

function renderBinding(out: Output, r: BindingChange): void {
  const to = r.learner ?? "nobody";
  if (!r.changed) out.note(`LMS user ${r.lmsUser} is already bound to ${to}; nothing changed`);
  else if (r.dryRun)
    out.note(
      `Dry run: LMS user ${r.lmsUser} would be bound to ${to} (now ${r.previous ?? "nobody"}); nothing was changed`,
    );
  else out.success(`LMS user ${r.lmsUser} is now bound to ${to} (was ${r.previous ?? "nobody"})`);
  if (r.changed && r.launches > 0)
    out.note(
      `${r.launches} launch(es) ${r.learner === null ? "forgotten" : `moved to ${r.learner}`}${r.dryRun ? " (would be)" : ""}`,
    );
  if (r.previousLicenses.length > 0 && r.freed.length === 0)
    out.warn(
      `${r.previous} holds a license in ${r.previousLicenses.join(", ")}: pass --free-license to free it, or \`gg4l learners remove ${r.previous} --program <program>\``,
    );
  for (const f of r.freed)
    if (f.outcome === "failed") out.warn(`license in ${f.programId} not freed: ${f.error}`);
    else out.success(`license in ${f.programId}: ${f.outcome === "removed" ? "freed" : "was not held"}`);
}

/** A (un)binding's outcome; exit 5 when a license it should have freed was not. */
async function emitBinding(out: Output, result: BindingChange, done: string): Promise<void> {
  await out.emit(result, () => renderBinding(out, result));
  const failed = result.freed.filter((f) => f.outcome === "failed");
  if (failed.length > 0) {
    const { PartialFailureError } = await import("../../base/errors.js");
    throw new PartialFailureError(`${done}, but ${failed.length} license(s) could not be freed`, {
      hint: `retry with \`gg4l learners remove ${result.previous} --program <program>\``,
    });
  }
}

export function registerLearners(program: Command, cli: CliEnv): void {
  const learners = program
    .command("learners")
    .description("learners: memberships, licenses, SSO status, test flags, removal")
    .addHelpText(
      "after",
      examples([
        ['why is a learner "not in the program"?', "gg4l learners show ana@uni.edu"],
        [
          "free the licenses test learners hold",
          "gg4l learners remove --test --program prog-1 --confirm prog-1",
        ],
      ]),
    );

  const list = learners
    .command("list")
    .description("list learners")
    .option("--program <program>", "only members of this program")
    .option("--test", "only learners flagged as test")
    .option("--no-sso", "only learners who never launched a link from the LMS")
    .addHelpText(
      "after",
      examples([
        [
          "members of a program who never came through the LMS",
          "gg4l learners list --program prog-1 --no-sso",
        ],
        ["test learners as JSON", "gg4l learners list --test --json"],
      ]),
    );
  defineAction<{ program?: string; test?: boolean; sso: boolean }>(
    list,
    cli,
    { audit: false },
    async ({ ctx, out, opts }) => {
      const { listLearners } = await load();
      const rows = listLearners(ctx, { program: opts.program, test: opts.test, noSso: opts.sso === false });
      // On a terminal: one column when every external id is the e-mail, program names. Piped, the
      // columns stay as scripts know them, program names added last.
      const sameIds = rows.every((l) => l.email === null || l.email === l.externalId);
      const identity: Column<LearnerListItem>[] =
        out.terminal && sameIds
          ? [{ header: "EXTERNAL ID = E-MAIL", value: (l) => l.externalId }]
          : [
              { header: "EXTERNAL ID", value: (l) => l.externalId },
              { header: "EMAIL", value: (l) => l.email },
            ];
      await out.emit(rows, () =>
        out.table(
          [
            ...identity,
            { header: "NAME", value: (l) => l.name },
            { header: "PROGRAMS", value: (l) => (out.terminal ? l.programNames : l.programs) },
            { header: "SSO", value: (l) => (l.sso ? "linked" : "never launched") },
            { header: "TEST", value: (l) => l.test },
            ...(out.terminal
              ? []
              : [{ header: "PROGRAM NAMES", value: (l: LearnerListItem) => l.programNames }]),
          ],
          rows,
          "No learners match. `gg4l programs pull` fetches program members.",
        ),
      );
    },
  );

  const show = learners
    .command("show")
    .description("one learner: memberships, licenses, SSO status, latest Coursera grades, and a diagnosis")
    .argument("<learner>", "e-mail or external id")
    .option("--offline", "do not ask Coursera for the latest grades")
    .addHelpText(
      "after",
      examples([
        ["everything about one learner", "gg4l learners show ana@uni.edu"],
        ["from the state only, as JSON", "gg4l learners show ana@uni.edu --offline --json"],
      ]),
    );
  defineAction<{ offline?: boolean }>(show, cli, { audit: false }, async ({ ctx, out, opts, args }) => {
    const { showLearner } = await load();
    const l = await showLearner(ctx, args[0]!, { offline: opts.offline });
    await out.emit(l, async () => {
      out.record([
        ["external id", l.externalId],
        ["email", l.email],
        ["name", l.name],
        ["test learner", l.test],
        ["licenses", l.licenses],
        [
          "programs",
          l.memberships.map((m) => `${m.programName} (${m.programId})${m.active ? "" : " [inactive]"}`),
        ],
        [
          "sso",
          l.sso.linked
            ? `linked, last launch ${l.sso.launches[0]?.launchedAt}`
            : "never launched from the LMS",
        ],
        ["lms users", l.lmsUsers.map((u) => `${u.sub} (${u.lmsKind} ${u.issuer}, from ${u.source})`)],
        ...(l.classroom
          ? ([
              [
                "classroom",
                l.classroom.status === "matched"
                  ? `matched: ${l.classroom.entries.map((e) => `course ${e.classroomCourseId} user ${e.userId}`).join(", ")}`
                  : "not in any Classroom roster read",
              ],
            ] as Array<[string, string]>)
          : []),
      ]);
      if (l.links.length > 0) {
        out.line("");
        await out.table(
          [
            { header: "LINK", value: (k: (typeof l.links)[number]) => k.title ?? k.resourceLinkId },
            { header: "CONTEXT", value: (k) => k.contextId },
            { header: "COURSE", value: (k) => k.courseId },
            { header: "ITEM", value: (k) => k.itemId },
            {
              header: "GRADE SYNC",
              value: (k) =>
                k.stale ? "stale" : k.connected ? `connected (${k.gradeSync})` : "not connected",
            },
            { header: "LINE ITEM", value: (k) => k.lineItemUrl ?? k.lineItemsUrl },
            { header: "LAST LAUNCH", value: (k) => k.lastLaunchAt },
          ],
          l.links,
          "",
        );
      }
      if (l.publishedLinks.length > 0) {
        out.line("");
        await out.table(
          [
            {
              header: "PUBLISHED LINK",
              value: (k: (typeof l.publishedLinks)[number]) => `${k.id} ${k.title ?? ""}`.trim(),
            },
            { header: "CONTEXT", value: (k) => k.contextId },
            { header: "OPENS", value: (k) => [k.course, k.item].filter(Boolean).join(" › ") },
            { header: "LAUNCHED", value: (k) => k.launched },
            { header: "ELIGIBLE", value: (k) => (k.eligible ? "yes" : `no: ${k.why}`) },
            {
              header: "LAST ACKNOWLEDGED",
              value: (k) =>
                k.columns
                  .filter((c) => c.acknowledgedAt !== null)
                  .map((c) => `${c.name ?? "column"}: ${c.lastScore ?? "cleared"}`)
                  .join("; ") || "none",
            },
          ],
          l.publishedLinks,
          "",
        );
      }
      if (l.grades && l.grades.length > 0) {
        out.line("");
        await out.table(
          [
            { header: "COURSE", value: (g: (typeof l.grades)[number]) => g.courseName ?? g.courseId },
            { header: "GRADE", value: (g) => g.grade },
            { header: "PROGRESS", value: (g) => g.progress },
            { header: "COMPLETED", value: (g) => g.completedAt ?? g.completed },
            {
              header: "ITEMS GRADED",
              value: (g) => `${g.items.filter((i) => i.grade !== null).length}/${g.items.length}`,
            },
          ],
          l.grades,
          "",
        );
      } else if (l.grades) out.note("No Coursera grades yet.");
      if (l.gradesError) out.warn(`latest grades unavailable: ${l.gradesError}`);
      out.line("");
      for (const line of l.diagnosis) out.line(`• ${line}`);
    });
  });

  for (const [verb, isTest] of [
    ["mark-test", true],
    ["unmark-test", false],
  ] as const) {
    const cmd = learners
      .command(verb)
      .description(isTest ? "flag learners as test learners (kept out of grade sync)" : "clear the test flag")
      .argument("<learner...>", "e-mails or external ids")
      .addHelpText(
        "after",
        examples([
          [`${verb} one learner`, `gg4l learners ${verb} test1@uni.edu`],
          [`${verb} several, for a script`, `gg4l learners ${verb} test1@uni.edu test2@uni.edu --json`],
        ]),
      );
    defineAction(cmd, cli, { audit: true }, async ({ ctx, out, args }) => {
      const { markTest, bulkError } = await load();
      const result = markTest(ctx, args, isTest);
      await out.emit(result, () => renderBulk(out, result));
      const error = bulkError(result, isTest ? "marking test learners" : "unmarking test learners");
      if (error) throw error;
    });
  }

  const loadIdentity = () => import("../../core/identity.js");

  const link = learners
    .command("link")
    .description(
      "bind an LMS user to a Coursera learner by hand (R11), e.g. to repair a binding made without the e-mail",
    )
    .argument("<lms-user>", "the LMS user id (the launch's sub, as `learners show` lists it)")
    .argument("<learner>", "the Coursera learner: e-mail or external id")
    .option("--dry-run", "show what would change; change nothing")
    .option(
      "--free-license",
      "free the licenses the previously bound learner holds, through the Coursera API",
    )
    .addHelpText(
      "after",
      examples([
        ["see what re-binding LMS user 8 would do", "gg4l learners link 8 ana@uni.edu --dry-run"],
        [
          "re-bind and free the wrong learner's license",
          "gg4l learners link 8 ana@uni.edu --free-license --json",
        ],
      ]),
    );
  defineAction<{ dryRun?: boolean; freeLicense?: boolean }>(
    link,
    cli,
    { audit: (opts) => !opts.dryRun },
    async ({ ctx, out, opts, args }) => {
      const { linkLearner } = await loadIdentity();
      const result = await linkLearner(ctx, args[0]!, args[1]!, {
        dryRun: Boolean(opts.dryRun),
        freeLicense: Boolean(opts.freeLicense),
      });
      await emitBinding(out, result, "bound");
    },
  );

  const unlink = learners
    .command("unlink")
    .description(
      "unbind an LMS user from its Coursera learner (R11): their next launch binds them by e-mail again",
    )
    .argument("<lms-user>", "the LMS user id (the launch's sub, as `learners show` lists it)")
    .option("--dry-run", "show what would change; change nothing")
    .option("--free-license", "free the licenses the unbound learner holds, through the Coursera API")
    .addHelpText(
      "after",
      examples([
        ["see what unbinding LMS user 8 would do", "gg4l learners unlink 8 --dry-run"],
        ["unbind and free the license, as JSON", "gg4l learners unlink 8 --free-license --json"],
      ]),
    );
  defineAction<{ dryRun?: boolean; freeLicense?: boolean }>(
    unlink,
    cli,
    { audit: (opts) => !opts.dryRun },
    async ({ ctx, out, opts, args }) => {
      const { unlinkLearner } = await loadIdentity();
      const result = await unlinkLearner(ctx, args[0]!, {
        dryRun: Boolean(opts.dryRun),
        freeLicense: Boolean(opts.freeLicense),
      });
      await emitBinding(out, result, "unbound");
    },
  );

  const remove = learners
    .command("remove")
    .description("remove learners from a program through Coursera, freeing their licenses (R5)")
    .argument("[learner...]", "e-mails or external ids")
    .requiredOption("--program <program>", "the program to remove them from")
    .option("--test", "every test learner of the program")
    .option("--dry-run", "show what would be removed; change nothing")
    .option("--confirm <programId>", "confirm removing more than one learner by typing the program id")
    .addHelpText(
      "after",
      examples([
        ["see which test learners would go", "gg4l learners remove --test --program prog-1 --dry-run"],
        [
          "free every test license of a program from a script",
          "gg4l learners remove --test --program prog-1 --confirm prog-1 --json",
        ],
      ]),
    );
  defineAction<{ program: string; test?: boolean; dryRun?: boolean; confirm?: string }>(
    remove,
    cli,
    { audit: (opts) => !opts.dryRun },
    async ({ ctx, out, opts, args }) => {
      const { removeLearners, removalError } = await load();
      const impact = (plan: RemovalPlan) => {
        if (out.json) return;
        const total = plan.licenses.total ?? "?";
        out.note(
          `${opts.dryRun ? "Would remove" : "Selected for removal:"} ${plan.learners.length} learner(s) from "${plan.program.name}" (${plan.program.id}), licenses ${plan.licenses.used}/${total} used:`,
        );
        for (const l of plan.learners) out.note(`  ${l.externalId}${l.test ? " (test)" : ""}`);
        for (const key of plan.notMembers) out.warn(`${key} is not a member of this program`);
      };
      const result = await removeLearners(
        ctx,
        {
          keys: args,
          test: Boolean(opts.test),
          program: opts.program,
          dryRun: Boolean(opts.dryRun),
          confirm: opts.confirm,
        },
        impact,
      );
      await out.emit(result, () => {
        if (result.dryRun) {
          out.note("Dry run: nothing was changed.");
          return;
        }
        for (const r of result.results) {
          if (r.outcome === "failed") out.warn(`${r.externalId}: ${r.error}`);
          else if (r.outcome === "not-member") out.note(`${r.externalId}: was no longer a member`);
          else out.success(`${r.externalId}: removed`);
        }
        out.note(`${result.freed} license(s) freed`);
      });
      const error = removalError(result);
      if (error) throw error;
    },
  );
}
