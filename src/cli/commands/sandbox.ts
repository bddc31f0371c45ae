import { dirname } from "node:path";
import type { Command } from "commander";
import type { DemoResult } from "../../sandbox/demo.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import type { Output } from "../io/output.js";

const LMS_KINDS = ["canvas", "moodle", "blackboard", "d2l", "schoology", "buzz", "google-classroom"] as const;

interface SandboxOpts {
  lms: string;
  gradeSync: string;
}

async function validated(opts: SandboxOpts) {
  const { oneOf } = await import("../../core/validate.js");
  const { gradeSyncOptions } = await import("../../core/settings.js");
  return {
    lms: oneOf(opts.lms, LMS_KINDS, "--lms"),
    gradeSync: oneOf(opts.gradeSync, gradeSyncOptions, "--grade-sync"),
  };
}

function summary(out: Output, r: DemoResult): void {
  out.line("");
  out.line(out.style.bold("Summary"));
  out.record([
    ["lms", `${r.lms} (fake), grade-sync ${r.gradeSync}`],
    ["program", `${r.program.name} (${r.program.id})`],
    ["published", `${r.published.links} link(s), ${r.published.lineItems} column(s) in "${r.course.name}"`],
    [
      "visits",
      r.lms === "google-classroom"
        ? `${r.launches} learners joined from the course work`
        : `${r.launches} SSO launches through gg4l serve`,
    ],
    [
      "licenses",
      `${r.licenses.taken} taken by first launches, ${r.licenses.freed} freed by removing test learners (${r.licenses.afterRemoval}/${r.licenses.total} used)`,
    ],
    ["grade sync", `${r.sync.posted} of ${r.sync.planned} planned scores posted, ${r.sync.failed} failed`],
    ["re-run", `${r.rerun.posted} posted, ${r.rerun.notifications} student notifications (incremental sync)`],
    ["state", r.throwaway ? "thrown away" : r.dbPath],
  ]);
}

