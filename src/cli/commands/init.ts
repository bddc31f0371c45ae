import type { Command } from "commander";
import { type CliEnv, defineAction, examples } from "../command.js";

export function registerInit(program: Command, cli: CliEnv): void {
  const cmd = program
    .command("init")
    .description("create or migrate the local state and generate the tool's signing key")
    .addHelpText(
      "after",
      examples([
        ["create the state in the default place ($XDG_DATA_HOME/gg4l/gg4l.db)", "gg4l init"],
        ["create a separate state for a staging setup", "gg4l init --db ./staging.db --json"],
      ]),
    );
  defineAction(cmd, cli, { audit: true }, async ({ ctx, out }) => {
    const { init } = await import("../../core/init.js");
    const result = await init(ctx);
    await out.emit(result, () => {
      if (result.created) out.success(`Created the state at ${result.dbPath}`);
      else if (result.migratedFrom < result.schemaVersion)
        out.success(
          `Migrated the state at ${result.dbPath} from schema ${result.migratedFrom} to ${result.schemaVersion}`,
        );
      else out.note(`The state at ${result.dbPath} is already initialised (schema ${result.schemaVersion})`);
      if (result.keyCreated) out.success(`Generated the tool signing key ${result.kid} at ${result.keyPath}`);
      else out.note(`Kept the existing tool signing key ${result.kid}`);
      out.note("Next: gg4l tenant add <slug> --name <text> --coursera-org <orgId>");
    });
  });
}
