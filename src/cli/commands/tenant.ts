import type { Command } from "commander";
import type { TenantView } from "../../core/tenants.js";
import { type CliEnv, defineAction, examples } from "../command.js";
import type { Output } from "../io/output.js";

const loadTenants = () => import("../../core/tenants.js");

function renderTenant(out: Output, t: TenantView): void {
  out.record([
    ["slug", t.slug],
    ["name", t.name],
    ["default", t.default],
    ["coursera org", t.courseraOrg],
    ["coursera url", t.courseraUrl],
    ["coursera client id", t.courseraClientId],
    ["coursera secret", t.courseraSecret ? `${t.courseraSecret} (${t.courseraSecretSource})` : "not set"],
    ["lms", t.lms ? `${t.lms.kind} ${t.lms.issuer} (grade-sync ${t.lms.gradeSync})` : "not registered"],
    ["created", t.createdAt],
  ]);
}

export function registerTenant(program: Command, cli: CliEnv): void {
  const tenant = program
    .command("tenant")
    .description("institutions: one Coursera organization and one LMS registration each")
    .addHelpText(
      "after",
      examples([
        ["list the tenants in this state", "gg4l tenant list"],
        ["work on another tenant by default", "gg4l tenant use uni-x"],
      ]),
    );

  const add = tenant
    .command("add")
    .description("add a tenant (the Coursera client secret comes from GG4L_COURSERA_CLIENT_SECRET or stdin)")
    .argument("<slug>", "short name used with --tenant, e.g. uni-x")
    .requiredOption("--name <text>", "the institution's name")
    .requiredOption("--coursera-org <orgId>", "the Coursera organization id")
    .option("--coursera-url <baseUrl>", "Coursera API base URL", "https://api.coursera.org")
    .option("--coursera-client-id <id>", "Coursera API client id")
    .option(
      "--coursera-secret-stdin",
      "read the Coursera client secret from standard input (a hidden prompt on a terminal)",
    )
    .addHelpText(
      "after",
      examples([
        [
          "add a tenant, secret piped in",
          'printf %s "$SECRET" | gg4l tenant add uni-x --name "University X" --coursera-org org-123 --coursera-client-id cid --coursera-secret-stdin',
        ],
        [
          "add a tenant, secret from the environment (CI)",
          'GG4L_COURSERA_CLIENT_SECRET=… gg4l tenant add uni-y --name "University Y" --coursera-org org-456 --json',
        ],
      ]),
    );
  defineAction<{
    name: string;
    courseraOrg: string;
    courseraUrl: string;
    courseraClientId?: string;
    courseraSecretStdin?: boolean;
  }>(add, cli, { audit: true }, async ({ ctx, out, opts, args }) => {
    const { addTenant } = await loadTenants();
    const result = await addTenant(ctx, {
      slug: args[0]!,
      name: opts.name,
      courseraOrg: opts.courseraOrg,
      courseraUrl: opts.courseraUrl,
      courseraClientId: opts.courseraClientId,
      secretFromStdin: Boolean(opts.courseraSecretStdin),
    });
    await out.emit(result, () => {
      out.success(`Added tenant ${result.slug}${result.madeDefault ? " (now the default tenant)" : ""}`);
      renderTenant(out, result);
      if (!result.courseraSecret)
        out.warn(
          "no Coursera client secret stored: set GG4L_COURSERA_CLIENT_SECRET when running commands that call Coursera",
        );
      out.note(`Next: gg4l lms register --tenant ${result.slug} --kind <kind> --issuer <url> …`);
    });
  });

  const set = tenant
    .command("set")
    .description("edit a tenant: its name, Coursera API URL, client id or secret (the slug and org stay)")
    .argument("<slug>", "the tenant to edit")
    .option("--name <text>", "the institution's name")
    .option("--coursera-url <baseUrl>", "Coursera API base URL")
    .option("--coursera-client-id <id>", "Coursera API client id")
    .option(
      "--coursera-secret-stdin",
      "read a new Coursera client secret from standard input (a hidden prompt on a terminal)",
    )
    .addHelpText(
      "after",
      examples([
        [
          "give a tenant its Coursera credentials",
          'printf %s "$SECRET" | gg4l tenant set uni-x --coursera-client-id cid --coursera-secret-stdin',
        ],
        ["rename a tenant", 'gg4l tenant set uni-x --name "University of X"'],
      ]),
    );
  defineAction<{
    name?: string;
    courseraUrl?: string;
    courseraClientId?: string;
    courseraSecretStdin?: boolean;
  }>(set, cli, { audit: true }, async ({ ctx, out, opts, args }) => {
    const { setTenant } = await loadTenants();
    const result = await setTenant(ctx, {
      slug: args[0]!,
      name: opts.name,
      courseraUrl: opts.courseraUrl,
      courseraClientId: opts.courseraClientId,
      secretFromStdin: Boolean(opts.courseraSecretStdin),
    });
    await out.emit(result, () => {
      if (result.changed.length === 0)
        out.note(`Tenant ${result.slug} already had those values; nothing changed.`);
      else out.success(`Changed ${result.changed.join(", ")} of tenant ${result.slug}`);
      renderTenant(out, result);
    });
  });

  const list = tenant
    .command("list")
    .description("list tenants")
    .addHelpText(
      "after",
      examples([
        ["show all tenants", "gg4l tenant list"],
        ["tenant slugs for a script", "gg4l tenant list --json | jq -r '.[].slug'"],
      ]),
    );
  defineAction(list, cli, { audit: false }, async ({ ctx, out }) => {
    const { listTenantViews } = await loadTenants();
    const tenants = listTenantViews(ctx);
    await out.emit(tenants, () =>
      out.table(
        [
          { header: "", value: (t: TenantView) => (t.default ? "*" : "") },
          { header: "SLUG", value: (t) => t.slug },
          { header: "NAME", value: (t) => t.name },
          { header: "COURSERA ORG", value: (t) => t.courseraOrg },
          { header: "LMS", value: (t) => t.lms?.kind ?? "-" },
          { header: "GRADE SYNC", value: (t) => t.lms?.gradeSync ?? "-" },
        ],
        tenants,
        "No tenants yet. Add one with: gg4l tenant add <slug> --name <text> --coursera-org <orgId>",
      ),
    );
  });

  const show = tenant
    .command("show")
    .description("show a tenant (the secret is masked)")
    .argument("[slug]", "tenant slug (default: the current tenant)")
    .addHelpText(
      "after",
      examples([
        ["show the current tenant", "gg4l tenant show"],
        ["show one tenant as JSON", "gg4l tenant show uni-x --json"],
      ]),
    );
  defineAction(show, cli, { audit: false }, async ({ ctx, out, args }) => {
    const { showTenant } = await loadTenants();
    const view = showTenant(ctx, args[0]);
    await out.emit(view, () => renderTenant(out, view));
  });

  const use = tenant
    .command("use")
    .description("set the default tenant (--tenant or GG4L_TENANT still override it)")
    .argument("<slug>", "tenant slug")
    .addHelpText(
      "after",
      examples([
        ["make uni-x the default", "gg4l tenant use uni-x"],
        ["one command on another tenant without changing the default", "gg4l settings show --tenant uni-y"],
      ]),
    );
  defineAction(use, cli, { audit: true }, async ({ ctx, out, args }) => {
    const { useTenant } = await loadTenants();
    const result = useTenant(ctx, args[0]!);
    await out.emit(result, () => {
      if (result.changed) out.success(`Default tenant is now ${result.slug}`);
      else out.note(`${result.slug} is already the default tenant`);
    });
  });

  const remove = tenant
    .command("remove")
    .description("remove a tenant and its LMS registration from the state (needs confirmation)")
    .argument("<slug>", "tenant slug")
    .option("-y, --yes", "confirm without a prompt")
    .addHelpText(
      "after",
      examples([
        ["remove, asking first", "gg4l tenant remove uni-old"],
        ["remove from a script", "gg4l tenant remove uni-old --yes --json"],
      ]),
    );
  defineAction<{ yes?: boolean }>(remove, cli, { audit: true }, async ({ ctx, out, opts, args }) => {
    const { removeTenant } = await loadTenants();
    const result = await removeTenant(ctx, args[0]!, opts.yes);
    await out.emit(result, () => out.success(`Removed tenant ${result.slug}`));
  });
}
