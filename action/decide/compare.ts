import type { Comparison } from "./comparison.ts";
import type { JudgeInput } from "./judgement.ts";
import { UNKNOWN_NOISE } from "./noise.ts";
import type { Objective } from "./policy.ts";
import { mean } from "./stats.ts";
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

/** Float rounding: 1 - 0.99 is 0.010000000000000009, which is not "more than 0.01". */
export function eps(c: Comparison, input: JudgeInput): number {
  return 1e-12 * Math.max(1, Math.abs(mean(input.incumbent[c.name] ?? [0])));
}
