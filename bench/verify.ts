/**
 * The verified gain against known truth, by simulation through the real judge (no git, no
 * processes: `bench/noise.ts` measures the judge through the real engine).
 *
 * Each simulated night: the baseline runs `baseline_runs` times (truth 0, noise sd 1), then the
 * agent proposes candidates whose true effects are known (70% nothing, 20% +effect, 10% −effect; effect 1 sd unless --effect);
 * each is judged run by run by `judge` (decide/judge.ts) with the pooled noise, exactly as the
 * engine calls it; a keep moves the incumbent and gets a top-up of fresh runs. At the end, the
 * final code's true gain over the base is known. Then verify: `pairs` interleaved pairs of base
 * and final runs, through `verifiedGain` (decide/verified-gain.ts).
 *
 * Reports: how often the verified interval covers the true gain (the target is >= 90%; the
 * interval is 95%), how far the sum of per-step deltas (what kept deltas claim) and the reported
 * best overstate the true gain, in noise units; with --drift, what pairing buys over comparing
 * fresh final runs with the baseline recorded at the start of the night.
 *
 * Usage: node bench/verify.ts [--nights 1000] [--effect 1] [--candidates 30] [--pairs 8] [--noise gaussian|t3]
 *        [--drift 0.005] [--seed 1]     (drift: the eval's score creeps up this many sd per eval)
 */
import { parseArgs } from "node:util";
import { judge, type Policy } from "../action/decide/judge.ts";
import { pooledNoise } from "../action/decide/noise.ts";
import { mean } from "../action/decide/stats.ts";
import { verifiedGain } from "../action/decide/verified-gain.ts";
import { createRandom, gaussian } from "../action/util/random.ts";

const { values: args } = parseArgs({
  options: {
    nights: { type: "string", default: "1000" },
    candidates: { type: "string", default: "30" },
    pairs: { type: "string", default: "8" },
    noise: { type: "string", default: "gaussian" },
    drift: { type: "string", default: "0" },
    seed: { type: "string", default: "1" },
    effect: { type: "string", default: "1" },
  },
});
const NIGHTS = Number(args.nights);
const CANDIDATES = Number(args.candidates);
const PAIRS = Number(args.pairs);
const DRIFT = Number(args.drift);
const EFFECT = Number(args.effect);
const BASELINE_RUNS = 5;
const CONFIDENCE = 0.95;

const random = createRandom(Number(args.seed));
const gauss = gaussian(random);
/** Student t with 3 degrees of freedom, scaled to unit variance. */
const t3 = () =>
  gauss() / Math.sqrt((gauss() ** 2 + gauss() ** 2 + gauss() ** 2) / 3) / Math.sqrt(3);
const draw = args.noise === "t3" ? t3 : gauss;

/** The defaults' policy: confirm up to 5 runs at 95%, screen at a quarter of the pooled sd. */
function policy(minDelta: number): Policy {
  return {
    rule: "primary",
    objectives: [{ name: "score", goal: "maximize", minDelta }],
    guards: {},
    confidence: CONFIDENCE,
    maxRuns: 5,
    simplification: false,
  };
}

function effectOf(): number {
  const u = random();
  return u < 0.7 ? 0 : u < 0.9 ? EFFECT : -EFFECT;
}

interface Night {
  kept: number;
  truth: number;
  keptSum: number;
  reportedGain: number;
  verified: ReturnType<typeof verifiedGain>;
  naive: number;
  evals: number;
}

