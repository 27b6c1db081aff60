/**
 * Whole nights of the deciding rule by simulation (no git, no processes), to choose how the loop
 * measures: the real judge (action/decide/judge.ts) fed by a simulated serial loop whose true
 * effects are known. Designs:
 *   unpaired  the rule before pairs: the candidate's runs against every run of the incumbent,
 *             a 5-run top-up of the incumbent after each keep, one re-run every 5 experiments.
 *   paired    one screening run against the incumbent's recent runs (a discard costs one run);
 *             a candidate that passes is measured in pairs beside fresh incumbent runs (random
 *             order) and kept on the paired test alone; no top-ups (pairs refresh the incumbent).
 *   pairs     pairs from the first run (no screen).
 * The plan: 200 no-op, 100 +2 sd and 30 -2 sd changes, shuffled; each builds on the incumbent.
 * Drift: the score moves `drift` sd per run (steady), or `--spike` adds +3 sd to the baseline's
 * runs (a load spike while the baseline runs). Runs per candidate count every eval run of the
 * night, the baseline and the incumbent's included.
 *
 * Usage: node bench/paired-model.ts [--nights 20] [--noise gaussian|t3] [--drift 0.05] [--spike]
 *        [--designs unpaired,paired,pairs] [--max-runs 5]
 */
import { parseArgs } from "node:util";
import { judge, type Policy } from "../action/decide/judge.ts";
import { type Noise, pooledNoise } from "../action/decide/noise.ts";
import { firstSideFirst } from "../action/engine/pair-order.ts";
import { createRandom, gaussian } from "../action/util/random.ts";

const { values: args } = parseArgs({
  options: {
    nights: { type: "string", default: "20" },
    noise: { type: "string", default: "gaussian" },
    drift: { type: "string", default: "0" },
    spike: { type: "boolean", default: false },
    designs: { type: "string", default: "unpaired,paired,pairs" },
    "max-runs": { type: "string", default: "5" },
    zero: { type: "string", default: "200" },
    effect: { type: "string", default: "100" },
    worse: { type: "string", default: "30" },
  },
});
const nights = Number(args.nights);
const maxRuns = Number(args["max-runs"]);
const drift = Number(args.drift);

type Design = "unpaired" | "paired" | "pairs";

