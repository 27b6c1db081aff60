// `npm test` check: no import circle among the source files (action/, app/, scripts/, bench/).
// A circle means two modules cannot be understood or tested apart; layers must point one way.
//   node scripts/check-cycles.ts [dir ...]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["action", "app"];
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\s+from\s+)?["'](\.[^"']+\.ts)["']/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [resolve(path)] : [];
  });
}

const files = roots.flatMap(sources);
const graph = new Map<string, string[]>();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  // Type-only imports are still edges: a circle of types is a circle of ideas.
  graph.set(
    file,
    [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1]!)),
  );
}

const cycles: string[][] = [];
const state = new Map<string, "open" | "done">();
const stack: string[] = [];
function visit(file: string): void {
  state.set(file, "open");
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, "done");
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

const cwd = process.cwd();
for (const cycle of cycles)
  console.error(`import circle: ${cycle.map((f) => relative(cwd, f)).join(" -> ")}`);
console.log(`${files.length} files, ${cycles.length} import circle(s)`);
process.exit(cycles.length === 0 ? 0 : 1);
