// bench/overhead: the engine's own cost per experiment (everything but the agent's and the
// eval's own time) with a ledger already holding HISTORY experiments, next to the bare git
// commands an experiment needs, measured in the same run on the same kind of repo.
//   node bench/overhead.ts [--experiments 40] [--history 1000,...] [--tree-mb 1,...]
//                          [--isolation none,sandbox] [--agent inproc|command] [--compare REV]
// --compare REV first runs this same script against that revision's engine (a git worktree of
// it), with the same arguments, so "before" and "after" come from one run on one machine.
// --agent command proposes with a `command` agent (`sh agent.sh` writing the value), a process
// started like any CLI agent (sandboxed with the evals under isolation sandbox); its run time is
// reported beside the overhead, so the agent sandbox's cost per experiment is there too.
// The eval is `sh eval.sh` printing a number: its time (bwrap's start included when sandboxed)
// is reported beside the overhead, so the sandbox's cost per run is the difference of the two.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
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
import { gitProcesses } from "../action/git/run-git.ts";
import { formatLines } from "../action/ledger/log-jsonl.ts";
import type { ResultEntry } from "../action/ledger/types.ts";
import { runBefore } from "./compare-revision.ts";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const N = Number(flag("--experiments", "40"));
const HISTORIES = flag("--history", "1000").split(",").map(Number);
const TREES = flag("--tree-mb", "1").split(",").map(Number);
const ISOLATIONS = flag("--isolation", "none,sandbox").split(",") as ("none" | "sandbox")[];
const COMPARE = flag("--compare", "");
const AGENT = flag("--agent", "inproc") as "inproc" | "command";

const git = (cwd: string, ...argv: string[]) =>
  execFileSync("git", argv, { cwd, encoding: "utf8" });

