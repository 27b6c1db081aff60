/**
 * bench/plateau.ts's eval, copied into each night's repo as `eval.ts` (frozen) beside copies of
 * plateau-model.ts and greedy-model.ts: reads train.py's knobs, prints their true gain plus seeded
 * noise as karpathy's `val_bpb:` line. The night's runs are counted in PLATEAU_COUNTER (a file
 * outside the repo, one line per run holding the code's key); a run past PLATEAU_RUNS is refused
 * (exit 3, no metric), so no side can overspend the night's eval budget. The k-th run of one code
 * draws noiseAt(mix(PLATEAU_SEED, hash of its key), k): the noise a run gets does not depend on
 * the order the engine runs things in (a pair's sides are ordered at random), so a night is
 * deterministic.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { mix, type NoiseKind, noiseAt } from "./greedy-model.ts";
import { knobKey, type Landscape, readKnobs, trueGain } from "./plateau-model.ts";

const counter = process.env.PLATEAU_COUNTER!;
const budget = Number(process.env.PLATEAU_RUNS);
const done = existsSync(counter) ? readFileSync(counter, "utf8").split("\n").slice(0, -1) : [];
if (done.length >= budget) {
  console.error(`the night's eval budget is spent: ${done.length} of ${budget} runs`);
  process.exit(3);
}
const knobs = readKnobs(readFileSync("train.py", "utf8"));
const key = knobKey(knobs);
appendFileSync(counter, `${key}\n`);
let h = 0;
for (const c of key) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
const k = done.filter((d) => d === key).length;
const noise = noiseAt(
  mix(Number(process.env.PLATEAU_SEED), h),
  k,
  (process.env.PLATEAU_NOISE ?? "gaussian") as NoiseKind,
);
const gain = trueGain(process.env.PLATEAU_F as Landscape, knobs);
const sigma = Number(process.env.PLATEAU_SIGMA);
console.log(`val_bpb: ${(0.9979 - (gain + sigma * noise) / 1000).toFixed(12)}`);
