import { ledgerStrata } from "../decide/ledger-strata.ts";
import { mean } from "../decide/stats.ts";
import type { ParsedLog } from "./log-jsonl.ts";

/**
 * For each experiment, its gain over the baseline (#0) as it reads on the same workers:
 * for each worker both ran on, the mean of its runs there less the baseline's there, the workers
 * weighted by how sure each difference is (1 / (1/n + 1/m) for n and m runs). Null where the
 * runs on record name at most one worker between them, or none that both ran on: there the plain
 * means compare like with like, or nothing better is known.
 *
 * Why: with several workers, the plain means of the baseline and the best mix their workers'
 * devices in different shares (the baseline ran alone on worker 0 first, the best was kept on
 * another's pairs), and on devices that read differently the difference of those means is not
 * the gain. On two workers 3 apart (tests/integration/strata.test.ts's night, a true gain of 2),
 * the plain means gave 1.57 to 4.07; the same night's pairs decided on gains within a worker.
 */
export function gainsOnSameWorkers(
  log: Pick<ParsedLog, "results" | "remeasures" | "config">,
  metric: string,
): (iteration: number) => number | null {
  const current = ledgerStrata(log, "worker").current;
  const base = current.get(0);
  return (iteration) => {
    const best = current.get(iteration);
    if (!base || !best) return null;
    const named = new Set(
      [...Object.keys(base), ...Object.keys(best)].filter((s) => s.startsWith("worker ")),
    );
    if (named.size < 2) return null;
    let weights = 0;
    let sum = 0;
    for (const worker of named) {
      const a = base[worker]?.[metric] ?? [];
      const b = best[worker]?.[metric] ?? [];
      if (a.length === 0 || b.length === 0) continue;
      const w = 1 / (1 / a.length + 1 / b.length);
      weights += w;
      sum += w * (mean(b) - mean(a));
    }
    return weights > 0 ? sum / weights : null;
  };
}