export function registerSandbox(program: Command, cli: CliEnv): void {
  const sandbox = program
    .command("sandbox")
    .description("the embedded sandbox: fake Coursera and LMS on loopback, no credentials needed")
    .addHelpText(
      "after",
      examples([
        ["the whole integration in one run", "gg4l sandbox demo"],
        ["keep the sandbox running and try commands by hand", "gg4l sandbox start --lms moodle"],
      ]),
    );

  const demo = sandbox
    .command("demo")
    .description(
      "walk through the whole integration on the sandbox, then summarise (exit 0 when it all worked)",
    )
    .option("--lms <kind>", `the fake LMS: ${LMS_KINDS.join("|")}`, "canvas")
    .option("--grade-sync <option>", "assignment|course|final", "assignment")
    .addHelpText(
      "after",
      examples([
        ["the demo on a fake Canvas", "gg4l sandbox demo"],
        [
          "on a fake Moodle with Option B, keeping the state to explore",
          "gg4l sandbox demo --lms moodle --grade-sync course --db ./sandbox.db",
        ],
      ]),
    );
  defineAction<SandboxOpts>(demo, cli, { audit: false }, async ({ ctx, out, opts }) => {
    const choice = await validated(opts);
    const [{ startSandbox }, { runDemo }] = await Promise.all([
      import("../../sandbox/world.js"),
      import("../../sandbox/demo.js"),
    ]);
    const started = Date.now();
    const world = await startSandbox({
      lms: choice.lms,
      gradeSync: choice.gradeSync,
      dataset: "demo",
      osUser: ctx.osUser,
      prompter: ctx.prompter,
      ...(opts.db ? { dbPath: ctx.dbPath } : {}),
    });
    let step = 0;
    try {
      const result = await runDemo(world, {
        step: (title) => {
          if (out.json) return;
          out.line("");
          out.line(out.style.bold(`${++step}. ${title}`));
        },
        detail: (line) => {
          if (!out.json) out.line(`   ${line}`);
        },
      });
      await out.emit({ ...result, durationMs: Date.now() - started }, () => {
        summary(out, result);
        out.note("");
        out.note(
          `Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Continue by hand: \`gg4l sandbox start\` keeps the fakes running${
            result.throwaway ? "" : `; this state is kept at ${result.dbPath}`
          }.`,
        );
      });
    } finally {
      await world.close();
    }
  });

  const start = sandbox
    .command("start")
    .description("start the sandbox with a seeded tenant and keep it running until Ctrl-C")
    .option("--lms <kind>", `the fake LMS: ${LMS_KINDS.join("|")}`, "canvas")
    .option("--grade-sync <option>", "assignment|course|final", "assignment")
    .addHelpText(
      "after",
      examples([
        ["start it, then use the printed GG4L_DB in another terminal", "gg4l sandbox start"],
        ["a fake D2L, printing the settings as JSON", "gg4l sandbox start --lms d2l --json"],
      ]),
    );
  defineAction<SandboxOpts>(start, cli, { audit: false }, async ({ ctx, out, opts }) => {
    const choice = await validated(opts);
    const [{ startSandbox, SANDBOX_TENANT }, { runDemo }] = await Promise.all([
      import("../../sandbox/world.js"),
      import("../../sandbox/demo.js"),
    ]);
    const world = await startSandbox({
      lms: choice.lms,
      gradeSync: choice.gradeSync,
      dataset: "demo",
      osUser: ctx.osUser,
      prompter: ctx.prompter,
      ...(opts.db ? { dbPath: ctx.dbPath } : {}),
    });
    try {
      out.note("Seeding the sandbox (the demo's story, quietly)…");
      const seeded = await runDemo(world, { step: () => {}, detail: () => {} });
      // Leave the next sync something to do.
      world.coursera.control.setGrades([
        {
          externalId: "amina.okafor@sandbox.edu",
          courseId: seeded.course.id,
          programId: seeded.program.id,
          overallCourseGrade: 97,
          isCompleted: true,
          completedAt: Date.parse("2026-11-21T09:00:00Z"),
        },
      ]);
      world.ctx.close();
      // From here on, gg4l serve's log lines (launches, refusals) show, as with a standalone serve.
      world.ctx.logger = ctx.logger;
      const baseUrl = world.lms?.origin ?? world.classroom!.apiUrl;
      const info = {
        env: { GG4L_DB: world.dbPath, GG4L_TENANT: SANDBOX_TENANT },
        coursera: world.coursera.baseUrl,
        lms: {
          kind: choice.lms,
          url: world.lms?.issuer ?? world.classroom!.apiUrl,
          baseUrl,
          issuer: world.lms?.issuer ?? null,
          adminUrl: world.lms ? `${world.lms.origin}/_fake/` : null,
        },
        tool: world.tool?.urls ?? null,
        stateDir: dirname(world.dbPath),
        keptOnStop: !world.throwaway,
        try: ["gg4l learners list", "gg4l sync daily --dry-run", "gg4l sync daily"],
      };
      await out.emit(info, () => {
        out.line("The sandbox is running. In another terminal:");
        out.line("");
        out.line(`  export GG4L_DB=${info.env.GG4L_DB}`);
        out.line(`  export GG4L_TENANT=${info.env.GG4L_TENANT}`);
        out.line("");
        out.line("Then try:");
        for (const command of info.try) out.line(`  ${command}`);
        out.line("");
        out.line(`Fake Coursera: ${info.coursera}`);
        if (world.lms) {
          out.line(
            `Fake ${choice.lms}: ${baseUrl}${world.lms.issuer === baseUrl ? "" : ` (issuer ${world.lms.issuer})`}`,
          );
          out.line(
            `  its admin API: ${info.lms.adminUrl}info, …/gradebook, …/posts (fixtures/fake-lms/README.md)`,
          );
        } else out.line(`Fake Classroom API: ${baseUrl}`);
        if (info.tool) out.line(`gg4l serve: ${info.tool.baseUrl} (its log lines follow on stderr)`);
        out.line("");
        out.line(
          info.keptOnStop
            ? `State: ${info.stateDir} (kept when the sandbox stops)`
            : `State: ${info.stateDir}, with its secrets file and tool key; removed when the sandbox stops (pass --db to keep it)`,
        );
      });
      out.note("Ctrl-C stops the sandbox.");
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      out.note(
        world.throwaway
          ? "Stopping; the sandbox state is removed."
          : `Stopping; the state stays at ${world.dbPath}.`,
      );
    } finally {
      await world.close();
    }
  });
}
