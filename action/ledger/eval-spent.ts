import type { ParsedLog } from "./log-jsonl.ts";

/** What a ledger's eval runs cost, defined once for the dashboard and the job summary. */
export interface EvalSpent {
  /**
   * Eval time of every run on record: experiments (a duplicate's own runs included), re-measures,
   * verify, and runs left behind.
   */
  seconds: number;
  /**
   * The candidates' runs in evaluations a keep elsewhere left behind (several workers or
   * proposers: a row's `reapplied` entries): runs that decided nothing, shown so a reviewer sees
   * what they cost. Runs that gave the metric.
   */
  leftBehind: { runs: number; seconds: number };
}

/**
 * The eval time a ledger records, all of it or (`since`, an ISO timestamp) what was recorded from
 * then on: each experiment's runs (`ran` too), its evaluations left behind, the incumbents' runs
 * (beside candidates, after keeps, re-measures) and `autoexp verify`'s.
 */
export function evalSpent(
  log: Pick<ParsedLog, "results" | "remeasures" | "verifies">,
  metric: string,
  since?: string,
): EvalSpent {
  const from = (e: { timestamp: string }) => since === undefined || e.timestamp >= since;
  let seconds = 0;
  const leftBehind = { runs: 0, seconds: 0 };
  for (const r of log.results.filter(from)) {
    seconds += (r.eval_seconds || 0) + (r.ran?.eval_seconds || 0);
    for (const left of r.reapplied ?? []) {
      leftBehind.runs += left.samples?.[metric]?.length ?? 0;
      leftBehind.seconds += left.eval_seconds || 0;
    }
  }
  for (const m of log.remeasures.filter(from)) seconds += m.eval_seconds || 0;
  for (const v of (log.verifies ?? []).filter(from)) seconds += v.eval_seconds || 0;
  return { seconds: seconds + leftBehind.seconds, leftBehind };
}
