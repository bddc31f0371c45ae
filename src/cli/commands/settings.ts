import type { Command } from "commander";
import { type CliEnv, defineAction, examples } from "../command.js";
import { completeArgument } from "../completion.js";

const loadSettings = () => import("../../core/settings.js");

export function registerSettings(program: Command, cli: CliEnv): void {
  const settings = program
    .command("settings")
    .description("grade-sync option, incremental sync and no-SSO sync of the tenant's LMS")
    .addHelpText(
      "after",
      examples([
        ["show the settings", "gg4l settings show"],
        ["stop re-posting unchanged grades", "gg4l settings set incremental on"],
      ]),
    );

  const show = settings
    .command("show")
    .description("show gradeSync, incremental and noSso")
    .addHelpText(
      "after",
      examples([
        ["the current tenant", "gg4l settings show"],
        ["one field for a script", "gg4l settings show --tenant uni-x --json | jq -r .gradeSync"],
      ]),
    );
  defineAction(show, cli, { audit: false }, async ({ ctx, out }) => {
    const { showSettings } = await loadSettings();
    const view = showSettings(ctx);
    await out.emit(view, () =>
      out.record([
        ["tenant", view.tenant],
        ["lms", `${view.lms} ${view.issuer}`],
        ["grade-sync", view.gradeSync],
        ["incremental", view.incremental ? "on" : "off"],
        ["no-sso", view.noSso ? "on" : "off"],
        ["test-launches", view.testLaunches],
        ...(view.lms === "google-classroom"
          ? ([["classroom-return", view.classroomReturn ? "on" : "off"]] as Array<[string, string]>)
          : []),
      ]),
    );
  });

  const set = settings
    .command("set")
    .description(
      "change a setting; Google Classroom also takes `classroom-return <on|off>` (on: return graded work to students, which releases the grade)",
    )
    .argument("[setting]", "classroom-return (the other settings are the commands below)")
    .argument("[value]", "on or off")
    .addHelpText(
      "after",
      examples([
        ["turn on no-SSO sync", "gg4l settings set no-sso on"],
        [
          "switch to one column per course (asks first; --yes in scripts)",
          "gg4l settings set grade-sync course --yes",
        ],
        ["Google Classroom: release grades by returning the work", "gg4l settings set classroom-return on"],
      ]),
    );
  // classroom-return is handled here rather than as a subcommand of its own, so `settings set
  // --help` lists the settings every LMS has; completion offers it beside them.
  completeArgument(set, ["classroom-return"]);
  defineAction(set, cli, { audit: true }, async ({ ctx, out, args }) => {
    const { UsageError } = await import("../../base/errors.js");
    const [name, value] = args;
    if (name !== "classroom-return") {
      throw new UsageError(name ? `no setting "${name}"` : "name the setting to change", {
        hint: "settings: grade-sync, incremental, no-sso, test-launches, classroom-return (gg4l settings set --help)",
      });
    }
    if (value === undefined)
      throw new UsageError("classroom-return takes on or off", {
        hint: "e.g. gg4l settings set classroom-return on",
      });
    const { setSyncFlag } = await loadSettings();
    const { onOff } = await import("../../core/validate.js");
    const result = setSyncFlag(ctx, "classroom-return", onOff(value, "classroom-return"));
    await out.emit(result, () => {
      const state = result.value ? "on" : "off";
      if (result.changed) out.success(`classroom-return is now ${state} for tenant ${result.tenant}`);
      else out.note(`classroom-return is already ${state} for tenant ${result.tenant}`);
      out.note(`For students: ${result.forStudents}.`);
    });
  });

  const gradeSync = set
    .command("grade-sync")
    .description(
      "change the grade-sync option of the LMS instance (costly: needs confirmation, marks links stale)",
    )
    .argument("<option>", "assignment|course|final")
    .option("-y, --yes", "confirm without a prompt")
    .addHelpText(
      "after",
      examples([
        ["change it, asking first", "gg4l settings set grade-sync final"],
        ["change it from a script", "gg4l settings set grade-sync assignment --yes --json"],
      ]),
    );
  defineAction<{ yes?: boolean }>(gradeSync, cli, { audit: true }, async ({ ctx, out, opts, args }) => {
    const { changeGradeSync, gradeSyncCost } = await loadSettings();
    const result = await changeGradeSync(ctx, args[0]!, opts.yes);
    await out.emit(result, () => {
      if (!result.changed) {
        out.note(`grade-sync is already "${result.gradeSync}" for ${result.issuer}; nothing changed`);
        return;
      }
      out.success(`grade-sync of ${result.issuer} is now "${result.gradeSync}" (was "${result.previous}")`);
      if (result.tenants.length > 1)
        out.note(`Applies to every tenant on this LMS: ${result.tenants.join(", ")}`);
      out.warn(`${result.staleLinks} link(s) marked stale. Now: ${gradeSyncCost}.`);
      if (result.restoredLinks > 0)
        out.note(`${result.restoredLinks} link(s) published under "${result.gradeSync}" are current again`);
    });
  });

  for (const [name, description] of [
    [
      "incremental",
      "on: post a score only when it differs from what the LMS acknowledged; off: re-post every score",
    ],
    ["no-sso", "on: one launch of a link by anyone connects it for every program learner"],
  ] as const) {
    const cmd = set
      .command(name)
      .description(description)
      .argument("<on|off>", "on or off")
      .addHelpText(
        "after",
        examples([
          [`turn ${name} on`, `gg4l settings set ${name} on`],
          [`turn ${name} off for one tenant`, `gg4l settings set ${name} off --tenant uni-x --json`],
        ]),
      );
    defineAction(cmd, cli, { audit: true }, async ({ ctx, out, args }) => {
      const { setSyncFlag } = await loadSettings();
      const { onOff } = await import("../../core/validate.js");
      const result = setSyncFlag(ctx, name, onOff(args[0]!, name));
      await out.emit(result, () => {
        const state = result.value ? "on" : "off";
        if (result.changed) out.success(`${name} is now ${state} for tenant ${result.tenant}`);
        else out.note(`${name} is already ${state} for tenant ${result.tenant}`);
        out.note(`For students: ${result.forStudents}.`);
      });
    });
  }
  const testLaunches = set
    .command("test-launches")
    .description(
      "allow: a learner marked as test takes a license by launching a link; deny (default): they get a page saying so",
    )
    .argument("<allow|deny>", "allow or deny")
    .addHelpText(
      "after",
      examples([
        ["let test learners take licenses while trying a course", "gg4l settings set test-launches allow"],
        ["keep them out again, as JSON", "gg4l settings set test-launches deny --json"],
      ]),
    );
  completeArgument(testLaunches, ["allow", "deny"]);
  defineAction(testLaunches, cli, { audit: true }, async ({ ctx, out, args }) => {
    const { setTestLaunches } = await loadSettings();
    const result = setTestLaunches(ctx, args[0]!);
    await out.emit(result, () => {
      if (result.changed) out.success(`test-launches is now ${result.value} for tenant ${result.tenant}`);
      else out.note(`test-launches is already ${result.value} for tenant ${result.tenant}`);
    });
  });
}
