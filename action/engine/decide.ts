import type { Goal } from "../ledger/types.ts";

export type Guards = Record<string, { min?: number | undefined; max?: number | undefined }>;

export interface DecideInput {
  goal: Goal;
  /** The smallest improvement worth keeping (>= 0, in metric units). */
  minDelta: number;
  incumbent: number;
  score: number;
  metrics: Record<string, number>;
  guards: Guards;
}

export interface Decision {
  status: "keep" | "discard" | "guard_fail";
  /** score - incumbent (signed, in metric units). */
  delta: number;
  guardPass: boolean | null;
  reason: string;
}

/** Signed improvement: positive means better, whatever the goal. */
export function improvement(goal: Goal, incumbent: number, score: number): number {
  return goal === "minimize" ? incumbent - score : score - incumbent;
}

/** Checks every guard metric against its bounds; returns the first breach, or null. */
export function checkGuards(guards: Guards, metrics: Record<string, number>): string | null {
  for (const [name, bound] of Object.entries(guards)) {
    const v = metrics[name];
    if (v === undefined) return `guard ${name} was not reported`;
    if (bound.max !== undefined && v > bound.max)
      return `guard ${name} = ${v} is above its max ${bound.max}`;
    if (bound.min !== undefined && v < bound.min)
      return `guard ${name} = ${v} is below its min ${bound.min}`;
  }
  return null;
}

/**
 * The one place a candidate is judged. Pure: the same inputs give the same decision.
 * Keep only when every guard holds and the improvement is strictly larger than minDelta.
 */
export function decide(input: DecideInput): Decision {
  const delta = input.score - input.incumbent;
  const hasGuards = Object.keys(input.guards).length > 0;
  const breach = checkGuards(input.guards, input.metrics);
  if (breach) return { status: "guard_fail", delta, guardPass: false, reason: breach };
  const gain = improvement(input.goal, input.incumbent, input.score);
  const guardPass = hasGuards ? true : null;
  // Tolerance for float rounding: 1 - 0.99 is 0.010000000000000009, which is not "more than 0.01".
  const epsilon = 1e-12 * Math.max(1, Math.abs(input.incumbent));
  if (gain > input.minDelta + epsilon) {
    return {
      status: "keep",
      delta,
      guardPass,
      reason: `improved by ${gain.toPrecision(4)} > min_delta ${input.minDelta}`,
    };
  }
  return {
    status: "discard",
    delta,
    guardPass,
    reason:
      gain > 0
        ? `improved by ${gain.toPrecision(4)}, not more than min_delta ${input.minDelta}`
        : "not better",
  };
}

/** Mean and sample standard deviation. */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, sd: 0 };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

/**
 * min_delta when set to `auto`: twice the baseline's run-to-run spread, so a single lucky run of
 * an unchanged program is rarely kept. With one baseline run there is no spread to read: 0.
 */
export function autoMinDelta(baselineSamples: readonly number[]): number {
  return 2 * meanAndSd(baselineSamples).sd;
}