function night(design: Design, seed: number) {
  const random = createRandom(seed);
  const gauss = gaussian(random);
  const draw =
    args.noise === "t3"
      ? () => {
          const z = gauss();
          const chi = gauss() ** 2 + gauss() ** 2 + gauss() ** 2;
          return z / Math.sqrt(chi / 3) / Math.sqrt(3);
        }
      : gauss;
  const plan = [
    ...Array(Number(args.zero)).fill(0),
    ...Array(Number(args.effect)).fill(2),
    ...Array(Number(args.worse)).fill(-2),
  ];
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  let clock = 0;
  let inBaseline = true;
  const measure = (truth: number) => {
    const v = truth + draw() + drift * clock + (args.spike && inBaseline ? 3 : 0);
    clock++;
    return v;
  };
  // Run-to-run noise: one group per code measured more than once.
  const groups: number[][] = [];
  let incTruth = 0;
  let inc: number[] = Array.from({ length: 5 }, () => measure(incTruth));
  inBaseline = false;
  groups.push(inc);
  let measuredAt = 0;
  let pairSs = 0;
  let pairDf = 0;
  let falseKeeps = 0;
  let keptGood = 0;
  let trueGain = 0;
  const policy = (sd: number): Policy => ({
    rule: "primary",
    objectives: [{ name: "score", goal: "maximize", minDelta: 0.25 * sd }],
    guards: {},
    confidence: 0.95,
    maxRuns,
    simplification: false,
  });
  for (let k = 0; k < plan.length; k++) {
    const effect = plan[k]!;
    const truth = incTruth + effect;
    const noise = (): Record<string, Noise> => ({ score: pooledNoise(groups) });
    const pairNoise = (): Record<string, Noise> => ({
      score: { sd: pairDf > 0 ? Math.sqrt(pairSs / pairDf) : 0, df: pairDf, robustSd: null },
    });
    let kept = false;
    const cand: number[] = [];
    groups.push(cand);
    if (design === "unpaired") {
      if (k - measuredAt >= 5) {
        inc.push(measure(incTruth));
        measuredAt = k;
      }
      while (true) {
        cand.push(measure(truth));
        const j = judge({
          policy: policy(noise().score!.sd),
          incumbent: { score: inc },
          candidate: { score: cand },
          noise: noise(),
        });
        if (j.final) {
          kept = j.status === "keep";
          break;
        }
      }
      if (kept) {
        inc = cand;
        for (let i = 0; i < 5; i++) inc.push(measure(truth));
        measuredAt = k;
      }
    } else {
      let go = true;
      let screenedAgainst = 0;
      if (design === "paired") {
        if (k - measuredAt >= 5) {
          inc.push(measure(incTruth));
          measuredAt = k;
        }
        cand.push(measure(truth));
        const recent = inc.slice(-10);
        screenedAgainst = recent.length;
        const j = judge({
          policy: policy(noise().score!.sd),
          incumbent: { score: recent },
          candidate: { score: cand },
          noise: noise(),
        });
        go = !j.final;
      }
      const pi: number[] = [];
      const pc: number[] = [];
      // Paired: the first pair is the screened run and the incumbent's run right after it.
      let prefilled = go && design === "paired";
      if (prefilled) {
        pc.push(cand[0]!);
        pi.push(measure(incTruth));
        inc.push(pi[0]!);
      }
      while (go) {
        const p = pi.length;
        if (prefilled) prefilled = false;
        else if (firstSideFirst(seed * 7919 + k, p)) {
          pi.push(measure(incTruth));
          pc.push(measure(truth));
        } else {
          pc.push(measure(truth));
          pi.push(measure(incTruth));
        }
        if (pi.length > 1 || design !== "paired") {
          inc.push(pi.at(-1)!);
          cand.push(pc.at(-1)!);
        }
        measuredAt = k;
        const j = judge({
          policy: policy(noise().score!.sd),
          incumbent: { score: pi },
          candidate: { score: pc },
          noise: noise(),
          pairNoise: pairNoise(),
          paired: design === "paired" ? { first: "screened", screenedAgainst } : { first: "fresh" },
        });
        if (j.final) {
          kept = j.status === "keep";
          if (pi.length > 1) {
            const d = pc.map((c, i) => c - pi[i]!);
            const m = d.reduce((a, b) => a + b, 0) / d.length;
            pairSs += d.reduce((a, b) => a + (b - m) ** 2, 0);
            pairDf += d.length - 1;
          }
          break;
        }
      }
      if (kept) inc = cand;
      if (kept) groups.push(inc);
    }
    if (kept) {
      if (effect <= 0) falseKeeps++;
      if (process.env.DEBUG && effect < 0) console.log("kept worse", k, design);
      else keptGood++;
      trueGain += effect;
      incTruth = truth;
      if (design === "unpaired") groups.push(inc);
    }
  }
  return { runs: clock, candidates: plan.length, falseKeeps, keptGood, trueGain };
}

const nulls = Number(args.zero) + Number(args.worse);
console.log(
  `noise ${args.noise}, drift ${drift} sd/run${args.spike ? ", +3 sd spike during the baseline" : ""}, max_runs ${maxRuns}, ${nights} nights of ${Number(args.zero)}/${Number(args.effect)}/${Number(args.worse)} (0 / +2 / -2 sd)`,
);
console.log("design     false keeps   power at +2 sd   runs/candidate   true gain (sd)");
for (const design of args.designs.split(",") as Design[]) {
  let fk = 0;
  let good = 0;
  let runs = 0;
  let cands = 0;
  let gain = 0;
  for (let s = 1; s <= nights; s++) {
    const r = night(design, s);
    fk += r.falseKeeps;
    good += r.keptGood;
    runs += r.runs;
    cands += r.candidates;
    gain += r.trueGain;
  }
  console.log(
    `${design.padEnd(10)} ${`${((100 * fk) / (nulls * nights)).toFixed(2)}%`.padStart(11)}   ${`${((100 * good) / (Number(args.effect) * nights)).toFixed(1)}%`.padStart(14)}   ${(runs / cands).toFixed(2).padStart(14)}   ${(gain / nights).toFixed(1).padStart(14)}`,
  );
}
