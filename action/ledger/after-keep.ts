import { mean } from "../decide/stats.ts";
import { formatScore } from "./format-score.ts";
import type { ParsedLog } from "./log-jsonl.ts";
import { type Goal, isBetter } from "./types.ts";

/**
 * Keeps decided in pairs whose kept code, run once more right after its keep, read no better
 * than the incumbent's runs beside it: the one run a keep on its first pair has not yet been
 * judged on. A real gain of the size such a keep needs reads better there about 97 times in 100;
 * a change that does nothing, half the time. The test behind a keep takes the candidate to be as
 * noisy as the night, so a change that makes the eval noisier passes it more often: a no-op that
 * doubles the noise was kept 27% of the time, one that leaves it 2% (bench/paired-model.ts
 * --noisier 0.05:2, 10 nights); its next run is where that shows first. A caution, one sentence
 * for all of them; null when there is none.
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
    const beside = log.remeasures
      .filter((m) => m.paired_with === r.iteration)
      .flatMap((m) => m.samples[metric] ?? []);
    if (!after?.length || beside.length === 0) continue;
    const [a, b] = [mean(after), mean(beside)];
    if (isBetter(a, b, goal)) continue;
    found.push(`#${r.iteration} (${formatScore(a)} after its keep, ${formatScore(b)} beside it)`);
  }
  if (found.length === 0) return null;
  return `Kept in pairs, then not borne out by the run after the keep: ${found.join(", ")}, against the incumbent's runs beside it. A real gain of the size a keep needs reads better there almost always; a change that does nothing, half the time, and one that makes the eval noisier passes the keep's test more often than its confidence says. autoexp attribute measures each keep's effect on the final code.`;
}
