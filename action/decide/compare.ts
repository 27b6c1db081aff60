import type { Comparison } from "./comparison.ts";
import type { JudgeInput } from "./judgement.ts";
import { type Noise, UNKNOWN_NOISE } from "./noise.ts";
import type { Objective } from "./policy.ts";
import { mean, sumSquares } from "./stats.ts";
import { compareStrata } from "./strata.ts";

export type { Comparison } from "./comparison.ts";

/**
 * Compares the candidate with the incumbent on one objective, with the pooled noise; within
 * strata (see strata.ts) when the input says where each run ran.
 */
export function compare(o: Objective, input: JudgeInput): Comparison {
  const inc = input.incumbent[o.name] ?? [];
  const cand = input.candidate[o.name] ?? [];
  const noise = input.noise[o.name] ?? UNKNOWN_NOISE;
  if (input.paired) {
    const runs = input.pairPrior?.[o.name] ?? noise;
    return comparePaired(o, inc, cand, runs, input.pairNoise?.[o.name]);
  }
  if (input.strata) return compareStrata(o, input.strata.incumbent, input.strata.candidate, noise);
  const diff = mean(inc) - mean(cand);
  const gain = o.goal === "minimize" ? diff : -diff;
  const mode = noise.df === 0 ? "single" : noise.sd === 0 ? "exact" : "t";
  const se = noise.sd * Math.sqrt(1 / cand.length + 1 / inc.length);
  return {
    name: o.name,
    gain,
    se,
    sd: noise.sd,
    df: noise.df,
    nC: cand.length,
    nI: inc.length,
    mode,
  };
}

/**
 * Once the night's paired differences carry this many degrees of freedom, their own spread is
 * used instead of twice the run-to-run variance (which ignores common random numbers).
 */
export const PAIR_NOISE_DF = 10;

/**
 * Paired: `inc[i]` and `cand[i]` ran side by side (same worker, random order, one seed). The
 * gain is the mean of the differences; their spread is pooled from this candidate's differences
 * and either the night's other paired differences (once they have PAIR_NOISE_DF degrees of
 * freedom) or twice the run-to-run variance (two independent runs). Drift between pairs cancels:
 * only the spread within a pair counts.
 */
export function comparePaired(
  o: Objective,
  inc: readonly number[],
  cand: readonly number[],
  noise: Noise,
  pairNoise: Noise | undefined,
): Comparison {
  const n = Math.min(inc.length, cand.length);
  const d = Array.from({ length: n }, (_, i) =>
    o.goal === "minimize" ? inc[i]! - cand[i]! : cand[i]! - inc[i]!,
  );
  const gain = mean(d);
  const own = n > 1 ? sumSquares(d) : 0;
  const usesPairs = pairNoise !== undefined && pairNoise.df >= PAIR_NOISE_DF;
  const prior = usesPairs
    ? { ss: pairNoise.sd ** 2 * pairNoise.df, df: pairNoise.df }
    : { ss: 2 * noise.sd ** 2 * noise.df, df: noise.df };
  const df = prior.df + Math.max(0, n - 1);
  const sd = df > 0 ? Math.sqrt((prior.ss + own) / df) : 0;
  const mode = df === 0 ? "single" : sd === 0 ? "exact" : "t";
  return {
    name: o.name,
    gain,
    se: sd / Math.sqrt(Math.max(1, n)),
    sd,
    df,
    nC: n,
    nI: n,
    mode,
    paired: true,
    // Twice the run noise, which holds this trial's runs on both sides (n - 1 degrees of freedom
    // or more each), pooled with their differences (n - 1 more, the same spread seen again): the
    // boundary, which adds n - 1 a look, is given only the runs' before the trial. Given the two
    // sides' too (the differences' n - 1 back), pairs from the first run were kept 1.14 times as
    // often as allowed at 0.99; given the differences' alone, 1.22 (`node bench/calibration.ts`).
    ...(usesPairs ? {} : { priorDf: Math.max(1, df - 3 * Math.max(0, n - 1)) }),
  };
}

/** Float rounding: 1 - 0.99 is 0.010000000000000009, which is not "more than 0.01". */
export function eps(c: Comparison, input: JudgeInput): number {
  return 1e-12 * Math.max(1, Math.abs(mean(input.incumbent[c.name] ?? [0])));
}
