import { readFileSync } from "node:fs";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { type RunResult, sandboxState } from "./gg4l.js";

export interface BaseWorld {
  coursera: FakeCoursera;
  box: ReturnType<typeof sandboxState>;
  gg4l(args: string[], env?: Record<string, string>): Promise<RunResult>;
  /** Runs gg4l and throws unless it exits 0. */
  ok(args: string[]): Promise<RunResult>;
  /** The tool's public key, for a fake LMS to trust gg4l's service-token assertions. */
  toolPublicJwk: Record<string, string>;
}

/** What every test world starts from: the fake Coursera (small dataset) and an initialised state. */
export async function baseWorld(): Promise<BaseWorld> {
  const coursera = await startFakeCoursera({ dataset: "small" });
  const box = sandboxState();
  const gg4l = (args: string[], env?: Record<string, string>) => box.gg4l(args, env ? { env } : {});
  const ok = async (args: string[]) => {
    const r = await gg4l(args);
    if (r.code !== 0) throw new Error(`gg4l ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r;
  };
  await ok(["init"]);
  const { publicJwk } = JSON.parse(readFileSync(`${box.dir}/state.key.json`, "utf8")) as {
    publicJwk: Record<string, string>;
  };
  return { coursera, box, gg4l, ok, toolPublicJwk: publicJwk };
}
