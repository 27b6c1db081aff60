import type { Config } from "../config/schema.ts";
import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { judgedDeterministic } from "./determinism.ts";
import type { IncumbentState } from "./ledger-state.ts";
import { ledgerSamples, noiseOf } from "./ledger-state.ts";

/** True when repeated runs can tell candidates apart: confirmation on and a measured, non-zero noise. */
export function isSequential(
  log: Pick<ParsedLog, "results" | "remeasures">,
  metric: string,
  maxRuns: number,
): boolean {
  if (maxRuns < 2) return false;
  const noise = noiseOf(ledgerSamples(log).groups, [metric])[metric]!;
  return noise.df > 0 && noise.sd > 0;
}

/**
 * More runs of the incumbent due before the next experiment: a top-up after a keep (its runs
 * were few and selected for looking good, so they flatter it; it gets as many fresh runs as the
 * baseline had), and a re-run every `remeasure_every` experiments, which notices drift. Pure.
 */
export function remeasurePlan(
  decide: Config["decide"],
  log: Pick<ParsedLog, "results" | "remeasures" | "config">,
  metric: string,
  inc: IncumbentState,
): { reason: "top-up" | "schedule"; runs: number } | null {
  const lastIteration = log.results.at(-1)!.iteration;
  const fresh =
    inc.iteration === 0
      ? (inc.samples[metric]?.length ?? 0)
      : log.remeasures
          .filter((m) => m.iteration === inc.iteration)
          .reduce((n, m) => n + (m.samples[metric]?.length ?? 0), 0);
  // Measured in pairs, kept code runs once more right after its keep (eval-runs.ts,
  // AFTER_KEEP_RUNS), and its successors' pairs add more: no top-up.
  const topUp = pairedDecisions(decide, log, metric)
    ? 0
    : Math.max(0, decide.baseline_runs - fresh);
  const due =
    decide.remeasure_every > 0 && lastIteration - inc.measuredAfter >= decide.remeasure_every;
  if (topUp > 0) return { reason: "top-up", runs: topUp };
  if (due) return { reason: "schedule", runs: 1 };
  return null;
}

/**
 * Whether candidates are measured in pairs (decide.paired): confirmation on, a measured non-zero
 * noise, and an eval not judged deterministic (two agreeing runs decide those, unpaired). Pure.
 */
export function pairedDecisions(
  decide: Pick<Config["decide"], "paired" | "max_runs" | "confirm">,
  log: Pick<ParsedLog, "results" | "remeasures" | "config">,
  metric: string,
): boolean {
  return (
    decide.paired &&
    decide.confirm &&
    !judgedDeterministic(log.config) &&
    isSequential(log, metric, decide.max_runs)
  );
}
