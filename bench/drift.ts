/**
 * A drifting machine, through the real engine (real git, real eval processes in the sandbox, a
 * real `command` agent): 16 changes that do nothing and one real improvement of 10 noise sd,
 * judged by autoexp's defaults (paired) and by the rule before pairs (decide.paired: false).
 *
 * The eval prints `time: <truth + noise + drift>` (minimised, noise sd 1):
 *   spike   a load spike while the baseline runs: its first 5 runs read 3 sd slow, then the
 *           machine is quiet, so everything measured afterwards looks faster than the baseline.
 *   steady  a machine that speeds up steadily: `time` falls by 0.4 sd per second of wall clock.
 *   slow    a machine that slows down at once and stays slow (another job on it, a throttled
 *           clock): from --slow-after seconds on, `time` reads --slow sd (12) higher.
 * The eval knows only the clock (the night's start passed in its environment), as a run under
 * the default isolation does: the spike covers the baseline's first runs by time (spike-runs x
 * (eval-seconds + 0.15 s to start)), and every first run is screened. With --shared the eval
 * counts its runs and keeps the start in a folder shared with it (isolation.shared), as before
 * 2026-12-06; there pairs start fresh and no first run is screened.
 *
 * Each run takes --eval-seconds (0.5 by default: a short benchmark), so a steady drift moves
 * about 0.2-0.3 sd from one run to the next.
 *
 * Usage: node bench/drift.ts [--nights 3] [--rate 0.4] [--spike-runs 5] [--seed 1]
 *        [--eval-seconds 0.5] [--noops 16] [--scenarios spike,steady,slow] [--rules unpaired,paired]
 *        [--shared] [--slow 12] [--slow-after 8]
 * Prints, per scenario and rule: no-op changes kept (of 16 per night) and whether the +10 sd
 * change was kept, and eval runs per candidate.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { validateConfig } from "../action/config/validate-config.ts";
import { runBatch } from "../action/engine/run-batch.ts";
import { parseLog } from "../action/ledger/log-jsonl.ts";
import { createRandom } from "../action/util/random.ts";

const { values: args } = parseArgs({
  options: {
    nights: { type: "string", default: "3" },
    rate: { type: "string", default: "0.4" },
    "spike-runs": { type: "string", default: "5" },
    seed: { type: "string", default: "1" },
    noops: { type: "string", default: "16" },
    "eval-seconds": { type: "string", default: "0.5" },
    scenarios: { type: "string", default: "spike,steady" },
    rules: { type: "string", default: "unpaired,paired" },
    shared: { type: "boolean", default: false },
    slow: { type: "string", default: "12" },
    "slow-after": { type: "string", default: "8" },
  },
});

const EVAL = `const fs = require("node:fs");
const path = require("node:path");
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
const u = () => { let x = 0; while (x === 0) x = Math.random(); return x; };
const noise = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
// With a shared folder (--shared): the night's run count and start kept there. Without one (the
// default isolation, as most users run): the start passed in, and the spike by the clock.
const state = process.env.STATE_DIR;
let n = 0;
let start = Number(process.env.START_MS);
if (state) {
  const countFile = path.join(state, "runs");
  n = Number(fs.existsSync(countFile) ? fs.readFileSync(countFile, "utf8") : 0);
  fs.writeFileSync(countFile, String(n + 1));
  const startFile = path.join(state, "start");
  if (!fs.existsSync(startFile)) fs.writeFileSync(startFile, String(Date.now()));
  start = Number(fs.readFileSync(startFile, "utf8"));
}
const elapsed = (Date.now() - start) / 1000;
let drift = 0;
if (process.env.SCENARIO === "spike")
  drift = (state ? n < Number(process.env.SPIKE_RUNS) : elapsed < Number(process.env.SPIKE_SECONDS)) ? 3 : 0;
else if (process.env.SCENARIO === "slow")
  drift = elapsed >= Number(process.env.SLOW_AFTER) ? Number(process.env.SLOW) : 0;
else drift = -Number(process.env.RATE) * elapsed;
const until = Date.now() + 1000 * Number(process.env.EVAL_SECONDS);
while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
console.log("time: " + (truth + noise + drift));
`;

const AGENT = `const fs = require("node:fs");
const plan = JSON.parse(fs.readFileSync(process.env.PLAN_FILE, "utf8"));
const i = Number(process.env.AUTOEXP_ITERATION);
const effect = plan[i - 1] ?? 0;
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
fs.writeFileSync("candidate.txt", "truth: " + (truth + effect) + "\\nidea: " + i + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "effect=" + effect);
`;

interface Night {
  noopKept: number;
  noops: number;
  improvementKept: boolean;
  runs: number;
  candidates: number;
}

async function night(scenario: string, paired: boolean, seed: number): Promise<Night> {
  const random = createRandom(seed);
  const noops = Number(args.noops);
  const plan: number[] = Array(noops).fill(0);
  // The real change somewhere in the second half of the night.
  plan.splice(Math.floor(noops / 2 + random() * (noops / 2)), 0, -10);
  const dir = mkdtempSync(join(tmpdir(), "autoexp-drift-"));
  const repo = join(dir, "repo");
  const state = join(dir, "state");
  mkdirSync(state);
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, stdio: "pipe" });
  execFileSync("git", ["init", "-q", "-b", "main", repo]);
  git("config", "user.name", "bench");
  git("config", "user.email", "bench@example.com");
  writeFileSync(join(repo, "candidate.txt"), "truth: 100\n");
  writeFileSync(join(repo, "eval.js"), EVAL);
  git("add", "-A");
  git("commit", "-qm", "start");
  const planFile = join(dir, "plan.json");
  writeFileSync(planFile, JSON.stringify(plan));
  writeFileSync(join(dir, "agent.js"), AGENT);
  // Without a shared folder the eval knows only the clock: the spike covers the baseline's runs
  // (spike-runs of them, each eval-seconds plus about 0.15 s to start in the sandbox).
  const spikeSeconds = Number(args["spike-runs"]) * (Number(args["eval-seconds"]) + 0.15);
  const startMs = Date.now();
  const checked = validateConfig({
    name: "drift",
    target: ["candidate.txt"],
    frozen: ["eval.js"],
    eval: {
      command: ["node", "eval.js"],
      metrics: { time: { goal: "minimize" } },
      env: {
        ...(args.shared ? { STATE_DIR: state } : { START_MS: String(startMs) }),
        SPIKE_SECONDS: String(spikeSeconds),
        SCENARIO: scenario,
        RATE: String(args.rate),
        SPIKE_RUNS: String(args["spike-runs"]),
        EVAL_SECONDS: String(args["eval-seconds"]),
        SLOW: String(args.slow),
        SLOW_AFTER: String(args["slow-after"]),
      },
    },
    decide: { paired },
    agent: {
      use: "command",
      run: ["node", join(dir, "agent.js")],
      pass_env: ["PLAN_FILE"],
      read_only: [planFile],
    },
    budget: { experiments: plan.length, stop_after_failures: 1000 },
    ...(args.shared ? { isolation: { shared: [state] } } : {}),
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  await runBatch({
    repoDir: repo,
    config: checked.config,
    tag: "drift",
    env: { ...process.env, PLAN_FILE: planFile },
  });
  const log = parseLog(
    execFileSync("git", ["show", "autoexp/drift:.autoexp/drift/log.jsonl"], {
      cwd: repo,
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }),
  );
  rmSync(dir, { recursive: true, force: true });
  const out: Night = { noopKept: 0, noops, improvementKept: false, runs: 0, candidates: 0 };
  if (process.env.DEBUG) console.log(scenario, "baseline", log.results[0]?.samples.time);
  for (const r of log.results) out.runs += r.samples.time?.length ?? 0;
  for (const m of log.remeasures) out.runs += m.samples.time?.length ?? 0;
  if (process.env.DEBUG)
    for (const m of log.remeasures)
      console.log(scenario, "remeasure", m.iteration, "after", m.after, m.reason, m.samples.time);
  for (const r of log.results.slice(1)) {
    out.candidates++;
    const effect = Number(/effect=(\S+)/.exec(r.description)?.[1]);
    if (process.env.DEBUG) console.log(scenario, paired, r.iteration, r.status, effect, r.reason);
    if (r.status !== "keep") continue;
    if (effect === 0) out.noopKept++;
    else out.improvementKept = true;
  }
  return out;
}

const nights = Number(args.nights);
console.log(
  `${nights} night(s) per cell, each ${args.noops} no-op changes and one -10 sd change (time, minimised, noise sd 1)`,
);
console.log(
  "scenario                         rule                 no-ops kept (per night)   +10 sd kept   runs/candidate",
);
for (const scenario of args.scenarios.split(",")) {
  for (const paired of args.rules.split(",").map((r) => r === "paired")) {
    const results: Night[] = [];
    for (let s = 0; s < nights; s++)
      results.push(await night(scenario, paired, Number(args.seed) + s));
    const kept = results.map((r) => r.noopKept);
    const label =
      scenario === "spike"
        ? `load spike in the baseline (+3 sd x ${args["spike-runs"]} runs)`
        : scenario === "slow"
          ? `slows by ${args.slow} sd at ${args["slow-after"]} s`
          : `steady speed-up ${args.rate} sd/s`;
    console.log(
      `${label.padEnd(33)}${(paired ? "paired (default)" : "unpaired (before)").padEnd(21)}${`${kept.join(", ")} of ${args.noops}`.padEnd(26)}${`${results.filter((r) => r.improvementKept).length}/${nights}`.padEnd(14)}${(results.reduce((a, r) => a + r.runs, 0) / results.reduce((a, r) => a + r.candidates, 0)).toFixed(2)}`,
    );
  }
}
