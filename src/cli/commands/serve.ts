import type { Command } from "commander";
import { UsageError } from "../../base/errors.js";
import { validateUrl } from "../../core/validate.js";
import { type CliEnv, defineAction, examples } from "../command.js";

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new UsageError(`--port "${value}" is not a port number`, {
      hint: "pass 0..65535 (0 picks a free port)",
    });
  return port;
}

function publicUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const url = new URL(validateUrl(value, "--public-url"));
  if (url.search || url.hash)
    throw new UsageError("--public-url takes no query or fragment", {
      hint: "e.g. --public-url https://lti.uni.edu",
    });
  return url.href.replace(/\/+$/, "");
}

/** Resolves on the first SIGINT or SIGTERM; `dispose` removes the handlers. */
function stopSignal(): { stopped: Promise<string>; dispose(): void } {
  let done: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    done = resolve;
  });
  process.on("SIGINT", done);
  process.on("SIGTERM", done);
  return {
    stopped,
    dispose: () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
    },
  };
}

export function registerServe(program: Command, cli: CliEnv): void {
  const cmd = program
    .command("serve")
    .description(
      "run the LTI 1.3 tool endpoints: OIDC login, launch (SSO into Coursera), content picker, JWKS",
    )
    .option("--port <port>", "port to listen on (0 picks a free one)", "8080")
    .option("--host <address>", "address to bind", "127.0.0.1")
    .option("--public-url <url>", "the https URL the LMS reaches the server at, behind a TLS proxy")
    .option(
      "--free-license",
      "when a launch with the e-mail replaces a binding made from the LMS user id, free the license that binding took",
    )
    .addHelpText(
      "after",
      examples([
        ["try it on this machine", "gg4l serve --port 8080"],
        [
          "behind a TLS proxy, printing the URLs for the LMS admin as JSON",
          "gg4l serve --port 8080 --public-url https://lti.uni.edu --json",
        ],
      ]),
    );
  defineAction<{ port: string; host: string; publicUrl?: string; freeLicense?: boolean }>(
    cmd,
    cli,
    { audit: false },
    async ({ ctx, out, opts }) => {
      const options = {
        port: parsePort(opts.port),
        host: opts.host,
        publicUrl: publicUrl(opts.publicUrl),
        freeLicense: Boolean(opts.freeLicense),
      };
      const signals = stopSignal();
      try {
        const { startToolServer } = await import("../../server/server.js");
        const server = await startToolServer(ctx, options);
        const { urls } = server;
        if (out.json) out.line(JSON.stringify(urls));
        else {
          out.record([
            ["login url", urls.loginUrl],
            ["redirect / launch url", urls.launchUrl],
            ["deep linking url", urls.deepLinkUrl],
            ["public keyset (jwks) url", urls.jwksUrl],
          ]);
          out.note("Give these to the LMS admin. Ctrl-C stops the server.");
        }
        const signal = await signals.stopped;
        out.note(`${signal}: stopping`);
        await server.close();
      } finally {
        signals.dispose();
      }
    },
  );
}
