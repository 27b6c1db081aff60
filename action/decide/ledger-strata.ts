import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { keptInPairs } from "./ledger-state.ts";
import type { Samples } from "./policy.ts";
import { type CompareWithin, mergeStrata, type StrataSamples, splitByStratum } from "./strata.ts";

/**
 * The ledger's samples split by stratum (see strata.ts): each experiment's current runs per
 * stratum (re-measures merged in, a drift reset retiring what came before), and every group of
 * runs of one unchanged program on one stratum, for the noise within strata. Pure.
 */
export interface LedgerStrata {
  current: Map<number, StrataSamples>;
  groups: Samples[];
}

type Log = Pick<ParsedLog, "results" | "remeasures">;

interface Seen {
  within: CompareWithin;
  remeasures: readonly unknown[];
  results: number;
  remeasured: number;
  current: Map<number, StrataSamples>;
  retired: Samples[];
  /** Kept in pairs, no re-measure yet (ledger-state.ts, keptInPairs). */
  chosen: Set<number>;
}
const SEEN = new WeakMap<readonly unknown[], Seen>();

/**
 * The ledger's samples by stratum. A ledger only grows, so what was read of it is remembered and
 * only lines added since are read (as ledgerSamples does). Callers must not modify the result.
 */
export function ledgerStrata(log: Log, within: CompareWithin): LedgerStrata {
  let seen = SEEN.get(log.results);
  const grown =
    seen &&
    seen.within === within &&
    seen.remeasures === log.remeasures &&
    seen.results <= log.results.length &&
    seen.remeasured <= log.remeasures.length &&
    !log.results.slice(seen.results).some((r) => seen!.current.has(r.iteration));
  if (!seen || !grown) {
    seen = {
      within,
      remeasures: log.remeasures,
      results: 0,
      remeasured: 0,
      current: new Map(),
      retired: [],
      chosen: new Set(),
    };
    SEEN.set(log.results, seen);
  }
  const { current, retired, chosen } = seen;
  for (const r of log.results.slice(seen.results)) {
    if (!r.samples || Object.keys(r.samples).length === 0) continue;
    current.set(r.iteration, splitByStratum(r.samples, r.runs_on, within));
    if (keptInPairs(r)) chosen.add(r.iteration);
  }
  for (const m of log.remeasures.slice(seen.remeasured)) {
    const cur = current.get(m.iteration);
    const fresh = splitByStratum(m.samples, m.runs_on, within);
    // Kept in pairs: the runs made after its keep replace those it was kept on.
    const replace = m.reset || chosen.delete(m.iteration);
    if (replace && cur) retired.push(...Object.values(cur));
    current.set(m.iteration, replace || !cur ? fresh : mergeStrata(cur, fresh));
  }
  seen.results = log.results.length;
  seen.remeasured = log.remeasures.length;
  const groups: Samples[] = [...retired];
  for (const strata of current.values()) groups.push(...Object.values(strata));
  return { current, groups };
}

/** The incumbent's runs by stratum (its row's score in the serial stratum when it has no samples). */
export function incumbentStrata(
  log: Log,
  within: CompareWithin,
  iteration: number,
  metric: string,
): StrataSamples {
  const found = ledgerStrata(log, within).current.get(iteration);
  if (found) return found;
  const score = log.results.findLast((r) => r.iteration === iteration)?.score;
  return score === null || score === undefined
    ? {}
    : splitByStratum({ [metric]: [score] }, undefined, within);
}
