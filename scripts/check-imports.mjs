#!/usr/bin/env node
// Checks the import graph of src/ (run by `npm run lint`):
// - no import cycle, type-only imports included (a cycle of types is still a knot for a reader);
// - the layers point one way: cli → core → (store, clients) → base; clients and the store import
//   nothing from core but the gradebook port (core/gradebook.ts); base imports no other layer;
//   the command line (cli/) reads only core, not the store or the clients.
// Uses the TypeScript compiler's own import scanner, so dynamic `import()` counts too.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const src = join(root, "src");

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of one file, resolved to files under src/ (paths relative to src/). */
function importsOf(file) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles
    .map((entry) => entry.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => relative(src, resolve(dirname(file), spec.replace(/\.js$/, ".ts"))))
    .filter((target) => !target.startsWith(".."));
}

const files = sourceFiles(src).map((file) => relative(src, file));
const graph = new Map(files.map((file) => [file, importsOf(join(src, file))]));
const problems = [];

for (const [file, targets] of graph) {
  for (const target of targets) {
    if (!graph.has(target)) problems.push(`${file}: imports ${target}, which does not exist`);
  }
}

const layerOf = (file) => file.split("/")[0].replace(/\.ts$/, "");
const rules = [
  {
    applies: (file) => layerOf(file) === "base",
    allowed: (target) => layerOf(target) === "base",
    why: "base imports no other layer",
  },
  {
    applies: (file) => ["clients", "store"].includes(layerOf(file)),
    allowed: (target) => layerOf(target) !== "core" || target === "core/gradebook.ts",
    why: "clients and the store import nothing from core but the gradebook port",
  },
  {
    applies: (file) => ["clients", "store"].includes(layerOf(file)),
    allowed: (target) => !["cli", "server", "sandbox"].includes(layerOf(target)),
    why: "clients and the store sit below the command line, the server and the sandbox",
  },
  {
    applies: (file) => layerOf(file) === "core",
    allowed: (target) => !["cli", "server", "sandbox"].includes(layerOf(target)),
    why: "core knows nothing of the command line, the server or the sandbox",
  },
  {
    applies: (file) => layerOf(file) === "cli",
    allowed: (target) => !["store", "clients"].includes(layerOf(target)),
    why: "the command line reads only core",
  },
];
for (const [file, targets] of graph) {
  for (const rule of rules.filter((r) => r.applies(file))) {
    for (const target of targets.filter((t) => !rule.allowed(t))) {
      problems.push(`${file}: imports ${target} (${rule.why})`);
    }
  }
}

// Tarjan's strongly connected components: any component of two or more files is a cycle.
let index = 0;
const stack = [];
const state = new Map();
function visit(file) {
  const node = { index, low: index, onStack: true };
  index += 1;
  state.set(file, node);
  stack.push(file);
  for (const target of graph.get(file) ?? []) {
    if (!graph.has(target)) continue;
    const seen = state.get(target);
    if (!seen) {
      visit(target);
      node.low = Math.min(node.low, state.get(target).low);
    } else if (seen.onStack) {
      node.low = Math.min(node.low, seen.index);
    }
  }
  if (node.low === node.index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
    } while (member !== file);
    if (component.length > 1) problems.push(`import cycle: ${component.sort().join(" ↔ ")}`);
    else if ((graph.get(file) ?? []).includes(file)) problems.push(`import cycle: ${file} imports itself`);
  }
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s) in src/`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`check-imports: ${graph.size} files, no cycle, layers point one way`);
