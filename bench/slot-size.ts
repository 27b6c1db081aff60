// bench/slot-size: the bytes in each eval slot and agent checkout of a tag after a batch, in a
// newcomer's repository where autoexp was installed with npm and `git add -A` committed
// node_modules (before), and the same repository after the fix autoexp's warning names
// (`git rm -r --cached node_modules`, node_modules/ in .gitignore; the install stays on disk).
//   node bench/slot-size.ts [--experiments 5]
// The install is what `npm install autoexp` puts in node_modules/autoexp (package.json's
// `files`: the bundles, schema, templates), copied from this checkout. The agent is the offline
// search agent, the eval one line of Node: the figure is the copies, not the work.
import { execFileSync } from "node:child_process";
import { cpSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatBytes } from "../action/util/bytes.ts";

const args = process.argv.slice(2);
const at = args.indexOf("--experiments");
const EXPERIMENTS = at >= 0 ? Number(args[at + 1]) : 5;
const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "action", "cli.ts");
const git = (cwd: string, ...argv: string[]) =>
  execFileSync("git", argv, { cwd, encoding: "utf8", maxBuffer: 1 << 30 });

/** Bytes of regular files under `dir` (links not followed), and how many. */
function size(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        bytes += lstatSync(p).size;
        files++;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

function newcomerRepo(fixed: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "autoexp-slot-size-"));
  git(dir, "init", "--quiet", "--initial-branch=main");
  for (const [k, v] of [
    ["user.name", "Bench"],
    ["user.email", "bench@example.com"],
    ["gc.auto", "0"],
    ["commit.gpgsign", "false"],
  ])
    git(dir, "config", k!, v!);
  writeFileSync(join(dir, "knob.py"), "LEARNING_RATE = 0.01\nWARMUP_RATIO = 0.0\n");
  writeFileSync(
    join(dir, "eval.js"),
    `const t = require("node:fs").readFileSync("knob.py", "utf8");
const v = (n) => Number(new RegExp(n + " = (.*)").exec(t)[1]);
console.log("loss: " + (Math.abs(Math.log10(v("LEARNING_RATE") / 0.05)) + Math.abs(v("WARMUP_RATIO") - 0.1)));\n`,
  );
  writeFileSync(
    join(dir, "autoexp.yml"),
    `name: sizes
target: [knob.py]
frozen: [eval.js, autoexp.yml]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0 }
isolation: none
budget: { experiments: ${EXPERIMENTS} }
`,
  );
  const pkg = join(dir, "node_modules", "autoexp");
  for (const part of [
    "package.json",
    "action.yml",
    "app.yml",
    "bin",
    "dist",
    "schema",
    "templates",
  ])
    cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
  writeFileSync(join(dir, "package.json"), '{"devDependencies":{"autoexp":"^0.1.0"}}\n');
  git(dir, "add", "-A");
  git(dir, "commit", "--quiet", "-m", "init, as the README's next step does");
  if (fixed) {
    git(dir, "rm", "-r", "--cached", "--quiet", "node_modules");
    writeFileSync(join(dir, ".gitignore"), "node_modules/\n");
    git(dir, "add", ".gitignore");
    git(dir, "commit", "--quiet", "-m", "untrack node_modules");
  }
  return dir;
}

console.log(
  `bench/slot-size: ${EXPERIMENTS} experiments, search agent, pipeline on (1 slot, agent and rebase checkouts)`,
);
console.log("case                             copy                  files        bytes");
for (const fixed of [false, true]) {
  const repo = newcomerRepo(fixed);
  try {
    const run = execFileSync(process.execPath, [CLI, "run", "--tag", "t", "--quiet"], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (!run.includes("done:")) throw new Error(`the batch did not finish:\n${run}`);
    const state = join(repo, ".git", "autoexp", "t");
    let total = 0;
    for (const kind of ["slots", "agents", "rebase"]) {
      let names: string[] = [];
      try {
        names = readdirSync(join(state, kind)).sort();
      } catch {}
      for (const name of names) {
        const s = size(join(state, kind, name));
        total += s.bytes;
        console.log(
          `${(fixed ? "after (untracked, ignored)" : "before (node_modules committed)").padEnd(33)}${`${kind}/${name}`.padEnd(20)}${String(s.files).padStart(7)} ${formatBytes(s.bytes).padStart(12)}`,
        );
      }
    }
    console.log(
      `${"".padEnd(33)}${"all copies".padEnd(20)}${"".padStart(7)} ${formatBytes(total).padStart(12)}`,
    );
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
