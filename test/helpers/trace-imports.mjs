// Preloaded with `node --import`: records every module URL the process resolves, so a
// test can check what `gg4l --help` loads.
import { register } from "node:module";

register("./trace-imports-hooks.mjs", import.meta.url);
