import { fmt } from "./fmt.ts";
import { type Noise, pooledNoise } from "./noise.ts";
import type { Objective, Samples } from "./policy.ts";
import { agree } from "./stats.ts";

/**
 * Deterministic evals (see README, "Deciding under noise"). An eval is judged deterministic when
 * its baseline's repeated runs agreed exactly (the ledger header's noise is 0). Pure.
 *
 * - A keep then needs at least two runs of the candidate that agree (one run is a discard when
 *   it is not better; one that looks better gets a second).
 * - Runs of one candidate that disagree, compared with an incumbent whose own runs agree, are
 *   the candidate's nondeterminism, not the eval's: the row is marked `nondeterministic` and the
 *   candidate is not kept on them. Code that prints a better score in some of its runs is
 *   exactly that.
 * - Those runs are also evidence that the eval's runs can differ after all: from then on the
 *   noise is no longer zero and candidates are judged by the noisy rule. Its noise is the spread
 *   seen (`noiseSeen`), pooled over the runs of code whose runs disagreed only: runs that agree
 *   exactly show that their code is deterministic, not that other code's runs vary little, so
 *   the baseline's identical runs do not shrink the estimate.
 */

/** Whether a ledger header says the eval was judged deterministic (baseline runs all equal). */
export function judgedDeterministic(header: { noise: number | null } | null | undefined): boolean {
  return header?.noise === 0;
}

/**
 * How many runs of the incumbent a stratum (a worker, a device kind) needs before a candidate
 * there is compared with it: `baselineRuns`, or two for an eval judged deterministic whose runs
 * of unchanged code have all agreed so far (`groups`): two runs that agree show its value there,
 * more would only agree again. With `baselineRuns` a stratum, the demo's eval on two workers spent
 * 105 incumbent runs beside 40 candidate runs over 30 experiments. Pure.
 */
export function incumbentRunsNeeded(
  baselineRuns: number,
  header: { noise: number | null } | null | undefined,
  groups: readonly Samples[],
  metric: string,
): number {
  if (!judgedDeterministic(header)) return baselineRuns;
  return noiseSeen(groups, [metric], true)[metric]!.sd === 0
    ? Math.min(2, baselineRuns)
    : baselineRuns;
}

/**
 * The noise of each named metric over the groups of runs of unchanged code. For an eval judged
 * deterministic, the spread seen: pooled over the groups whose runs disagree, or over all (sd 0)
 * while none has.
 */
export function noiseSeen(
  groups: readonly Samples[],
  metrics: readonly string[],
  deterministic: boolean,
): Record<string, Noise> {
  return Object.fromEntries(
    metrics.map((m) => {
      const all = groups.map((g) => g[m] ?? []);
      const spread = deterministic ? all.filter((g) => !agree(g.filter(Number.isFinite))) : [];
      return [m, pooledNoise(spread.length > 0 ? spread : all)];
    }),
  );
}

/**
 * Why a candidate is nondeterministic (null when it is not): in an eval judged deterministic, a
 * decisive objective on which the candidate's runs disagree while the incumbent's agree.
 */
export function nondeterminism(
  objectives: readonly Objective[],
  incumbent: Samples,
  candidate: Samples,
): string | null {
  for (const o of objectives) {
    const cand = candidate[o.name] ?? [];
    const inc = incumbent[o.name] ?? [];
    if (cand.length < 2 || agree(cand) || inc.length === 0 || !agree(inc)) continue;
    const values = [...new Set(cand)].map(fmt).join(", ");
    return `runs of the same code disagree (${o.name} ${values} in ${cand.length} runs) where the incumbent's ${inc.length} run(s) all gave ${fmt(inc[0]!)}, in an eval judged deterministic: nondeterministic, not kept on them`;
  }
  return null;
}
