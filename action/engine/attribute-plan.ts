import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { rowsThrough } from "../ledger/record-order.ts";
import type { ResultEntry } from "../ledger/types.ts";

/** A kept change to attribute: its commit, built on the record commit before it. */
export interface KeptChange {
  iteration: number;
  commit: string;
  description: string;
}

/** What `autoexp attribute` will cost: eval runs and eval seconds (GPU time on a GPU runner). */
export interface AttributeEstimate {
  changes: number;
  pairs: number;
  /** pairs × changes × 2 (final, then without the change). */
  runs: number;
  /** Mean seconds of one eval run in this tag's ledger (null: nothing measured yet). */
  meanEvalSeconds: number | null;
  /** runs × meanEvalSeconds (null when the mean is unknown). */
  seconds: number | null;
}

/** The kept changes (keep, simplification) up to the final code, oldest first. Pure. */
export function keptChanges(
  results: readonly Pick<ResultEntry, "iteration" | "status" | "commit_full" | "description">[],
  finalIteration: number,
): KeptChange[] {
  return rowsThrough(results, finalIteration).flatMap((r) =>
    (r.status === "keep" || r.status === "simplification") && r.commit_full
      ? [{ iteration: r.iteration, commit: r.commit_full, description: r.description }]
      : [],
  );
}

/**
 * Mean seconds of one eval run in the ledger: every result's and re-measure's eval time over the
 * runs behind it (a row's `eval_seconds` covers all its samples). Pure.
 */
export function meanEvalSeconds(log: Pick<ParsedLog, "results" | "remeasures">, metric: string) {
  let seconds = 0;
  let runs = 0;
  for (const r of [...log.results, ...log.remeasures]) {
    const n = r.samples[metric]?.length ?? 0;
    if (n === 0 || !(r.eval_seconds > 0)) continue;
    seconds += r.eval_seconds;
    runs += n;
  }
  return runs > 0 ? seconds / runs : null;
}

/** The cost of attributing `changes` kept changes with `pairs` pairs each. Pure. */
export function estimateAttribution(
  changes: number,
  pairs: number,
  meanSeconds: number | null,
): AttributeEstimate {
  const runs = pairs * changes * 2;
  return {
    changes,
    pairs,
    runs,
    meanEvalSeconds: meanSeconds,
    seconds: meanSeconds === null ? null : runs * meanSeconds,
  };
}

/** "40 eval runs (5 changes × 4 pairs × 2), about 13 min of eval time at 20 s a run". */
export function formatEstimate(e: AttributeEstimate): string {
  const runs = `${e.runs} eval runs (${e.changes} change${e.changes === 1 ? "" : "s"} × ${e.pairs} pairs × 2)`;
  if (e.seconds === null || e.meanEvalSeconds === null)
    return `${runs}; the ledger has no eval time to estimate from`;
  return `${runs}, about ${formatDuration(e.seconds)} of eval time at ${formatDuration(e.meanEvalSeconds)} a run`;
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Number(seconds.toPrecision(2))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Number((seconds / 3600).toPrecision(2))} h`;
}
