/**
 * bench/greedy.ts's eval, copied into each night's repo as `eval.ts` (frozen) beside a copy of
 * greedy-model.ts: prints the code's true gain plus seeded noise as karpathy's `val_bpb:` line.
 * The true gain is the sum of the effects of the changes in `changes/` (the target). Run n of the
 * night (counted in GREEDY_COUNTER, one byte per run) draws noiseAt(GREEDY_SEED, n); a run past
 * GREEDY_RUNS is refused (exit 3, no metric), so the night's eval budget cannot be overspent.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { type NoiseKind, noiseAt } from "./greedy-model.ts";

const counter = process.env.GREEDY_COUNTER!;
const budget = Number(process.env.GREEDY_RUNS);
const n = existsSync(counter) ? statSync(counter).size : 0;
if (n >= budget) {
  console.error(`the night's eval budget is spent: ${n} of ${budget} runs`);
  process.exit(3);
}
appendFileSync(counter, ".");
let truth = 0;
for (const f of readdirSync("changes").sort())
  if (f.endsWith(".json")) truth += JSON.parse(readFileSync(`changes/${f}`, "utf8")).effect;
const sigma = Number(process.env.GREEDY_SIGMA);
const noise = noiseAt(Number(process.env.GREEDY_SEED), n, process.env.GREEDY_NOISE as NoiseKind);
console.log(`val_bpb: ${(0.9979 - (truth + sigma * noise) / 1000).toFixed(12)}`);
