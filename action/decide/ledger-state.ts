import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { KEPT, type ResultEntry } from "../ledger/types.ts";
import { type LedgerRuns, ledgerRuns, type RunsView, screenBar, withLevel } from "./ledger-runs.ts";
import { type Noise, pooledNoise } from "./noise.ts";
import type { Samples } from "./policy.ts";
import { mean } from "./stats.ts";

type MutableSamples = Record<string, number[]>;

/** The samples the ledger holds, per experiment, with re-measures merged in. Pure. */
export type LedgerSamples = LedgerRuns<MutableSamples>;

/** Every run of one code together (ledgerStrata splits them by stratum). */
const POOLED: RunsView<MutableSamples> = {
  key: "pooled",
  of: (samples) => clone(samples),
  merge: (into, more) => {
    const out = clone(into);
    for (const [name, values] of Object.entries(more))
      out[name] = [...(out[name] ?? []), ...values];
    return out;
  },
  groups: (runs) => [runs],
};

/** The ledger's samples, every run of one code together (ledger-runs.ts). */
export function ledgerSamples(log: Pick<ParsedLog, "results" | "remeasures">): LedgerSamples {
  return ledgerRuns(log, POOLED);
}

/**
 * Runs made of code kept in pairs right after its keep, outside the decision (engine/eval-runs.ts,
 * afterKeepRuns, recorded as its "after-keep" re-measure). The runs it was kept on were
 * chosen by the stopping rule: a keep comes when they happen to look good, so their mean stands
 * above the code's truth (0.7 run sds on bench/noise). Kept code is scored on its runs made after
 * the keep: this one, the incumbent's side of later pairs, re-measures. Later candidates are
 * screened against those, after its level (ledger-runs.ts, screenBar and withLevel: one run is
 * too few for a bar). One run, because the pairs that follow add more at no extra cost.
 */
export const AFTER_KEEP_RUNS = 1;

function clone(s: Samples): MutableSamples {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, [...v]]));
}

/** Pooled noise of each named metric over the groups. */
export function noiseOf(
  groups: readonly Samples[],
  metrics: readonly string[],
): Record<string, Noise> {
  return Object.fromEntries(metrics.map((m) => [m, pooledNoise(groups.map((g) => g[m] ?? []))]));
}

export interface IncumbentState {
  iteration: number;
  commit: string;
  /** The mean of all its current samples: never its luckiest run. */
  score: number;
  samples: MutableSamples;
  /**
   * The runs a candidate's first run is screened against (ledger-runs.ts, screenBar, withLevel):
   * its samples, after its level (or the runs it was kept on) where it was kept in pairs.
   */
  bar: MutableSamples;
  /**
   * Its row's level (ResultEntry.level) where it was kept in pairs with one and no drift reset
   * has replaced its runs since: what the night knows of it, for the next keep's level.
   */
  level?: NonNullable<ResultEntry["level"]>;
  /** The last experiment after which it was measured (its own, or a re-measure's). */
  measuredAfter: number;
}

/**
 * The last kept row with a score. A ledger only grows, so the search resumes where the last one
 * for the same rows ended: a long plateau is not walked back over at every experiment.
 */
const KEPT_AT = new WeakMap<readonly ResultEntry[], { length: number; index: number }>();
export function lastKept(results: readonly ResultEntry[]): ResultEntry | undefined {
  const isKept = (r: ResultEntry) => KEPT.has(r.status) && r.score !== null;
  const seen = KEPT_AT.get(results);
  // Rows only appended since, and the row found then still the same: look at the new rows only.
  let index = -1;
  if (seen && seen.length <= results.length && (seen.index < 0 || isKept(results[seen.index]!))) {
    index = seen.index;
    for (let i = results.length - 1; i >= seen.length; i--)
      if (isKept(results[i]!)) {
        index = i;
        break;
      }
  } else index = results.findLastIndex(isKept);
  KEPT_AT.set(results, { length: results.length, index });
  return index < 0 ? undefined : results[index];
}

/** The incumbent: the last kept experiment, with every run it has had. */
export function incumbentState(
  log: Pick<ParsedLog, "results" | "remeasures" | "config">,
  samples: LedgerSamples = ledgerSamples(log),
): IncumbentState | null {
  const row = lastKept(log.results);
  if (!row) return null;
  const metric = log.config?.metric ?? "score";
  const s = clone(samples.current.get(row.iteration) ?? { [metric]: [row.score!] });
  const values = s[metric] ?? [row.score!];
  const last = log.remeasures.findLast((m) => m.iteration === row.iteration);
  return {
    iteration: row.iteration,
    // The full id where the row has it: git reads it without resolving, and it caches by it.
    commit: row.commit_full ?? row.commit,
    score: mean(values),
    samples: s,
    bar: clone(
      withLevel(
        screenBar(samples, POOLED, row.iteration) ?? s,
        row,
        samples,
        "any",
        "all",
        samples.current.get(row.iteration),
      ),
    ),
    ...(row.level && !samples.reset.has(row.iteration) ? { level: row.level } : {}),
    // Its re-measures come after its row in the record (iterations may not: recordAhead).
    measuredAfter: last?.after ?? row.iteration,
  };
}

/**
 * `parent` as the ledger holds it now, where a drift reset (or the first re-measure of code kept
 * in pairs) has since replaced the runs `parent` was read with: a candidate begun before the
 * reset and evaluated after it (pipelined) is screened against the bar the machine has now, not
 * one a slow-down has left behind, which would discard a real gain on its first run. Otherwise
 * `parent` itself: a keep since (a different incumbent) is the scheduler's to re-apply, and runs
 * merely added since leave the candidate as it began.
 */
export function sinceReset(
  log: Pick<ParsedLog, "results" | "remeasures" | "config">,
  parent: IncumbentState,
): IncumbentState {
  const now = incumbentState(log);
  if (!now || now.iteration !== parent.iteration) return parent;
  const metric = log.config?.metric ?? "score";
  const was = parent.samples[metric] ?? [];
  const is = now.samples[metric] ?? [];
  return was.every((v, i) => Object.is(is[i], v)) ? parent : now;
}
