import { type Comparison, eps } from "./compare.ts";
import { evidence } from "./evidence.ts";
import { fmt } from "./fmt.ts";
import type { JudgeInput, Judgement } from "./judgement.ts";
import type { Objective } from "./policy.ts";
import { tUpperTail } from "./stats.ts";

/**
 * Equal within noise and shorter: runs to max_runs unless it is clearly worse (by 2 sd on its
 * first run, or worse beyond noise at any later look), then needs both "not worse beyond noise"
 * and a mean within min_delta of the incumbent.
 */
export function judgeSimplification(
  input: JudgeInput,
  comparisons: readonly Comparison[],
  decisive: readonly Objective[],
  worse: readonly string[],
): Judgement {
  const { policy } = input;
  const n = comparisons[0]!.nC;
  const alpha = 1 - policy.confidence;
  const final = (status: "simplification" | "discard", reason: string) =>
    ({
      final: true,
      status,
      reason,
      evidence: evidence(comparisons[0]!, policy.confidence),
    }) as const;
  if (worse.length > 0) return final("discard", `shorter, but worse: ${worse.join("; ")}`);
  const clearlyWorse = comparisons.findIndex((c) =>
    n === 1 ? c.gain < -2 * c.sd : tUpperTail(-c.gain / c.se, c.df) < alpha,
  );
  if (clearlyWorse >= 0) {
    const c = comparisons[clearlyWorse]!;
    return final("discard", `shorter, but ${c.name} is worse by ${fmt(-c.gain)} (beyond noise)`);
  }
  if (n < policy.maxRuns) return { final: false, reason: "shorter: checking it is not worse" };
  const beyond = comparisons.findIndex((c, i) => c.gain < -decisive[i]!.minDelta - eps(c, input));
  if (beyond >= 0) {
    const c = comparisons[beyond]!;
    return final(
      "discard",
      `shorter, but ${c.name} is worse by ${fmt(-c.gain)}, more than min_delta ${fmt(decisive[beyond]!.minDelta)}`,
    );
  }
  return final(
    "simplification",
    `equal within noise over ${n} runs (change ${fmt(comparisons[0]!.gain)}) and ${-input.linesDelta!} line(s) shorter`,
  );
}
