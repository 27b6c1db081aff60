// bench/action: the Action's cold start, from `node dist/action.js` to the first experiment
// starting (the "::group::experiment" line), on a resumed tag with a bare remote, as the runner
// starts it; and the bundle's size.
//   node bench/action.ts [runs=15]
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const RUNS = Number(process.argv[2] ?? 15);
const ACTION = join(import.meta.dirname, "..", "dist", "action.js");
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8" });

const root = mkdtempSync(join(tmpdir(), "autoexp-bench-action-"));
const source = join(root, "source");
cpSync(join(import.meta.dirname, "..", "templates", "examples", "tiny-train"), source, {
  recursive: true,
});
git(source, "init", "-q", "--initial-branch=main");
git(source, "config", "user.name", "bench");
git(source, "config", "user.email", "bench@example.com");
git(source, "add", "-A");
git(source, "commit", "-qm", "initial");
const remote = join(root, "remote.git");
git(root, "init", "-q", "--bare", "--initial-branch=main", remote);
git(source, "push", "-q", remote, "main");
const work = join(root, "work");
git(root, "clone", "-q", remote, work);
git(work, "config", "user.name", "bench");
git(work, "config", "user.email", "bench@example.com");

function start(
  inputs: Record<string, string>,
): Promise<{ firstExperimentMs: number | null; code: number | null }> {
  const files = mkdtempSync(join(root, "runner-"));
  for (const f of ["output", "summary"]) writeFileSync(join(files, f), "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? root,
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: work,
    GITHUB_OUTPUT: join(files, "output"),
    GITHUB_STEP_SUMMARY: join(files, "summary"),
    RUNNER_TEMP: files,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ACTION], {
      cwd: work,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let first: number | null = null;
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      if (first === null && buffer.includes("::group::experiment")) first = performance.now() - t0;
    });
    child.on("close", (code) => resolve({ firstExperimentMs: first, code }));
  });
}

// The tag exists (baseline measured, published): every measured start resumes it.
const setup = await start({ mode: "run", tag: "bench", experiments: "1" });
if (setup.code !== 0) throw new Error("setup batch failed");
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const run = await start({ mode: "run", tag: "bench", experiments: "1" });
  if (run.code !== 0 || run.firstExperimentMs === null) throw new Error(`run ${i} failed`);
  times.push(run.firstExperimentMs);
}
times.sort((a, b) => a - b);
const bytes = statSync(ACTION).size;
const gz = gzipSync(readFileSync(ACTION)).length;
const nodeOnly: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  execFileSync(process.execPath, ["-e", "0"]);
  nodeOnly.push(performance.now() - t0);
}
nodeOnly.sort((a, b) => a - b);
console.log(
  `bench/action: ${RUNS} cold starts of dist/action.js (mode run, resumed tag, bare remote), node ${process.version}`,
);
console.log(
  `  to the first experiment starting   median ${times[Math.floor(RUNS / 2)]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms  (target: median < 1000 ms)`,
);
console.log(`  of which starting node itself      median ${nodeOnly[2]!.toFixed(0)} ms`);
console.log(
  `  bundle dist/action.js              ${(bytes / 1024).toFixed(0)} KiB (${(gz / 1024).toFixed(0)} KiB gzipped)`,
);
