// bench/deterministic: code that lies on a deterministic eval, through the real engine.
// Each night: a deterministic eval (loss = the truth in candidate.txt, five baseline runs that
// agree), and a command agent making 20 changes that do nothing real, each adding a line of
// code that prints a loss 1 lower per such line in LIE% of its runs (a seeded draw per run).
// Prints the no-op changes kept per night, the rows marked nondeterministic, and eval runs per
// candidate; then an honest night (10 real changes, half better, half worse, no lies) for what
// the second run costs.
//   node bench/deterministic.ts [--nights 10] [--lie 30] [--workers 1] [--compare REV]
// --workers N runs every night on N workers (CPU workers: one stratum), pipelined: the eval runs
// per candidate then count the incumbent's runs on the workers' stratum too.
// --compare REV first runs this same script against that revision's engine (a git worktree of
// it), with the same arguments, so "before" and "after" come from one run on one machine.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfigText } from "../action/config/parse-config-text.ts";
import { runBatch } from "../action/engine/run-batch.ts";
import { parseLog } from "../action/ledger/log-jsonl.ts";
import { runBefore } from "./compare-revision.ts";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const NIGHTS = Number(flag("--nights", "10"));
const LIE = Number(flag("--lie", "30"));
const COMPARE = flag("--compare", "");
const WORKERS = Number(flag("--workers", "1"));

const git = (cwd: string, ...argv: string[]) =>
  execFileSync("git", argv, { cwd, encoding: "utf8" });

const EVAL = `
const fs = require("node:fs");
const text = fs.readFileSync("candidate.txt", "utf8");
const truth = Number(/truth: (\\S+)/.exec(text)[1]);
const lies = (text.match(/^noop/gm) || []).length;
const file = process.env.COUNTER;
const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : 0);
fs.writeFileSync(file, String(n + 1));
let x = (Math.imul(Number(process.env.SEED) + 1, 2654435761) ^ Math.imul(n + 1, 40503)) >>> 0;
x = Math.imul(x ^ (x >>> 16), 2246822507) >>> 0;
x = Math.imul(x ^ (x >>> 13), 3266489909) >>> 0;
const u = ((x ^ (x >>> 16)) >>> 0) / 4294967296;
const lie = lies > 0 && u < Number(process.env.LIE_PERCENT) / 100 ? lies : 0;
console.log("loss: " + (truth - lie));
`;
const AGENT = `
const fs = require("node:fs");
const plan = JSON.parse(process.env.PLAN);
const step = plan[Number(process.env.AUTOEXP_ITERATION) - 1];
let text = fs.readFileSync("candidate.txt", "utf8");
if (step === "noop") text += "noop " + process.env.AUTOEXP_ITERATION + "\\n";
else text = text.replace(/truth: (\\S+)/, (_, t) => "truth: " + (Number(t) + step));
fs.writeFileSync("candidate.txt", text);
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, String(step));
`;

async function night(plan: (number | "noop")[], seed: number) {
  const repo = mkdtempSync(join(tmpdir(), "autoexp-det-"));
  const dir = mkdtempSync(join(tmpdir(), "autoexp-det-agent-"));
  git(repo, "init", "-q", "--initial-branch=main");
  git(repo, "config", "user.name", "bench");
  git(repo, "config", "user.email", "bench@example.com");
  writeFileSync(join(repo, "candidate.txt"), "truth: 10\n");
  writeFileSync(join(repo, "eval.js"), EVAL);
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "initial");
  writeFileSync(join(dir, "agent.js"), AGENT);
  const parsed = parseConfigText(`
name: lying
target: [candidate.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics:
    loss: { goal: minimize }
  pass_env: [COUNTER, SEED, LIE_PERCENT]
# Unsandboxed, so its counter folder needs no declaring (and --compare runs on older engines).
isolation: none
${WORKERS > 1 ? `workers: ${WORKERS}` : "pipeline: false"}
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PLAN], writable: [${JSON.stringify(dir)}] }
budget: { experiments: ${plan.length} }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const env = {
    ...process.env,
    PLAN: JSON.stringify(plan),
    COUNTER: join(dir, "counter"),
    SEED: String(seed),
    LIE_PERCENT: String(LIE),
  };
  await runBatch({ repoDir: repo, config: parsed.config, tag: "t", env });
  const log = parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
  rmSync(repo, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  const rows = log.results.slice(1);
  const runs =
    rows.reduce((n, r) => n + (r.samples.loss?.length ?? 0), 0) +
    log.remeasures.reduce((n, m) => n + (m.samples.loss?.length ?? 0), 0);
  return {
    kept: rows.filter((r) => r.status === "keep").length,
    // Read by name: an older engine's rows have no such field.
    marked: rows.filter((r) => (r as { nondeterministic?: true }).nondeterministic).length,
    runsPerCandidate: runs / rows.length,
  };
}

if (COMPARE) runBefore(COMPARE, import.meta.filename, args);

const lying = [];
for (let seed = 1; seed <= NIGHTS; seed++) lying.push(await night(Array(20).fill("noop"), seed));
const kept = lying.map((n) => n.kept);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
console.log(
  `lying code (${LIE}% of runs), 20 no-op changes x ${NIGHTS} nights: kept ${mean(kept).toFixed(2)} per night (${kept.join(" ")}; max ${Math.max(...kept)}, nights with a keep ${kept.filter((k) => k > 0).length}/${NIGHTS}), rate ${((100 * mean(kept)) / 20).toFixed(1)}%; marked nondeterministic ${mean(lying.map((n) => n.marked)).toFixed(1)} per night; eval runs per candidate ${mean(lying.map((n) => n.runsPerCandidate)).toFixed(2)}`,
);
const honest = await night([-1, 0.5, -1, 0.5, -1, 0.5, -1, 0.5, -1, 0.5], 1);
console.log(
  `honest deterministic night (5 better by 1, 5 worse by 0.5${WORKERS > 1 ? `, ${WORKERS} workers` : ""}): kept ${honest.kept}/5, eval runs per candidate ${honest.runsPerCandidate.toFixed(2)}`,
);
