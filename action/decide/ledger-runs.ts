import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { KEPT, type ResultEntry } from "../ledger/types.ts";
import type { Samples } from "./policy.ts";
import type { RunOn } from "./strata.ts";

/**
 * How a reading of the ledger holds one code's runs: pooled (every run together), or split by
 * stratum (strata.ts). The ledger is read one way for both (ledgerRuns); only this differs.
 */
export interface RunsView<T> {
  /** Names the view: readings are remembered per ledger and view. */
  key: string;
  /** Runs as the view holds them (run i of every metric ran on `runsOn[i]`). */
  of(samples: Samples, runsOn: readonly RunOn[] | undefined): T;
  /** `into` with `more` added (a new value; neither input changes). */
  merge(into: T, more: T): T;
  /** The groups of runs of one unchanged program it holds, for the noise estimate. */
  groups(runs: T): Samples[];
}

/** Each measured experiment's current runs, and every group of runs for the noise estimate. */
export interface LedgerRuns<T> {
  /** Each measured experiment's current runs (re-measures merged in, after any drift reset). */
  current: Map<number, T>;
  /** Every group of runs of one unchanged program, retired ones included. */
  groups: Samples[];
}

interface Seen<T> {
  remeasures: readonly unknown[];
  results: number;
  remeasured: number;
  current: Map<number, T>;
  retired: T[];
  /** Kept in pairs, no re-measure yet: their runs are still the runs they were kept on. */
  chosen: Set<number>;
}
const SEEN = new WeakMap<readonly unknown[], Map<string, Seen<unknown>>>();

/**
 * The ledger's runs, per experiment, as `view` holds them. A row's runs are its own samples,
 * less a first run that passed paired measurement's screen (ownRuns); a re-measure's runs are
 * added to its experiment's, except that a drift reset, or the first re-measure of code kept in
 * pairs (keptInPairs), replaces them (the runs replaced are retired: they still count for the
 * noise). A ledger only grows, so what was read of it is remembered per view and only the lines
 * added since are read: recording one more experiment costs the same at 20,000 rows as at 20.
 * Callers must not modify what it returns.
 */
export function ledgerRuns<T>(
  log: Pick<ParsedLog, "results" | "remeasures">,
  view: RunsView<T>,
): LedgerRuns<T> {
  let views = SEEN.get(log.results);
  if (!views) {
    views = new Map();
    SEEN.set(log.results, views);
  }
  let seen = views.get(view.key) as Seen<T> | undefined;
  const grown =
    seen &&
    seen.remeasures === log.remeasures &&
    seen.results <= log.results.length &&
    seen.remeasured <= log.remeasures.length &&
    // A new row for an iteration already seen would reorder rows and re-measures: read anew.
    !log.results.slice(seen.results).some((r) => seen!.current.has(r.iteration));
  if (!seen || !grown) {
    seen = {
      remeasures: log.remeasures,
      results: 0,
      remeasured: 0,
      current: new Map(),
      retired: [],
      chosen: new Set(),
    };
    views.set(view.key, seen as Seen<unknown>);
  }
  const { current, retired, chosen } = seen;
  for (const r of log.results.slice(seen.results)) {
    if (!r.samples || Object.keys(r.samples).length === 0) continue;
    const own = ownRuns(r);
    current.set(r.iteration, view.of(own.samples, own.runsOn));
    if (keptInPairs(r)) chosen.add(r.iteration);
  }
  for (const m of log.remeasures.slice(seen.remeasured)) {
    const cur = current.get(m.iteration);
    const fresh = view.of(m.samples, m.runs_on);
    const replace = m.reset || chosen.delete(m.iteration);
    if (replace && cur) retired.push(cur);
    current.set(m.iteration, replace || !cur ? fresh : view.merge(cur, fresh));
  }
  seen.results = log.results.length;
  seen.remeasured = log.remeasures.length;
  return {
    current,
    groups: [...retired, ...current.values()].flatMap((runs) => view.groups(runs)),
  };
}

/**
 * Kept in pairs (a screened first run or paired evidence): until its first re-measure line its
 * runs are those it was kept on; from that line on, only the runs made after its keep
 * (ledger-state.ts, AFTER_KEEP_RUNS).
 */
export function keptInPairs(r: ResultEntry): boolean {
  return (
    KEPT.has(r.status) &&
    r.score !== null &&
    (r.screen !== undefined || r.evidence?.paired === true)
  );
}

/**
 * A row's runs as estimates of its code: all of them, except a first run that passed paired
 * measurement's screen (`screen` on the row, more runs after it). That run was chosen for looking
 * good; it stays in the row (and in the paired test), not in the code's score, the runs later
 * candidates are screened against, or the noise.
 */
function ownRuns(r: ResultEntry): { samples: Samples; runsOn: readonly RunOn[] | undefined } {
  const samples = r.samples!;
  const screened = r.screen && Object.values(samples).every((v) => v.length > 1);
  if (!screened) return { samples, runsOn: r.runs_on };
  return {
    samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.slice(1)])),
    runsOn: r.runs_on?.slice(1),
  };
}
