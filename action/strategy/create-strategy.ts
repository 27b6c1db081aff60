import type { Config } from "../config/schema.ts";
import type { ConfigEntry } from "../ledger/types.ts";
import { branchStrategy } from "./branch.ts";
import { climb } from "./climb.ts";
import type { Strategy } from "./strategy.ts";

export type { BranchChoice, Strategy, StrategyState } from "./strategy.ts";

/** The strategy the config names (`strategy.use`). */
export function createStrategy(config: Pick<Config, "strategy">): Strategy {
  const s = config.strategy;
  return s.use === "branch"
    ? branchStrategy({ stall: s.stall, points: s.points, pairs: s.remeasure })
    : climb;
}

/**
 * One unit of gain for the bandit: the baseline's run-to-run standard deviation, or for an eval
 * without noise min_delta, or a hundredth of the incumbent's score (1 when that is 0).
 */
export function gainScale(
  header: Pick<ConfigEntry, "noise" | "min_delta"> | null,
  incumbentScore: number,
): number {
  if (header?.noise) return header.noise;
  if (header?.min_delta) return header.min_delta;
  return Math.abs(incumbentScore) / 100 || 1;
}
