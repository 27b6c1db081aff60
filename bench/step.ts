/**
 * A step in the machine's speed in the middle of a night, through the real engine (real git, real
 * eval processes, a `command` agent): how many changes that do nothing are kept, with the step and
 * without it, on the same kind of night.
 *
 * The eval prints `loss: truth + noise` (Gaussian, sd 1) and, from its `at`-th run of the night on
 * (a counter outside the repo), `step` sd less: the machine got faster for good (another job left
 * it). `at` is drawn per night between 60 and 120 runs in, so that the night's paired spread has
 * its 10 degrees of freedom by then (compare.ts, PAIR_NOISE_DF). Every change does nothing; a keep
 * is a false keep. Serial (pipeline false), isolation none, the decide defaults
 * (remeasure_every 0, so the incumbent is not re-measured on a schedule).
 *
 *   node bench/step.ts [--nights 30] [--step 20] [--experiments 45]
 *
 * Prints the false keeps with the step and without it (the same number of nights each).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { planNight } from "../test/helpers/sequence-eval.ts";

const { values: args } = parseArgs({
  options: {
    nights: { type: "string", default: "30" },
    step: { type: "string", default: "20" },
    experiments: { type: "string", default: "45" },
  },
});

const EVAL = `
const fs = require("node:fs");
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
const file = process.env.COUNTER;
const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : 0);
fs.writeFileSync(file, String(n + 1));
const u = () => { let x = 0; while (x === 0) x = Math.random(); return x; };
const noise = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
const step = n >= Number(process.env.STEP_AT) ? -Number(process.env.STEP) : 0;
console.log("loss: " + (truth + noise + step));
`;

const CONFIG = `
name: step
target: [candidate.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } }, pass_env: [COUNTER, STEP_AT, STEP] }
isolation: none
pipeline: false
decide: { remeasure_every: 0 }`;

/** The keeps of one night of `experiments` changes that do nothing, a step of `step` sd at run `at`. */
async function night(step: number, at: number): Promise<number> {
  const plan = Array<number>(Number(args.experiments)).fill(0);
  const log = await planNight(
    { "candidate.txt": "truth: 10\n", "eval.js": EVAL },
    CONFIG,
    plan,
    (dir) => ({
      COUNTER: join(dir, "counter"),
      STEP_AT: String(at),
      STEP: String(step),
    }),
  );
  return log.results.filter((r) => r.status === "keep").length;
}

const nights = Number(args.nights);
const changes = nights * Number(args.experiments);
const kept = { with: 0, without: 0 };
for (let i = 0; i < nights; i++) {
  const at = 60 + Math.floor(Math.random() * 60);
  const withStep = await night(Number(args.step), at);
  const without = await night(0, at);
  kept.with += withStep;
  kept.without += without;
  console.log(
    `night ${i + 1}/${nights}: step at run ${at}: ${withStep} kept; without it: ${without}`,
  );
}
const pct = (k: number) => `${k} of ${changes} (${((100 * k) / changes).toFixed(2)}%)`;
console.log(`\nfalse keeps with a ${args.step} sd step: ${pct(kept.with)}`);
console.log(`false keeps without it:        ${pct(kept.without)}`);
console.log(
  `kept because of the step:      ${((kept.with - kept.without) / nights).toFixed(2)} a night`,
);
