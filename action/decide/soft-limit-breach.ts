import { compare, eps } from "./compare.ts";
import { fmt } from "./fmt.ts";
import type { JudgeInput } from "./judgement.ts";
import type { Objective } from "./policy.ts";
import { mean, tUpperTail } from "./stats.ts";

/**
 * How much worse a soft-limited metric got beyond what it may, when that is beyond noise.
 * Returns a reason, or null when the metric is within its limit.
 */
export function softLimitBreach(o: Objective, input: JudgeInput, alpha: number): string | null {
  const c = compare(o, input);
  const incMean = mean(input.incumbent[o.name] ?? [0]);
  const allowed = (o.tolerance ?? 0) + (o.relativeTolerance ?? 0) * Math.abs(incMean);
  const excess = -c.gain - allowed;
  if (excess <= eps(c, input)) return null;
  if (c.mode === "t" && tUpperTail(excess / c.se, c.df) >= alpha) return null;
  const limit =
    o.relativeTolerance !== undefined
      ? `${fmt(o.relativeTolerance * 100)}% allowed`
      : `${fmt(allowed)} allowed`;
  return `${o.name} got worse by ${fmt(-c.gain)} (${limit}${c.mode === "t" ? ", beyond noise" : ""})`;
}