function night(): Night {
  let evals = 0;
  // One eval of code whose true score is `truth` (maximize), on a machine that may drift.
  const run = (truth: number) => truth + draw() + DRIFT * evals++;
  const baseline = Array.from({ length: BASELINE_RUNS }, () => run(0));
  const groups: number[][] = [baseline];
  const minDelta = 0.25 * pooledNoise(groups).sd;
  let incumbent = { truth: 0, samples: baseline };
  let keptSum = 0;
  let kept = 0;
  for (let c = 0; c < CANDIDATES; c++) {
    const truth = incumbent.truth + effectOf();
    const samples: number[] = [];
    for (;;) {
      samples.push(run(truth));
      const j = judge({
        policy: policy(minDelta),
        incumbent: { score: incumbent.samples },
        candidate: { score: samples },
        noise: { score: pooledNoise(groups) },
      });
      if (!j.final) continue;
      groups.push(samples);
      if (j.status === "keep") {
        kept++;
        keptSum += mean(samples) - mean(incumbent.samples);
        // A keep's runs were chosen for looking good: fresh runs before it is the bar (top-up).
        const topUp = Array.from({ length: BASELINE_RUNS }, () => run(truth));
        incumbent = { truth, samples: [...samples, ...topUp] };
        groups[groups.length - 1] = incumbent.samples;
      }
      break;
    }
  }
  const base: number[] = [];
  const final: number[] = [];
  for (let p = 0; p < PAIRS; p++) {
    base.push(run(0));
    final.push(run(incumbent.truth));
  }
  return {
    kept,
    truth: incumbent.truth,
    keptSum,
    reportedGain: mean(incumbent.samples) - mean(baseline),
    verified: verifiedGain(base, final, "maximize", CONFIDENCE),
    naive: mean(final) - mean(baseline),
    evals,
  };
}

const started = performance.now();
const nights = Array.from({ length: NIGHTS }, night);
const verifiedNights = nights.filter((n) => n.kept > 0);
const share = (f: (n: Night) => boolean) =>
  verifiedNights.filter(f).length / Math.max(1, verifiedNights.length);
const avg = (f: (n: Night) => number) => mean(verifiedNights.map(f));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const sd = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)} sd`;
const covered = share((n) => n.verified.ci![0] <= n.truth && n.truth <= n.verified.ci![1]);

console.log(
  `bench/verify: ${NIGHTS} nights of ${CANDIDATES} candidates (70% no effect, 20% +${EFFECT} sd, 10% -${EFFECT} sd), ${args.noise} noise sd 1${DRIFT ? `, drift ${DRIFT} sd per eval` : ""}; judge defaults (5 baseline runs, confirm to 5 runs at 95%); verify ${PAIRS} pairs at 95%`,
);
console.log(
  `nights with a keep (verified): ${verifiedNights.length} of ${NIGHTS}; kept per night ${avg((n) => n.kept).toFixed(2)}; true gain of the final code ${avg((n) => n.truth).toFixed(3)} sd on average`,
);
console.log("");
console.log(
  `verified interval covers the true gain:          ${pct(covered)} of nights (target >= 90%)`,
);
console.log(
  `verified gain − true gain (bias):                ${sd(avg((n) => n.verified.gain - n.truth))}  (interval half-width ${avg((n) => (n.verified.ci![1] - n.verified.ci![0]) / 2).toFixed(3)} sd)`,
);
console.log(
  `sum of per-step deltas − true gain (overstates): ${sd(avg((n) => n.keptSum - n.truth))}  (${avg((n) => (n.kept > 0 ? (n.keptSum - n.truth) / n.kept : 0)).toFixed(3)} sd per keep)`,
);
console.log(
  `reported best − baseline − true gain:            ${sd(avg((n) => n.reportedGain - n.truth))}`,
);
if (DRIFT)
  console.log(
    `unpaired: final re-run − night's baseline − true: ${sd(avg((n) => n.naive - n.truth))}  (what pairing cancels)`,
  );
console.log(
  `interval includes no improvement: ${pct(share((n) => n.verified.includes_no_improvement))} of nights (true gain <= 0 in ${pct(share((n) => n.truth <= 0))}); claims a gain where there is none: ${pct(share((n) => !n.verified.includes_no_improvement && n.truth <= 0))}`,
);
console.log(
  `evals per night ${avg((n) => n.evals).toFixed(1)} (verify ${2 * PAIRS}); ${((performance.now() - started) / 1000).toFixed(1)}s`,
);
