import { plural } from "./format-score.ts";
import type { LedgerView, ViewRow } from "./summarize.ts";
import type { Goal } from "./types.ts";

/**
 * The night's figures, defined once for every surface (dashboard.md, progress.svg, the Mermaid
 * chart, the job summary, `autoexp status`, the PR and the `/autoexp status` answer):
 *
 * - experiments: the rows after the baseline, whatever their status (a duplicate and a crash
 *   are experiments; the baseline is the measurement they are compared with, not one of them);
 * - kept: the experiments with status keep or simplification (the baseline is not counted);
 * - change (Δ): a value minus the one it is compared with, in the metric's units, with the sign
 *   the metric moves (−0.02 is lower); the change baseline → best also in percent;
 * - gain: the improvement, positive = better, in the metric's units (what the judge, verify,
 *   attribute and split compute); shown only as the change it means (`changeOfGain`), so a kept
 *   row's Δ and its interval, verify's and split's figures all read with one sign.
 */
export interface NightFigures {
  experiments: number;
  kept: number;
  /** Experiments by status (the baseline not among them); they add up to `experiments`. */
  counts: Record<string, number>;
  baseline: number | null;
  /** The incumbent's score (the last kept experiment, or the baseline when nothing was kept). */
  best: number | null;
  /** The experiment that holds `best` (0: the baseline), and its commit. */
  bestIteration: number | null;
  bestCommit: string;
  /** best − baseline, in metric units; null when either is missing. */
  change: number | null;
  /** `change` in percent of |baseline|; null when the baseline is missing or zero. */
  changePercent: number | null;
}

/** An experiment whose code was kept (the baseline is not an experiment). */
export function isKeptExperiment(row: Pick<ViewRow, "status">): boolean {
  return row.status === "keep" || row.status === "simplification";
}

/** The rows that are experiments: all but the baseline. */
export function experimentRows<T extends Pick<ViewRow, "status">>(rows: readonly T[]): T[] {
  return rows.filter((r) => r.status !== "baseline");
}

/** The night's figures from its view (see NightFigures for the definitions). */
export function nightFigures(view: LedgerView): NightFigures {
  const experiments = experimentRows(view.rows);
  const counts: Record<string, number> = {};
  for (const r of experiments) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const best = view.best?.score ?? null;
  const change = view.baseline !== null && best !== null ? best - view.baseline : null;
  return {
    experiments: experiments.length,
    kept: experiments.filter(isKeptExperiment).length,
    counts,
    baseline: view.baseline,
    best,
    bestIteration: view.best?.iteration ?? null,
    bestCommit: view.best?.commit ?? "",
    change,
    changePercent:
      change !== null && view.baseline !== null && view.baseline !== 0
        ? (change / Math.abs(view.baseline)) * 100
        : null,
  };
}

/** A gain (positive = better) as the change of the metric it means, in metric units. */
export function changeOfGain(gain: number, goal: Goal): number {
  return goal === "minimize" ? -gain : gain;
}

/** An interval of a gain as the interval of the change, low end first. */
export function changeInterval(ci: readonly [number, number], goal: Goal): [number, number] {
  const [a, b] = [changeOfGain(ci[0], goal), changeOfGain(ci[1], goal)];
  return a <= b ? [a, b] : [b, a];
}

/** "1 experiment", "9 experiments". */
export function experimentsText(n: number): string {
  return plural(n, "experiment");
}

/**
 * What chance alone would keep, for a night that kept something and is not verified: each keep's
 * test keeps a change that does nothing at most 1 − confidence of the time, so among the
 * candidates judged (kept or discarded on their measure) about that share would be kept if none
 * helped. A noisy night of changes that did nothing showed "3 kept, each after a test at 95%
 * confidence", and nothing said that 40 candidates make 2 such keeps the expected luck. Null on
 * a deterministic eval (a keep needs two runs that agree), when verified, or with nothing kept.
 */
export function chanceKeepsNote(view: LedgerView): string | null {
  if (view.verified || view.confidence === null) return null;
  if (view.deterministic && view.noise === 0) return null;
  const experiments = experimentRows(view.rows);
  const kept = experiments.filter(isKeptExperiment).length;
  if (kept === 0) return null;
  const judged = experiments.filter((r) => isKeptExperiment(r) || r.status === "discard").length;
  const share = 1 - view.confidence;
  const expected = Number((judged * share).toFixed(1));
  return `A keep's test keeps a change that does nothing at most ${Number((share * 100).toPrecision(3))}% of the time: had none of the ${judged} candidates judged here helped, up to about ${expected} of them could have been kept by chance (${kept} ${kept === 1 ? "was" : "were"}). \`autoexp verify\` measures the final code against the base.`;
}
