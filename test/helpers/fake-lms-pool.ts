import { afterAll, beforeAll } from "vitest";
import { type FakeLms, type StartFakeLmsOptions, startFakeLms } from "../../fixtures/fake-lms/server.js";
import type { FakeLmsKind } from "../../fixtures/fake-lms/types.js";
import { makeToolKey, type TestToolKey } from "./tool-key.js";

export interface FakeLmsPool {
  /** The tool key the fakes trust, made before the file's tests. */
  readonly key: TestToolKey;
  /** A fake LMS that trusts the key, closed after the file's tests. */
  open(kind: FakeLmsKind, options?: Partial<StartFakeLmsOptions>): Promise<FakeLms>;
}

/** Call at the top of a test file: one tool key and the fake LMSs the file opens. */
export function fakeLmsPool(): FakeLmsPool {
  let key: TestToolKey | undefined;
  const opened: FakeLms[] = [];
  beforeAll(async () => {
    key = await makeToolKey();
  });
  afterAll(async () => {
    for (const lms of opened) await lms.close();
  });
  return {
    get key() {
      if (!key) throw new Error("the tool key is made in beforeAll: use it inside a test or hook");
      return key;
    },
    async open(kind, options = {}) {
      const lms = await startFakeLms({ kind, toolPublicJwk: this.key.file.publicJwk, ...options });
      opened.push(lms);
      return lms;
    },
  };
}
