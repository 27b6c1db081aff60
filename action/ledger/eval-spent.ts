import type { ParsedLog } from "./log-jsonl.ts";

/** Where a ledger's eval runs went (runs that gave the metric), by what each was for. */
export interface RunsSpent {
  /** The experiments' own runs: first runs, second looks, their side of pairs, confirmations. */
  candidates: number;
  baseline: number;
  /**
   * The incumbent's runs beside candidates (its side of pairs) or branch points, and on a worker
   * new to it.
   */
  beside: number;
  /** Kept code's runs right after its keep. */
  afterKeeps: number;
  /** Branch points' own runs, measured beside the incumbent (strategy branch). */
  branchPoints: number;
  /** The incumbent's other runs: top-ups, scheduled re-runs, drift checks, config changes. */
  rerun: number;
  /** Candidates' runs in evaluations a keep elsewhere left behind (rows' `reapplied`). */
  leftBehind: number;
  /** The runs of candidates found duplicates only when recorded (rows' `ran`). */
  duplicates: number;
}

/** What a ledger's eval runs cost, defined once for the dashboard, the PR and the job summary. */
export interface EvalSpent {
  /**
   * Eval time of every run on record: experiments (a duplicate's own runs included), re-measures,
   * verify, and runs left behind.
   */
  seconds: number;
  /**
   * The eval time of the candidates' runs in evaluations a keep elsewhere left behind (several
   * workers or proposers: a row's `reapplied` entries; their count is `runs.leftBehind`): runs
   * that decided nothing, shown so a reviewer sees what they cost.
   */
  leftBehindSeconds: number;
  /** Every run of the experiment loop on record (verify's not among them), by what it was for. */
  runs: RunsSpent;
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
  const count = (s: Record<string, number[]> | undefined) => s?.[metric]?.length ?? 0;
  let seconds = 0;
  let leftBehindSeconds = 0;
  const runs: RunsSpent = {
    candidates: 0,
    baseline: 0,
    beside: 0,
    afterKeeps: 0,
    branchPoints: 0,
    rerun: 0,
    leftBehind: 0,
    duplicates: 0,
  };
  for (const r of log.results.filter(from)) {
    seconds += (r.eval_seconds || 0) + (r.ran?.eval_seconds || 0);
    runs[r.status === "baseline" ? "baseline" : "candidates"] += count(r.samples);
    runs.duplicates += count(r.ran?.samples);
    for (const left of r.reapplied ?? []) {
      runs.leftBehind += count(left.samples);
      leftBehindSeconds += left.eval_seconds || 0;
    }
  }
  for (const m of log.remeasures.filter(from)) {
    seconds += m.eval_seconds || 0;
    const kind =
      m.beside?.point === m.iteration
        ? "branchPoints"
        : m.paired_with !== undefined || m.reason === "concurrent" || m.reason === "branch"
          ? "beside"
          : m.reason === "after-keep"
            ? "afterKeeps"
            : "rerun";
    runs[kind] += count(m.samples);
  }
  for (const v of (log.verifies ?? []).filter(from)) seconds += v.eval_seconds || 0;
  return { seconds: seconds + leftBehindSeconds, leftBehindSeconds, runs };
}

/** All the runs `evalSpent` counted. */
export function totalRuns(runs: RunsSpent): number {
  return Object.values(runs).reduce((a, b) => a + b, 0);
}
