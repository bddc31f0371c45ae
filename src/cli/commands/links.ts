import type { Command } from "commander";
import type { LinkView } from "../../core/links.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import type { Output } from "../io/output.js";

const load = () => import("../../core/links.js");

const opens = (l: LinkView) =>
  [l.course.name ?? l.course.id, l.item ? (l.item.name ?? l.item.id) : null].filter(Boolean).join(" › ");

async function renderColumns(out: Output, l: LinkView): Promise<void> {
  await out.table(
    [
      { header: "COLUMN", value: (c: LinkView["columns"][number]) => c.itemName ?? c.label ?? c.itemId },
      { header: "CREATED BY", value: (c) => c.createdBy },
      { header: "ACKNOWLEDGED", value: (c) => c.acknowledged },
      { header: "URL", value: (c) => c.url },
    ],
    l.columns,
    "No column yet: the LMS made none when it was published and the sync has not created any.",
  );
}

export function registerLinks(program: Command, cli: CliEnv): void {
  const links = program
    .command("links")
    .description("published links: where, what they open, launches, connected and stale (and why), columns")
    .addHelpText(
      "after",
      examples([
        ["why do no grades reach a course shell?", "gg4l links list --context 1042"],
        ["links that get no grades after a grade-sync change", "gg4l links list --stale"],
      ]),
    );

  const list = links
    .command("list")
    .description("list the published links gg4l has seen launched")
    .option("--program <program>", "only links into this program (id, slug or unique name prefix)")
    .option("--course <course>", "only links to this course (id or unique name prefix)")
    .option("--context <context>", "only links in this LMS context (course shell id)")
    .option("--stale", "only stale links (published under another grade-sync option)")
    .addHelpText(
      "after",
      examples([
        ["every link of a program", 'gg4l links list --program "Data Science"'],
        ["stale links as JSON", "gg4l links list --stale --json"],
      ]),
    );
  defineAction<{ program?: string; course?: string; context?: string; stale?: boolean }>(
    list,
    cli,
    { audit: false },
    async ({ ctx, out, opts }) => {
      const { listLinks } = await load();
      const rows = listLinks(ctx, opts);
      await out.emit(rows, () =>
        out.table(
          [
            { header: "ID", value: (l: LinkView) => l.id },
            { header: "CONTEXT", value: (l) => l.contextId },
            { header: "PROGRAM", value: (l) => l.program.name ?? l.program.id },
            { header: "OPENS", value: (l) => opens(l) },
            { header: "OPTION", value: (l) => l.gradeSync },
            { header: "LAUNCHES", value: (l) => l.launches },
            { header: "LAST LAUNCH", value: (l) => l.lastLaunchAt },
            {
              header: "GRADING",
              value: (l) =>
                l.stale ? "stale" : l.connected ? "connected" : `not connected: ${l.notConnectedReason}`,
            },
            { header: "COLUMNS", value: (l) => l.columns.length },
          ],
          rows,
          "No published link matches. A link appears here once someone launched it from the LMS.",
        ),
      );
    },
  );

  const show = links
    .command("show")
    .description("one link: what it opens, its launches, whether it is connected and stale, its columns")
    .argument("<link>", "the link id from `links list`, or the LMS's resource link id")
    .addHelpText(
      "after",
      examples([
        ["did anyone open this link?", "gg4l links show 12"],
        ["by the LMS's resource link id, as JSON", "gg4l links show 5f1c-rl-77 --json"],
      ]),
    );
  defineAction(show, cli, { audit: false }, async ({ ctx, out, args }) => {
    const { showLink } = await load();
    const l = showLink(ctx, args[0]!);
    await out.emit(l, async () => {
      out.record([
        ["id", l.id],
        ["title", l.title],
        ["lms context", `${l.lms} context ${l.contextId}, resource link ${l.resourceLinkId}`],
        ["program", `${l.program.name ?? "?"} (${l.program.id ?? "?"})`],
        ["opens", opens(l)],
        ["published under", `grade-sync ${l.gradeSync}`],
        [
          "launches",
          `${l.launches} by ${l.learners} learner(s), first ${l.firstLaunchAt ?? "never"}, last ${l.lastLaunchAt ?? "never"}`,
        ],
        ["connected", l.connected ? "yes" : `no: ${l.notConnectedReason}`],
        ["stale", l.stale ? `yes: ${l.staleReason}` : "no"],
      ]);
      out.line("");
      await renderColumns(out, l);
    });
  });
}
