import type { ParsedLog } from "../ledger/log-jsonl.ts";
import type { Noise } from "./noise.ts";
import { sumSquares } from "./stats.ts";

/**
 * The spread of paired differences (candidate minus the incumbent measured beside it) pooled over
 * the night's candidates with two or more pairs: each candidate's differences about their own
 * mean. With common random numbers (a harness that seeds by AUTOEXP_SEED) it is smaller than
 * twice the run-to-run variance, and the paired test uses it once it has enough degrees of
 * freedom (compare.ts, PAIR_NOISE_DF). Pure.
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
      const cand = rows.get(m.paired_with)?.samples?.[metric];
      const inc = m.samples[metric];
      if (!cand || !inc) continue;
      const n = Math.min(cand.length, inc.length);
      if (n < 2) continue;
      const d = Array.from({ length: n }, (_, i) => cand[i]! - inc[i]!);
      if (!d.every(Number.isFinite)) continue;
      ss += sumSquares(d);
      df += n - 1;
    }
    out[metric] = { sd: df > 0 ? Math.sqrt(ss / df) : 0, df, robustSd: null };
  }
  return out;
}
