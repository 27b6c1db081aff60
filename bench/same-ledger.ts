// bench/same-ledger: the same inputs give the same ledger, before and after an engine change.
// Runs two batches with the CLI of this checkout (serial: pipeline: false) and of another revision (a git worktree of it,
// sharing node_modules), then compares their log.jsonl line by line after normalising what
// legitimately differs between two runs (timestamps, seconds, commit ids) and the fields the
// newer engine adds (listed below). Prints the verdict and a diff of any line that differs.
//   node bench/same-ledger.ts [--old REV] [--experiments N]
// The batches:
//   1. the offline demo (fixed seed, deterministic eval): `autoexp demo`;
//   2. a noisy batch: a `command` agent that plays a fixed plan of edits, an eval whose noise
//      comes from a seeded generator advanced per run (a counter file), confirmation runs on.
// The old engine had no sandbox; batch 2 keeps its run counter outside the eval's copy, so both
// engines run it unsandboxed (bwrap is left off PATH for that run).
import { execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const OLD = flag("--old", "9684b34");
const N = Number(flag("--experiments", "15"));
const ROOT = resolve(import.meta.dirname, "..");
/** Fields the newer engine adds to a line; removed before comparing (named in the output). */
const NEW_FIELDS = ["isolation", "caveats", "printed_twice"];

function sh(cwd: string, cmd: string, ...argv: string[]): string {
  return execFileSync(cmd, argv, { cwd, encoding: "utf8" });
}

function oldCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), "autoexp-old-"));
  rmSync(dir, { recursive: true });
  sh(ROOT, "git", "worktree", "add", "--detach", "--quiet", dir, OLD);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** A PATH without bwrap: the same programs, so the batch runs unsandboxed under both engines. */
function pathWithoutBwrap(): string {
  const dir = mkdtempSync(join(tmpdir(), "autoexp-nobwrap-"));
  for (const bin of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    for (const name of readdirSync(bin)) {
      if (name === "bwrap") continue;
      try {
        symlinkSync(join(bin, name), join(dir, name));
      } catch {}
    }
  }
  return `${join(ROOT, "node_modules", ".bin")}:${dir}`;
}

function cli(root: string, cwd: string, argv: string[], env: Record<string, string> = {}): void {
  const run = spawnSync(process.execPath, [join(root, "action", "cli.ts"), ...argv], {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  if (run.status !== 0)
    throw new Error(`${root}: ${argv.join(" ")} exited ${run.status}\n${run.stderr}`);
}

const NOISY_EVAL = `
const fs = require("node:fs");
const counter = process.env.AUTOEXP_BENCH_COUNTER;
const n = Number(fs.existsSync(counter) ? fs.readFileSync(counter, "utf8") : "0");
fs.writeFileSync(counter, String(n + 1));
let a = (n * 2654435761 + 12345) >>> 0;
const u = () => ((a = (a * 1103515245 + 12345) >>> 0) / 4294967296);
const noise = Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
const value = Number(fs.readFileSync("value.txt", "utf8"));
console.log("loss: " + (value + 0.5 * noise).toFixed(6));
`;
const PLAN = [10, 9, 12, 8, 8, 11, 7.9, 9.5, 6, 6.2, 7, 5.5, 9, 5, 5.4, 4.8, 6, 4.7, 4.9, 4.5];
const AGENT = `
const fs = require("node:fs");
const plan = ${JSON.stringify(PLAN)};
const i = Number(process.env.AUTOEXP_ITERATION);
fs.writeFileSync("value.txt", String(plan[i % plan.length]));
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "value -> " + plan[i % plan.length]);
`;

function noisyRepo(agentPath: string, extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), "autoexp-noisy-"));
  writeFileSync(join(dir, "value.txt"), "10");
  writeFileSync(join(dir, "eval.js"), NOISY_EVAL);
  writeFileSync(
    join(dir, "autoexp.yml"),
    `name: noisy
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } } }
decide: { baseline_runs: 4, max_runs: 6, remeasure_every: 4 }
agent: { use: command, run: [node, ${JSON.stringify(agentPath)}] }
budget: { experiments: ${N} }
${extra}`,
  );
  for (const a of [
    ["init", "-q", "--initial-branch=main"],
    ["config", "user.name", "bench"],
    ["config", "user.email", "bench@example.com"],
    ["add", "-A"],
    ["commit", "-qm", "start"],
  ])
    sh(dir, "git", ...a);
  return dir;
}

