import type { Config } from "../config/schema.ts";
import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { rowsSince } from "../ledger/record-order.ts";
import type { ResultEntry } from "../ledger/types.ts";
import { judgedDeterministic } from "./determinism.ts";
import type { IncumbentState } from "./ledger-state.ts";
import { ledgerSamples, noiseOf } from "./ledger-state.ts";
import { quantile } from "./stats.ts";

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
 * Measured in pairs, the scheduled re-run comes at the latest every this many times
 * `remeasure_every` experiments, and sooner when first runs read low (firstRunsReadLow).
 */
export const PAIRED_BACKSTOP = 4;
/** First runs in a row, each under the night's LOW_QUANTILE, that bring the re-run forward. */
export const LOW_RUNS = 2;
export const LOW_QUANTILE = 0.15;
/** First runs before those the night must have had to read "low" by; fewer: the fixed schedule. */
export const LOW_HISTORY = 10;

/**
 * More runs of the incumbent due before the next experiment: a top-up after a keep (its runs
 * were few and selected for looking good, so they flatter it; it gets as many fresh runs as the
 * baseline had), and a re-run every `remeasure_every` experiments, which notices drift.
 *
 * Measured in pairs, the re-run is spent where drift would cost: a machine that speeds up makes
 * first runs pass the screen, and their pairs run the incumbent anyway (those runs count as its
 * re-measures); one that slows down makes every first run read low against a bar it left behind,
 * and real gains are discarded on their first run until the incumbent runs again. So the re-run
 * comes as soon as the latest LOW_RUNS first runs since the incumbent last ran each read under
 * the night's LOW_QUANTILE of first runs (about 1 candidate in 40 on a steady machine, at once
 * after a step large enough for a re-run to notice), and at the latest every PAIRED_BACKSTOP x
 * remeasure_every experiments; before the night has LOW_HISTORY first runs, every
 * remeasure_every. Pure.
 */
export function remeasurePlan(
  decide: Config["decide"],
  log: Pick<ParsedLog, "results" | "remeasures" | "config">,
  metric: string,
  inc: IncumbentState,
): { reason: "top-up" | "schedule"; runs: number } | null {
  const fresh =
    inc.iteration === 0
      ? (inc.samples[metric]?.length ?? 0)
      : log.remeasures
          .filter((m) => m.iteration === inc.iteration)
          .reduce((n, m) => n + (m.samples[metric]?.length ?? 0), 0);
  // Measured in pairs, kept code runs once more right after its keep (eval-runs.ts,
  // AFTER_KEEP_RUNS), and its successors' pairs add more: no top-up.
  const paired = pairedDecisions(decide, log, metric);
  const topUp = paired ? 0 : Math.max(0, decide.baseline_runs - fresh);
  const every = decide.remeasure_every;
  const since = rowsSince(log.results, inc.measuredAfter);
  const low = paired ? firstRunsReadLow(log.results, inc.measuredAfter) : null;
  const due =
    every > 0 && (low === null ? since >= every : since >= every * PAIRED_BACKSTOP || low);
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

/**
 * Whether the latest LOW_RUNS screened first runs all came after experiment `after` (the
 * incumbent's last run) and each read under the LOW_QUANTILE of the night's screened first runs
 * before them (their `screen.z`, a gain in run sds against the bar they met); null while the
 * night has fewer than LOW_HISTORY of those. Pure.
 */
export function firstRunsReadLow(
  results: readonly Pick<ResultEntry, "iteration" | "screen">[],
  after: number,
): boolean | null {
  const zs: { at: number; z: number }[] = [];
  // In record order: with several workers a keep may be recorded ahead of rows begun before it.
  const from = results.length - rowsSince(results, after);
  results.forEach((r, i) => {
    if (r.screen) zs.push({ at: i, z: r.screen.z });
  });
  const history = zs.slice(0, -LOW_RUNS).map((x) => x.z);
  if (history.length < LOW_HISTORY) return null;
  const latest = zs.slice(-LOW_RUNS);
  const bar = quantile(
    history.sort((a, b) => a - b),
    LOW_QUANTILE,
  );
  return latest[0]!.at >= from && latest.every((x) => x.z < bar);
}
