import { firstPairAgrees } from "../decide/boundary.ts";
import { mean } from "../decide/stats.ts";
import { formatScore } from "./format-score.ts";
import type { ParsedLog } from "./log-jsonl.ts";
import { type Goal, isBetter } from "./types.ts";

// The cautions the dashboard and the PR give where a figure alone would mislead (summarize.ts
// puts them in the view's caveats).

/**
 * Keeps decided in pairs whose kept code, run once more right after its keep, read no better
 * than the incumbent's runs beside it. A real gain of the size a keep needs reads better there
 * about 97 times in 100; a change that does nothing, half the time. The test behind a keep takes
 * the candidate to be as noisy as the night, so a change that makes the eval noisier passes it
 * more often: a no-op that doubles the noise was kept 21% of the time, one that leaves it 2%
 * (bench/paired-model.ts --noisier 0.05:2, 20 nights); its next run is where that shows first.
 * A keep on its first pair is reopened by that run (engine/paired-screen.ts, reopenedBy: 16%);
 * a keep on more pairs, or kept again after reopening, is cautioned here. One sentence for all
 * of them; null when there is none.
 */
export function unconfirmedKeeps(
  log: Pick<ParsedLog, "results" | "remeasures">,
  metric: string,
  goal: Goal,
): string | null {
  const found: string[] = [];
  for (const r of log.results) {
    if (r.status !== "keep") continue;
    const after = log.remeasures.find(
      (m) => m.reason === "after-keep" && m.iteration === r.iteration,
    )?.samples[metric];
    // A first pair set aside, for its incumbent run standing off its bar (a step in the machine's
    // speed) or by a reopen (engine/evaluate-paired.ts): not one of the pairs that decided.
    const z = r.screen?.incumbent_z;
    const aside =
      r.screen?.reopened === true || (z !== undefined && !firstPairAgrees(z, r.screen!.against));
    const beside = log.remeasures
      .filter((m) => m.paired_with === r.iteration)
      .flatMap((m) => m.samples[metric] ?? [])
      .slice(aside ? 1 : 0);
    if (!after?.length || beside.length === 0) continue;
    const [a, b] = [mean(after), mean(beside)];
    if (isBetter(a, b, goal)) continue;
    found.push(`#${r.iteration} (${formatScore(a)} after its keep, ${formatScore(b)} beside it)`);
  }
  if (found.length === 0) return null;
  return `Kept in pairs, then not borne out by the run after the keep: ${found.join(", ")}, against the incumbent's runs beside it. A real gain of the size a keep needs reads better there almost always; a change that does nothing, half the time, and one that makes the eval noisier passes the keep's test more often than its confidence says. autoexp attribute measures each keep's effect on the final code.`;
}

/**
 * A caution when the code kept last reads worse than the baseline, unverified: each keep beat the
 * incumbent measured beside it, yet the headline's "best" is worse than where the night began (a
 * newcomer's noisy night showed `baseline 0.504844 → best 0.560886 (+11.10%)` on a metric to
 * minimise, with nothing to say so). Null when the best reads no worse, or nothing was kept.
 */
export function keptBehindBaseline(
  metric: string,
  goal: Goal,
  baseline: number | null,
  best: { iteration: number; score: number | null } | null,
): string | null {
  if (baseline === null || !best || best.score === null) return null;
  if (!isBetter(baseline, best.score, goal)) return null;
  return `The code kept last (#${best.iteration}) measures worse than the baseline: ${metric} ${formatScore(best.score)} against ${formatScore(baseline)} (${goal === "minimize" ? "lower" : "higher"} is better), though each keep beat the incumbent measured beside it. Their runs were made at different times, and kept gains can be noise: run autoexp verify to measure the final code against the base in pairs before merging.`;
}

/**
 * A results.tsv whose kept rows end on the wrong side of its first row for `goal`: the file does
 * not say which way is better, and the goal given (or defaulted) is likely the other one.
 */
export function wrongWay(
  metric: string,
  goal: Goal,
  baseline: number | null,
  best: { score: number | null } | null,
): string[] {
  if (baseline === null || !best || best.score === null) return [];
  if (!isBetter(baseline, best.score, goal)) return [];
  const other = goal === "minimize" ? "maximize" : "minimize";
  return [
    `The kept rows move ${metric} the other way from the goal: ${formatScore(baseline)} on the first row, ${formatScore(best.score)} on the last kept one, with ${goal} as the goal. A results.tsv does not say which way is better: if ${goal === "minimize" ? "higher" : "lower"} is, give --goal ${other}.`,
  ];
}
