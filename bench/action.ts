// bench/action: the bundles' size and the Action's start-up, before and after scripts/bundle.ts
// leaves out what never runs, in one run: both builds are made here from the current source
// (before: the OIDC client and every zod locale in, as the bundles were until this trim), and their
// cold starts are interleaved, so both see the same machine.
//   load:   `node action.js` with a bad input: loads the whole bundle, stops at the first check
//   first:  `node action.js` in mode run on a resumed tag with a bare remote, as the runner starts
//           it, to the first experiment starting (the "::group::experiment" line)
//   node bench/action.ts [runs=15]
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { bundle, ROOT } from "../scripts/bundle.ts";

const RUNS = Number(process.argv[2] ?? 15);
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8" });

const root = mkdtempSync(join(tmpdir(), "autoexp-bench-action-"));
const builds = { before: join(root, "before"), after: join(root, "after") };
for (const [name, dir] of Object.entries(builds)) {
  mkdirSync(dir);
  await bundle(dir, { trim: name === "after" });
}

const source = join(root, "source");
cpSync(join(ROOT, "templates", "examples", "tiny-train"), source, { recursive: true });
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

/** Starts `action` as the runner does; resolves with the ms to `marker` (null: never seen). */
function start(
  action: string,
  inputs: Record<string, string>,
  marker: string,
): Promise<{ ms: number | null; code: number | null }> {
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
    const child = spawn(process.execPath, [action], {
      cwd: work,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let seen: number | null = null;
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      if (seen === null && buffer.includes(marker)) seen = performance.now() - t0;
    });
    child.on("close", (code) => resolve({ ms: seen ?? performance.now() - t0, code }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Build = keyof typeof builds;
const load: Record<Build, number[]> = { before: [], after: [] };
const first: Record<Build, number[]> = { before: [], after: [] };
const experiment = { mode: "run", tag: "bench", experiments: "1" };

// The tag exists (baseline measured, published): every measured start resumes it.
const setup = await start(join(builds.after, "action.js"), experiment, "\0");
if (setup.code !== 0) throw new Error("setup batch failed");
for (let i = 0; i < RUNS; i++)
  for (const name of (i % 2 ? ["after", "before"] : ["before", "after"]) as Build[]) {
    const action = join(builds[name], "action.js");
    const bad = await start(action, { mode: "bogus" }, "\0");
    if (bad.code !== 2) throw new Error(`${name}: a bad input exited ${bad.code}, not 2`);
    load[name].push(bad.ms!);
    const run = await start(action, experiment, "::group::experiment");
    if (run.code !== 0) throw new Error(`${name}: run ${i} exited ${run.code}`);
    first[name].push(run.ms!);
  }
const nodeOnly: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  execFileSync(process.execPath, ["-e", "0"]);
  nodeOnly.push(performance.now() - t0);
}

const size = (file: string) => {
  const bytes = statSync(file).size;
  const gz = gzipSync(readFileSync(file)).length;
  return `${(bytes / 1e6).toFixed(2)} MB (${(gz / 1e3).toFixed(0)} kB gz)`;
};
const row = (label: string, before: string, after: string) =>
  console.log(`  ${label.padEnd(34)}${before.padEnd(27)}${after}`);
console.log(
  `bench/action: ${RUNS} cold starts of each build's action.js, interleaved, node ${process.version}`,
);
row("", "before", "after");
for (const file of ["action.js", "cli.js", "app.js"])
  row(`bundle ${file}`, size(join(builds.before, file)), size(join(builds.after, file)));
// On a shared machine the median moves with the load; the minimum is the quiet-machine figure.
const times = (xs: number[]) =>
  `median ${median(xs).toFixed(0)}, min ${Math.min(...xs).toFixed(0)} ms`;
row("start: load, bad input, exit 2", times(load.before), times(load.after));
row(
  "start: to the first experiment",
  times(first.before),
  `${times(first.after)}  (target: median < 1000 ms)`,
);
console.log(`  of which starting node itself     median ${median(nodeOnly).toFixed(0)} ms`);
