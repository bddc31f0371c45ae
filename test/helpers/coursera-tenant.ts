import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { type FakeCoursera, startFakeCoursera } from "../../fixtures/fake-coursera/server.js";
import { tenantAddArgs } from "../../fixtures/fake-coursera/tenant.js";
import { type RunResult, sandboxState } from "./gg4l.js";

export type Box = ReturnType<typeof sandboxState>;

function ok(result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.stderr}${result.stdout}`);
  return result;
}

/**
 * The hooks of a suite of commands against the fake Coursera (its small dataset, started once):
 * before each test a fresh state holding one tenant, "fsu", handed to `ready`; removed after.
 */
export function courseraTenantSuite(ready: (fake: FakeCoursera, box: Box) => void): void {
  let fake: FakeCoursera | undefined;
  let box: Box | undefined;
  beforeAll(async () => {
    fake = await startFakeCoursera({ dataset: "small" });
  });
  afterAll(() => fake?.close());
  beforeEach(async () => {
    fake!.reset();
    box = sandboxState();
    ok(await box.gg4l(["init"]));
    ok(await box.gg4l(tenantAddArgs(fake!, "fsu", "FSU"), { input: fake!.clientSecret }));
    ready(fake!, box);
  });
  afterEach(() => box?.cleanup());
}
