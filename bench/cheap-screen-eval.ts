/**
 * bench/cheap-screen.ts's eval, copied into each night's repository as `eval.ts` (frozen) beside
 * greedy-model.ts. `node eval.ts full` prints the code's true gain plus noise (sd CHEAP_SIGMA_FULL)
 * as `val_bpb:`; `node eval.ts cheap` prints the cheap eval's `val_bpb:`: with CHEAP_TRUTH=1 the
 * same true gain plus more noise (sd CHEAP_SIGMA), with CHEAP_TRUTH=0 a per-change effect drawn
 * apart from the true one (sd CHEAP_UNRELATED_SD) plus that noise: unrelated to the truth. The true
 * gain is the sum of the effects in `changes/` (the target). Each run appends its cost in units to
 * CHEAP_COUNTER (a file outside the repository: 5 for a full run, 1 for a cheap one); a run past
 * CHEAP_UNITS is refused (exit 3). The k-th run of one code in one mode draws the same noise
 * whatever order the engine runs things in.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { mix, noiseAt } from "./greedy-model.ts";

const mode = process.argv[2] === "cheap" ? "cheap" : "full";
const cost = mode === "cheap" ? 1 : 5;
const counter = process.env.CHEAP_COUNTER!;
const lines = existsSync(counter) ? readFileSync(counter, "utf8").split("\n").slice(0, -1) : [];
const spent = lines.reduce((s, l) => s + Number(l.split(" ")[0]), 0);
if (spent + cost > Number(process.env.CHEAP_UNITS)) {
  console.error(`the night's eval budget is spent: ${spent} units`);
  process.exit(3);
}
let truth = 0;
let apart = 0;
const ids: string[] = [];
for (const f of readdirSync("changes").sort())
  if (f.endsWith(".json")) {
    const change = JSON.parse(readFileSync(`changes/${f}`, "utf8"));
    truth += change.effect;
    ids.push(String(change.id));
    apart += noiseAt(mix(Number(process.env.CHEAP_SEED), 7, change.id), 0, "gaussian");
  }
const key = `${mode}:${ids.join(",")}`;
appendFileSync(counter, `${cost} ${key}\n`);
const k = lines.filter((l) => l.slice(l.indexOf(" ") + 1) === key).length;
let h = 0;
for (const c of key) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
const noise = noiseAt(mix(Number(process.env.CHEAP_SEED), h), k, "gaussian");
const value =
  mode === "full"
    ? truth + Number(process.env.CHEAP_SIGMA_FULL) * noise
    : (process.env.CHEAP_TRUTH === "1" ? truth : Number(process.env.CHEAP_UNRELATED_SD) * apart) +
      Number(process.env.CHEAP_SIGMA) * noise;
console.log(`val_bpb: ${(0.9979 - value / 1000).toFixed(12)}`);
