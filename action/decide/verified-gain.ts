import { rowsThrough } from "../ledger/record-order.ts";
import type { Goal, ResultEntry, VerifiedGain } from "../ledger/types.ts";
import { meanAndSd, tQuantileUpper } from "./stats.ts";

/**
 * The verified improvement of `final` over `base` from interleaved pairs (base[i] ran just before
 * final[i]): the mean of the per-pair improvements (positive = better for `goal`) with a paired-t
 * interval at `confidence`. Pairing is the point: a machine that slowly speeds up or slows down
 * moves both runs of a pair alike, so the drift cancels in the difference instead of widening (or
 * biasing) the interval as two separate means would. Pure.
 */
export function verifiedGain(
  base: readonly number[],
  final: readonly number[],
  goal: Goal,
  confidence: number,
): VerifiedGain {
  if (base.length !== final.length)
    throw new Error(`verifiedGain: ${base.length} base runs but ${final.length} final runs`);
  const sign = goal === "minimize" ? -1 : 1;
  const diffs = base.map((b, i) => sign * (final[i]! - b));
  const pairs = diffs.length;
  if (pairs === 0) return { gain: 0, ci: null, sd: 0, pairs, includes_no_improvement: true };
  const { mean: gain, sd } = meanAndSd(diffs);
  if (pairs < 2) return { gain, ci: null, sd, pairs, includes_no_improvement: true };
  const half = tQuantileUpper((1 - confidence) / 2, pairs - 1) * (sd / Math.sqrt(pairs));
  const ci: [number, number] = [gain - half, gain + half];
  return { gain, ci, sd, pairs, includes_no_improvement: ci[0] <= 0 };
}

/**
 * What the kept steps claim: the sum of the kept rows' per-step deltas up to `finalIteration`, as
 * gains (positive = better). Each kept delta was chosen for looking good, so the sum overstates
 * (the winner's curse); the verified gain is measured beside it.
 */
export function keptGainSum(
  results: readonly Pick<ResultEntry, "iteration" | "status" | "delta">[],
  goal: Goal,
  finalIteration: number,
): { sum: number; kept: number } {
  const sign = goal === "minimize" ? -1 : 1;
  let sum = 0;
  let kept = 0;
  for (const r of rowsThrough(results, finalIteration)) {
    if (r.status !== "keep" && r.status !== "simplification") continue;
    kept++;
    sum += sign * (r.delta ?? 0);
  }
  return { sum, kept };
}
