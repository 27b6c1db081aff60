/**
 * How close to karpathy's greedy loop can any rule come that measures each kept change beside its
 * incumbent? An oracle that knows every proposal's true effect, on bench/greedy.ts's plans (the
 * same effect pool and seeds) and budget (120 eval runs a night):
 *   - it runs the baseline `--baseline` times (autoexp's baseline_runs, 5),
 *   - discards every change that does nothing or harms on one run (no rule can spend less),
 *   - keeps every helpful change after `--keep-runs` runs: 2 is one pair (the screened run and the
 *     incumbent's run beside it, the least a keep "measured beside its incumbent" can cost), 4 is
 *     two pairs (autoexp's rule: a step in the machine's speed between a pair's runs fools one
 *     pair, not two),
 *   - and never keeps anything that does not help.
 * Greedy is bench/greedy-model.ts's greedyNight: one run per candidate, kept when better than the
 * best measured so far, with the same noise draws as bench/greedy.ts.
 *
 *   node bench/greedy-bound.ts [--nights 300] [--runs 120] [--baseline 5]
 *
 * Prints, per level (effect/noise) and keep cost: the oracle's true gain, greedy's, and their
 * ratio. Pure arithmetic: a second.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { effectPool, greedyNight, makePlan } from "./greedy-model.ts";

const { values: args } = parseArgs({
  options: {
    nights: { type: "string", default: "300" },
    runs: { type: "string", default: "120" },
    baseline: { type: "string", default: "5" },
  },
});
const nights = Number(args.nights);
const budget = Number(args.runs);
const tsv = readFileSync(
  join(import.meta.dirname, "../test/fixtures/karpathy-autoresearch-H100-mar8-results.tsv"),
  "utf8",
);
const pool = effectPool(tsv);

/** The oracle's night: the true gain of its final code. */
function oracleNight(plan: number[], keepRuns: number): number {
  let runs = Number(args.baseline);
  let truth = 0;
  for (const effect of plan) {
    const cost = effect > 0 ? keepRuns : 1;
    if (runs + cost > budget) break;
    runs += cost;
    if (effect > 0) truth += effect;
  }
  return truth;
}

console.log(
  `oracle vs greedy, ${nights} nights of ${budget} eval runs, oracle baseline ${args.baseline} runs (true gain in milli-bpb, mean per night)`,
);
console.log("level  keep costs  oracle  greedy  oracle/greedy");
for (const keepRuns of [2, 4]) {
  for (const level of [2, 1, 0.5]) {
    let oracle = 0;
    let greedy = 0;
    for (let seed = 1; seed <= nights; seed++) {
      const plan = makePlan(pool, seed, 400);
      oracle += oracleNight(plan, keepRuns);
      greedy += greedyNight(plan, pool.effect / level, seed, "gaussian", budget).trueGain;
    }
    console.log(
      `${String(level).padEnd(6)} ${`${keepRuns} runs`.padEnd(11)} ${(oracle / nights).toFixed(1).padStart(6)}  ${(greedy / nights).toFixed(1).padStart(6)}  ${(oracle / greedy).toFixed(2)}x`,
    );
  }
}
