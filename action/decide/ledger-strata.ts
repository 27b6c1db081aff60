import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { type LedgerRuns, ledgerRuns, type RunsView, screenBar, withLevel } from "./ledger-runs.ts";
import { type CompareWithin, mergeStrata, type StrataSamples, splitByStratum } from "./strata.ts";

/**
 * The ledger's samples split by stratum (see strata.ts): each experiment's current runs per
 * stratum (re-measures merged in, a drift reset retiring what came before), and every group of
 * runs of one unchanged program on one stratum, for the noise within strata. Pure.
 */
export type LedgerStrata = LedgerRuns<StrataSamples>;

type Log = Pick<ParsedLog, "results" | "remeasures">;

const VIEWS = new Map<CompareWithin, RunsView<StrataSamples>>();

function viewBy(within: CompareWithin): RunsView<StrataSamples> {
  let view = VIEWS.get(within);
  if (!view) {
    view = {
      key: `strata by ${within}`,
      of: (samples, runsOn) => splitByStratum(samples, runsOn, within),
      merge: mergeStrata,
      groups: (strata) => Object.values(strata),
    };
    VIEWS.set(within, view);
  }
  return view;
}

/** The ledger's samples by stratum, read as ledgerSamples reads them (ledger-runs.ts). */
export function ledgerStrata(log: Log, within: CompareWithin): LedgerStrata {
  return ledgerRuns(log, viewBy(within));
}

/**
 * The incumbent's bar by stratum (ledger-runs.ts, screenBar), else its runs as incumbentStrata;
 * with its level on each stratum its row has one for (ledger-runs.ts, withLevel).
 */
export function barStrata(
  log: Log,
  within: CompareWithin,
  iteration: number,
  metric: string,
): StrataSamples {
  const runs = ledgerStrata(log, within);
  const bar =
    screenBar(runs, viewBy(within), iteration) ?? incumbentStrata(log, within, iteration, metric);
  const row = log.results.findLast((r) => r.iteration === iteration);
  const current = runs.current.get(iteration);
  const strata = new Set([...Object.keys(bar), ...Object.keys(row?.level?.strata ?? {})]);
  return Object.fromEntries(
    [...strata].map((s) => [s, withLevel(bar[s] ?? {}, row, runs, within, s, current?.[s])]),
  );
}

/** The incumbent's runs by stratum (its row's score in the serial stratum when it has no samples). */
export function incumbentStrata(
  log: Log,
  within: CompareWithin,
  iteration: number,
  metric: string,
): StrataSamples {
  const found = ledgerStrata(log, within).current.get(iteration);
  if (found) return found;
  const score = log.results.findLast((r) => r.iteration === iteration)?.score;
  return score === null || score === undefined
    ? {}
    : splitByStratum({ [metric]: [score] }, undefined, within);
}
