// bench/handoff: what a checkpoint of the Action's handoff costs (the bundles the GPU job leaves
// for the publish job after every experiment) on a tag with H experiments already on record,
// for the chain (a link with what is new, folded now and then) beside bundling the whole tag
// each time (what the handoff did before).
//   node bench/handoff.ts [--history 0,1000,5000] [--checkpoints 64]
// With 64 checkpoints each history has two folds of 32 links in its mean (a new full bundle,
// every 1,024 checkpoints, is not in it: the first checkpoint's full bundle is shown beside).
// The history is made with git fast-import in the shape the engine leaves: a record commit per
// experiment on autoexp/b, a candidate commit per experiment under refs/autoexp/b/<n>, in a repo
// with a 1 MB data file that never changes.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBundleFrom } from "../action/git/commands/remote.ts";
import { Git } from "../action/git/git.ts";
import { writeHandoff } from "../action/github/handoff.ts";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const HISTORIES = flag("--history", "0,1000,5000").split(",").map(Number);
const CHECKPOINTS = Number(flag("--checkpoints", "64"));

const git = (cwd: string, argv: string[], input?: string) =>
  execFileSync("git", argv, { cwd, encoding: "utf8", input, maxBuffer: 1 << 30 });

/** A fast-import stream of `count` experiments after experiment `from` (marks are per stream). */
function experiments(from: number, count: number, parent: string): string {
  const out: string[] = [];
  let head = `from ${parent}`;
  for (let i = from + 1; i <= from + count; i++) {
    const value = `${1000 + i}\n`;
    // The ledger's live part: the last few rows, each naming its candidate's ref.
    const ledger = Array.from({ length: Math.min(i, 20) }, (_, k) => row(i - k))
      .reverse()
      .join("");
    out.push(
      `commit refs/autoexp/b/${i}\nmark :${2 * i}\ncommitter b <b@b> ${1700000000 + i} +0000\ndata 10\ncandidate\n${head}\nM 100644 inline value.txt\ndata ${value.length}\n${value}`,
      `commit refs/heads/autoexp/b\nmark :${2 * i + 1}\ncommitter b <b@b> ${1700000000 + i} +0000\ndata 7\nrecord\n${head}\nM 100644 inline .autoexp/b/log.jsonl\ndata ${ledger.length}\n${ledger}`,
    );
    head = `from :${2 * i + 1}`;
  }
  return `${out.join("\n")}\n`;
}

function row(i: number): string {
  return `${JSON.stringify({ type: "result", iteration: i, commit: "", commit_full: null, diff: `refs/autoexp/b/${i}`, score: 1, delta: 0, guard_score: null, guard_pass: null, status: "discard", description: `value -> ${1000 + i}`, timestamp: "t", metrics: {}, samples: {}, agent_seconds: 0, eval_seconds: 0, cost_usd: 0 })}\n`;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `handoff checkpoint cost (${CHECKPOINTS} checkpoints after H experiments; median per checkpoint):`,
);
for (const history of HISTORIES) {
  const repo = mkdtempSync(join(tmpdir(), "autoexp-bench-handoff-"));
  git(repo, ["init", "-q", "--initial-branch=main"]);
  git(repo, ["config", "user.name", "bench"]);
  git(repo, ["config", "user.email", "bench@example.com"]);
  writeFileSync(join(repo, "data.bin"), randomBytes(1 << 20));
  writeFileSync(join(repo, "value.txt"), "1000\n");
  git(repo, ["add", "-A"]);
  git(repo, ["commit", "-qm", "initial"]);
  git(repo, ["branch", "autoexp/b"]);
  const base = git(repo, ["rev-parse", "HEAD"]).trim();
  if (history > 0) git(repo, ["fast-import", "--quiet"], experiments(0, history, base));
  const chainDir = mkdtempSync(join(tmpdir(), "autoexp-bench-chain-"));
  const wholeDir = mkdtempSync(join(tmpdir(), "autoexp-bench-whole-"));
  const g = new Git(repo);
  const t0 = performance.now();
  await writeHandoff(repo, "b", chainDir, process.env); // the batch's first checkpoint: a full one
  const first = performance.now() - t0;
  const chain: number[] = [];
  const whole: number[] = [];
  const chainBytes: number[] = [];
  const wholeBytes: number[] = [];
  const bundleBytes = (dir: string) =>
    readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  for (let k = 0; k < CHECKPOINTS; k++) {
    const head = git(repo, ["rev-parse", "refs/heads/autoexp/b"]).trim();
    git(repo, ["fast-import", "--quiet"], experiments(history + k, 1, head));
    const before = bundleBytes(chainDir);
    let t = performance.now();
    await writeHandoff(repo, "b", chainDir, process.env);
    chain.push(performance.now() - t);
    chainBytes.push(Math.max(0, bundleBytes(chainDir) - before));
    // The whole tag each time: every ref and the branch, everything they reach.
    t = performance.now();
    const refs = Object.keys(await g.listRefs("refs/autoexp/b/"));
    const file = join(wholeDir, "autoexp.bundle");
    await g.run(createBundleFrom(file, ["refs/heads/autoexp/b", ...refs]));
    whole.push(performance.now() - t);
    wholeBytes.push(statSync(file).size);
  }
  console.log(
    `  H ${String(history).padStart(5)}: chain ${median(chain).toFixed(1)} ms (mean ${mean(chain).toFixed(1)} ms with the fold, max ${Math.max(...chain).toFixed(0)} ms), ${(median(chainBytes) / 1024).toFixed(1)} KiB written (the full one first: ${first.toFixed(0)} ms); whole tag ${median(whole).toFixed(1)} ms (mean ${mean(whole).toFixed(1)} ms), ${(median(wholeBytes) / 1024).toFixed(0)} KiB written`,
  );
  for (const dir of [repo, chainDir, wholeDir]) rmSync(dir, { recursive: true, force: true });
}