/** A repo of about `mb` MB in 200 files, plus the target and the eval. */
function makeRepo(mb: number): string {
  const dir = mkdtempSync(join(tmpdir(), "autoexp-bench-"));
  git(dir, "init", "-q", "--initial-branch=main");
  git(dir, "config", "user.name", "bench");
  git(dir, "config", "user.email", "bench@example.com");
  git(dir, "config", "gc.auto", "0");
  const size = Math.floor((mb * 1024 * 1024) / 200);
  for (let i = 0; i < 200; i++) {
    // Incompressible bytes: a tree of N MB costs N MB to copy, as real data does.
    writeFileSync(join(dir, `file${i}.bin`), randomBytes(size));
  }
  writeFileSync(join(dir, "value.txt"), "100\n");
  writeFileSync(join(dir, "eval.sh"), "echo score: $(cat value.txt)\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "initial");
  return dir;
}

// An in-process agent: its own time is measured and subtracted anyway, this keeps it near zero.
const agent: Agent = {
  name: "bench",
  async propose(ctx) {
    writeFileSync(join(ctx.worktree, "value.txt"), `${1000 + ctx.iteration}\n`);
    return { ok: true, description: `value -> ${1000 + ctx.iteration}` };
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

async function measure(history: number, mb: number, isolation: "none" | "sandbox") {
  const script = join(mkdtempSync(join(tmpdir(), "autoexp-bench-agent-")), "agent.sh");
  writeFileSync(
    script,
    'echo $((1000 + AUTOEXP_ITERATION)) > value.txt; echo "value $((1000 + AUTOEXP_ITERATION))" > "$AUTOEXP_DESCRIPTION_FILE"\n',
  );
  const parsed = parseConfigText(`
${AGENT === "command" ? `agent: { use: command, run: [sh, ${JSON.stringify(script)}] }` : ""}
name: bench
target: [value.txt]
frozen: [eval.sh]
eval: { command: [sh, eval.sh], metrics: { score: { goal: minimize } } }
decide: { min_delta: 0 }
budget: { experiments: ${N}, stop_after_failures: 100000 }
isolation: ${isolation}
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const config = parsed.config;
  const repo = makeRepo(mb);
  const inproc = AGENT === "inproc" ? { agent } : {};
  await runBatch({ repoDir: repo, config, tag: "b", experiments: 1, ...inproc });
  // Past experiments go into the journal, as a crash would leave them: the next open commits
  // them onto the branch, so the measured batch starts with `history` rows on record.
  const common = git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").trim();
  const journal = join(common, "autoexp", "b", "log.jsonl");
  const text = git(repo, "show", "autoexp/b:.autoexp/b/log.jsonl");
  const template = JSON.parse(
    text.split("\n").find((l) => l.includes('"iteration":1'))!,
  ) as ResultEntry;
  const past = Array.from({ length: history }, (_, i) => ({
    ...template,
    iteration: i + 2,
    description: `past experiment ${i + 2}`,
    content_key: `k${i}`,
    diff: null,
    commit_full: null,
  }));
  await appendPast(journal, formatLines(past));
  const overheads: number[] = [];
  const evals: number[] = [];
  const agents: number[] = [];
  const walls: number[] = [];
  let last = performance.now();
  const counted = () => {
    const out = git(repo, "count-objects", "-v");
    const field = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(out)?.[1] ?? 0);
    return { count: field("count"), kib: field("size") };
  };
  let objectsBefore = { count: 0, kib: 0 };
  let spawnedBefore = 0;
  await runBatch({
    repoDir: repo,
    config,
    tag: "b",
    experiments: N,
    ...inproc,
    onEvent: (e) => {
      if (e.type !== "experiment") return;
      const now = performance.now();
      overheads.push(now - last - (e.row.agent_seconds + e.row.eval_seconds) * 1000);
      walls.push(now - last);
      evals.push(e.row.eval_seconds * 1000);
      agents.push(e.row.agent_seconds * 1000);
      last = now;
      if (overheads.length === 1) {
        objectsBefore = counted();
        spawnedBefore = gitProcesses();
      }
    },
  });
  overheads.shift(); // the first includes opening the record, recovery and the first slot copy
  evals.shift();
  agents.shift();
  walls.shift();
  const spawned = (gitProcesses() - spawnedBefore) / overheads.length;
  const after = counted();
  const objectsPer = (after.count - objectsBefore.count) / overheads.length;
  const kibPer = (after.kib - objectsBefore.kib) / overheads.length;
  rmSync(repo, { recursive: true, force: true });
  return { overheads, evals, agents, walls, objectsPer, kibPer, spawned };
}

/**
 * Adds past experiments to the tag's journal as a crash would leave them. A journal from an
 * engine that signs it (journal.ts) gets signed lines, chained on its last one; an older
 * engine's (the --compare run) gets bare ones.
 */
async function appendPast(journal: string, text: string): Promise<void> {
  const now = readFileSync(journal, "utf8");
  if (now.startsWith("{")) return appendFileSync(journal, text);
  const { readJournal, signItems, entryItems } = await import("../action/engine/journal.ts");
  const { stateKey } = await import("../action/engine/state-key.ts");
  const key = await stateKey(process.env);
  const read = await readJournal(journal, key, "b");
  if (read.kind !== "signed") throw new Error(`bench: the journal is ${read.kind}`);
  appendFileSync(journal, signItems(key, "b", read.last, entryItems(text)).text);
}

/** What an experiment needs done by hand with git, in a repo of the same shape and ledger size. */
function bareGit(history: number): number[] {
  const bare = makeRepo(1);
  mkdirSync(join(bare, ".autoexp"));
  const line = `${JSON.stringify({ type: "result", iteration: 1, description: "x".repeat(200) })}\n`;
  writeFileSync(join(bare, ".autoexp/log.jsonl"), line.repeat(history));
  git(bare, "add", "-A");
  git(bare, "commit", "-qm", "ledger");
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    writeFileSync(join(bare, "value.txt"), `${2000 + i}\n`); // the agent's edit (not git)
    git(bare, "status", "--porcelain"); // what changed (scope)
    git(bare, "add", "value.txt"); // stage the candidate
    git(bare, "commit", "-qm", `candidate ${i}`); // commit it
    git(bare, "update-ref", `refs/autoexp/bare/${i}`, "HEAD"); // keep it reachable
    git(bare, "reset", "-q", "--hard", "HEAD~1"); // discard: back to the incumbent
    appendFileSync(join(bare, ".autoexp/log.jsonl"), line); // the ledger line (not git)
    git(bare, "add", ".autoexp/log.jsonl"); // record it
    git(bare, "commit", "-qm", `record ${i}`);
    git(bare, "clean", "-fdq"); // leave a clean tree
    times.push(performance.now() - t);
  }
  rmSync(bare, { recursive: true, force: true });
  return times;
}

if (COMPARE) runBefore(COMPARE, import.meta.filename, args, { what: `${N} experiments` });

const results: { history: number; mb: number; isolation: string; median: number }[] = [];
for (const history of HISTORIES) {
  const bare = median(bareGit(history));
  for (const mb of TREES) {
    for (const isolation of ISOLATIONS) {
      const { overheads, evals, agents, walls, objectsPer, kibPer, spawned } = await measure(
        history,
        mb,
        isolation,
      );
      const mean = overheads.reduce((a, b) => a + b, 0) / overheads.length;
      console.log(
        `  ${history} on record, ${mb} MB tree, isolation ${isolation}: overhead median ${median(overheads).toFixed(1)} ms, mean ${mean.toFixed(1)} ms, p90 ${p90(overheads).toFixed(1)} ms (${(median(overheads) / bare).toFixed(2)}x bare git ${bare.toFixed(1)} ms); eval run median ${median(evals).toFixed(1)} ms${AGENT === "command" ? `; agent run median ${median(agents).toFixed(1)} ms; overhead + agent median ${median(overheads.map((o, i) => o + agents[i]!)).toFixed(1)} ms; wall per experiment median ${median(walls).toFixed(1)} ms` : ""}; per experiment: ${objectsPer.toFixed(1)} new git objects, ${kibPer.toFixed(0)} KiB of them, ${spawned.toFixed(1)} git processes (the engine's)`,
      );
      results.push({ history, mb, isolation, median: median(overheads) });
    }
  }
}

// The figure the ledger's cost is judged by: the median at the longest history over the median
// at the shortest, per tree size and isolation.
if (HISTORIES.length > 1) {
  const lo = Math.min(...HISTORIES);
  const hi = Math.max(...HISTORIES);
  for (const r of results.filter((x) => x.history === hi)) {
    const base = results.find(
      (x) => x.history === lo && x.mb === r.mb && x.isolation === r.isolation,
    )!;
    console.log(
      `ledger growth (${r.mb} MB tree, ${r.isolation}): overhead at ${hi} on record / at ${lo}: ${(r.median / base.median).toFixed(2)}x`,
    );
  }
}