function ledger(repo: string, tag: string): string[] {
  return sh(repo, "git", "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`).trim().split("\n");
}

/** Strips what differs between any two runs, and maps commit ids to their order of appearance. */
function normalise(lines: string[]): string[] {
  const ids = new Map<string, string>();
  const id = (sha: string) => {
    if (!ids.has(sha)) ids.set(sha, `C${ids.size}`);
    return ids.get(sha)!;
  };
  return lines.map((line) => {
    const entry = JSON.parse(line) as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (key === "timestamp" || key.endsWith("_seconds") || NEW_FIELDS.includes(key))
        delete entry[key];
    }
    // The eval's own timing lines in a log tail (`train_seconds: 0.04`) vary run to run too.
    return JSON.stringify(entry)
      .replace(/(_seconds:\s*)[\d.]+/g, "$1#")
      .replace(/\b[0-9a-f]{40}\b/g, id)
      .replace(/"[0-9a-f]{7}"/g, (m) => {
        const full = [...ids.keys()].find((k) => k.startsWith(m.slice(1, 8)));
        return full ? `"${ids.get(full)}"` : m;
      });
  });
}

/** The demo's files (from the old checkout, so both engines get the same), in a new repo. */
function demoRepo(work: string, template: string, extra: string): string {
  const dir = join(work, "demo");
  cpSync(template, dir, { recursive: true });
  writeFileSync(join(dir, "autoexp.yml"), readFileSync(join(dir, "autoexp.yml"), "utf8") + extra);
  for (const a of [
    ["init", "-q", "--initial-branch=main"],
    ["config", "user.name", "bench"],
    ["config", "user.email", "bench@example.com"],
    ["add", "-A"],
    ["commit", "-qm", "demo"],
  ])
    sh(dir, "git", ...a);
  return dir;
}

function runBoth(
  root: string,
  template: string,
  extra: string,
): { demo: string[]; noisy: string[] } {
  const work = mkdtempSync(join(tmpdir(), "autoexp-same-"));
  cli(root, demoRepo(work, template, extra), ["run", "--tag", "demo", "--experiments", String(N)]);
  const agentDir = join(work, "agent");
  mkdirSync(agentDir);
  writeFileSync(join(agentDir, "agent.js"), AGENT);
  const repo = noisyRepo(join(agentDir, "agent.js"), extra);
  cli(root, repo, ["run", "--tag", "noisy"], {
    PATH: pathWithoutBwrap(),
    AUTOEXP_BENCH_COUNTER: join(work, "counter"),
  });
  return {
    demo: normalise(ledger(join(work, "demo"), "demo")),
    noisy: normalise(ledger(repo, "noisy")),
  };
}

const old = oldCheckout();
try {
  // The old engine was serial; the new one runs serially with pipeline: false (its default
  // pipelines, which changes what each proposal sees by design).
  const template = join(old, "templates", "examples", "tiny-train");
  const before = runBoth(old, template, "");
  const after = runBoth(ROOT, template, "pipeline: false\n");
  let same = true;
  for (const name of ["demo", "noisy"] as const) {
    const a = before[name];
    const b = after[name];
    const differing = a.map((line, i) => (line === b[i] ? -1 : i)).filter((i) => i >= 0);
    if (a.length !== b.length) differing.push(Math.min(a.length, b.length));
    const verdict = differing.length === 0 ? "identical" : `${differing.length} line(s) differ`;
    console.log(
      `${name}: ${a.length} lines before (${OLD}), ${b.length} after (this checkout): ${verdict}`,
    );
    for (const i of differing.slice(0, 3)) console.log(`  line ${i + 1}\n  - ${a[i]}\n  + ${b[i]}`);
    same &&= differing.length === 0;
  }
  console.log(
    `normalised: timestamps, *_seconds (also in log tails), commit ids (by order of appearance); fields the new engine adds: ${NEW_FIELDS.join(", ")}`,
  );
  console.log(same ? "same ledger: yes" : "same ledger: NO");
  process.exitCode = same ? 0 : 1;
} finally {
  sh(ROOT, "git", "worktree", "remove", "--force", old);
}
