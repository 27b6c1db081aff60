// bench/overhead: the engine's own cost per experiment (everything but the agent's and the
// eval's time) with a ledger already holding 1,000 experiments, next to the bare git commands an
// experiment needs, measured in the same run on the same kind of repo.
//   node bench/overhead.ts [experiments=60]
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Agent } from "../action/agents/agent.ts";
import { parseConfigText } from "../action/config/parse-config-text.ts";
import { runBatch } from "../action/engine/run-batch.ts";
import type { ResultEntry } from "../action/ledger/types.ts";

const N = Number(process.argv[2] ?? 60);
const HISTORY = 1000;
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8" });

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "autoexp-bench-"));
  git(dir, "init", "-q", "--initial-branch=main");
  git(dir, "config", "user.name", "bench");
  git(dir, "config", "user.email", "bench@example.com");
  git(dir, "config", "gc.auto", "0");
  for (let i = 0; i < 200; i++) writeFileSync(join(dir, `file${i}.txt`), `other file ${i}\n`);
  writeFileSync(join(dir, "value.txt"), "100\n");
  writeFileSync(join(dir, "eval.sh"), "echo score: $(cat value.txt)\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "initial");
  return dir;
}

const parsed = parseConfigText(`
name: bench
target: [value.txt]
frozen: [eval.sh]
eval: { command: [sh, eval.sh], metrics: { score: { goal: minimize } } }
decide: { min_delta: 0 }
budget: { experiments: ${N}, stop_after_failures: 100000 }
`);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const config = parsed.config;

// An in-process agent: its own time is measured and subtracted anyway, this keeps it near zero.
const agent: Agent = {
  name: "bench",
  async propose(ctx) {
    writeFileSync(join(ctx.worktree, "value.txt"), `${1000 + ctx.iteration}\n`);
    return { ok: true, description: `value -> ${1000 + ctx.iteration}` };
  },
};

// 1. A tag with a baseline, then a ledger of 1,000 past experiments committed on its branch.
const repo = makeRepo();
await runBatch({ repoDir: repo, config, tag: "b", experiments: 1, agent });
const common = git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").trim();
const worktree = join(common, "autoexp", "b", "worktree");
const logPath = join(worktree, ".autoexp/b/log.jsonl");
const lines = readFileSync(logPath, "utf8").trim().split("\n");
const template = JSON.parse(lines.find((l) => l.includes('"iteration":1'))!) as ResultEntry;
const history = Array.from({ length: HISTORY }, (_, i) =>
  JSON.stringify({
    ...template,
    iteration: i + 2,
    description: `past experiment ${i + 2}`,
    content_key: `k${i}`,
    diff: null,
    commit_full: null,
  }),
);
writeFileSync(
  logPath,
  `${[...lines.filter((l) => !l.includes('"type":"batch"')), ...history].join("\n")}\n`,
);
git(worktree, "add", "-A");
git(worktree, "commit", "-qm", "1,000 past experiments");
git(repo, "update-ref", "refs/heads/autoexp/b", git(worktree, "rev-parse", "HEAD").trim());

// 2. The engine: per experiment, wall time minus the agent's and the eval's own time.
const overheads: number[] = [];
let last = performance.now();
await runBatch({
  repoDir: repo,
  config,
  tag: "b",
  experiments: N,
  agent,
  onEvent: (e) => {
    if (e.type !== "experiment") return;
    const now = performance.now();
    overheads.push(now - last - (e.row.agent_seconds + e.row.eval_seconds) * 1000);
    last = now;
  },
});
overheads.shift(); // the first includes opening the workspace and reading the ledger

// 3. Bare git: what an experiment needs done by hand (see below), same repo shape, same ledger size.
const bare = makeRepo();
mkdirSync(join(bare, ".autoexp"));
writeFileSync(join(bare, ".autoexp/log.jsonl"), `${history.join("\n")}\n`);
git(bare, "add", "-A");
git(bare, "commit", "-qm", "ledger");
const bareTimes: number[] = [];
for (let i = 0; i < N; i++) {
  const t = performance.now();
  writeFileSync(join(bare, "value.txt"), `${2000 + i}\n`); // the agent's edit (not git)
  git(bare, "status", "--porcelain"); // what changed (scope)
  git(bare, "add", "value.txt"); // stage the candidate
  git(bare, "commit", "-qm", `candidate ${i}`); // commit it
  git(bare, "update-ref", `refs/autoexp/bare/${i}`, "HEAD"); // keep it reachable
  git(bare, "reset", "-q", "--hard", "HEAD~1"); // discard: back to the incumbent
  appendFileSync(join(bare, ".autoexp/log.jsonl"), `${history[0]}\n`); // the ledger line (not git)
  git(bare, "add", ".autoexp/log.jsonl"); // record it
  git(bare, "commit", "-qm", `record ${i}`);
  git(bare, "clean", "-fdq"); // leave a clean tree
  bareTimes.push(performance.now() - t);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const engine = median(overheads);
const baseline = median(bareTimes);
console.log(
  `ledger: ${HISTORY + 2} experiments on record; measured ${overheads.length} engine experiments, ${bareTimes.length} bare`,
);
console.log(
  `engine overhead per experiment: median ${engine.toFixed(1)} ms, p90 ${p90(overheads).toFixed(1)} ms (target: median < 60 ms)`,
);
console.log(
  `bare git commands (8 git calls): median ${baseline.toFixed(1)} ms, p90 ${p90(bareTimes).toFixed(1)} ms`,
);
console.log(`ratio engine / bare git: ${(engine / baseline).toFixed(2)}x (target: < 2x)`);
rmSync(repo, { recursive: true, force: true });
rmSync(bare, { recursive: true, force: true });
