import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { screenedRuns } from "./ledger-runs.ts";
import type { Noise } from "./noise.ts";
import { sumSquares } from "./stats.ts";

/**
 * The spread of paired differences (candidate minus the incumbent measured beside it) pooled over
 * the night's candidates with two or more such pairs: each candidate's differences about their
 * own mean. With common random numbers (a harness that seeds by AUTOEXP_SEED) it is smaller than
 * twice the run-to-run variance, and the paired test uses it once it has enough degrees of
 * freedom (compare.ts, PAIR_NOISE_DF). Pure.
 *
 * A screened candidate's first pair (its last screened run and the incumbent's beside it) is left
 * out: that run was chosen for passing the screen, and since a keep can come on the first pair,
 * the trials that go on past it are chosen by it too. Counted in, the trials whose first
 * difference stood out are the ones missing (kept on it), and the spread read 1.22 to 1.31 on a
 * night whose truth is 1.41 (bench/noise, one kept night): every t the paired test took was 12%
 * too large. After a second look the candidate's first run is in no pair: its pairs start at its
 * second run.
 */
export function pairNoise(
  log: Pick<ParsedLog, "results" | "remeasures">,
  metrics: readonly string[],
): Record<string, Noise> {
  const rows = new Map(log.results.map((r) => [r.iteration, r]));
  const out: Record<string, Noise> = {};
  for (const metric of metrics) {
    let ss = 0;
    let df = 0;
    for (const m of log.remeasures) {
      if (m.paired_with === undefined) continue;
      const row = rows.get(m.paired_with);
      const cand = row?.samples?.[metric];
      const inc = m.samples[metric];
      if (!cand || !inc) continue;
      // The candidate's side of the first pair, and how many pairs to leave out from the start.
      const first = row!.screen ? screenedRuns(row!.screen) - 1 : 0;
      const skip = row!.screen ? 1 : 0;
      const n = Math.min(cand.length - first, inc.length);
      if (n - skip < 2) continue;
      const d = Array.from(
        { length: n - skip },
        (_, i) => cand[first + skip + i]! - inc[skip + i]!,
      );
      if (!d.every(Number.isFinite)) continue;
      ss += sumSquares(d);
      df += d.length - 1;
    }
    out[metric] = { sd: df > 0 ? Math.sqrt(ss / df) : 0, df, robustSd: null };
  }
  return out;
}
