import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { KEPT, type ResultEntry } from "../ledger/types.ts";
import { levelBar } from "./kept-level.ts";
import type { Samples } from "./policy.ts";
import type { CompareWithin, RunOn } from "./strata.ts";

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
  /**
   * Code kept in pairs, once its runs made after the keep replaced them: the runs it was kept on
   * (less its screened runs). They stand above its truth (the stopping rule kept it when they
   * looked good), so they are not its score; a bar for the screen may start with them (screenBar).
   */
  keptOn: Map<number, T>;
  /** Experiments whose runs a drift reset replaced: nothing older describes them now. */
  reset: Set<number>;
}

/** The incumbent's latest runs a candidate's first run is screened against. */
export const SCREEN_RUNS = 10;

interface Seen<T> {
  remeasures: readonly unknown[];
  results: number;
  remeasured: number;
  current: Map<number, T>;
  retired: T[];
  keptOn: Map<number, T>;
  reset: Set<number>;
  /** Kept in pairs, no re-measure yet: their runs are still the runs they were kept on. */
  chosen: Set<number>;
}
const SEEN = new WeakMap<readonly unknown[], Map<string, Seen<unknown>>>();

/**
 * The ledger's runs, per experiment, as `view` holds them. A row's runs are its own samples,
 * less a first run that passed paired measurement's screen (ownRuns); a re-measure's runs are
 * added to its experiment's, except that a drift reset, or the first re-measure of code kept in
 * pairs (keptInPairs), replaces them (the runs replaced are retired: they still count for the
 * noise, except after a drift reset). A ledger only grows, so what was read of it is remembered
 * per view and only the lines added since are read: recording one more experiment costs the same
 * at 20,000 rows as at 20. Callers must not modify what it returns.
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
      keptOn: new Map(),
      reset: new Set(),
      chosen: new Set(),
    };
    views.set(view.key, seen as Seen<unknown>);
  }
  const { current, retired, keptOn, reset, chosen } = seen;
  for (const r of log.results.slice(seen.results)) {
    if (!r.samples || Object.keys(r.samples).length === 0) continue;
    const own = ownRuns(r);
    current.set(r.iteration, view.of(own.samples, own.runsOn));
    if (keptInPairs(r)) chosen.add(r.iteration);
  }
  for (const m of log.remeasures.slice(seen.remeasured)) {
    const cur = current.get(m.iteration);
    const fresh = view.of(m.samples, m.runs_on);
    const wasChosen = !m.reset && chosen.delete(m.iteration);
    const replace = m.reset || wasChosen;
    // Retired runs still count for the noise, except those a drift reset replaced: they hold
    // both sides of the drift, and would read the night's noise high for the rest of it.
    if (replace && cur && !m.reset) retired.push(cur);
    // After a drift reset nothing older describes the code as the machine runs it now.
    if (m.reset) {
      keptOn.delete(m.iteration);
      reset.add(m.iteration);
    }
    if (wasChosen && cur) keptOn.set(m.iteration, cur);
    current.set(m.iteration, replace || !cur ? fresh : view.merge(cur, fresh));
  }
  seen.results = log.results.length;
  seen.remeasured = log.remeasures.length;
  return {
    current,
    groups: [...retired, ...current.values()].flatMap((runs) => view.groups(runs)),
    keptOn,
    reset,
  };
}

/**
 * The runs a candidate's first run is screened against (evaluate-paired.ts): code `iteration`'s
 * current runs, after the runs it was kept on where it was kept in pairs (oldest first; the
 * screen takes the latest SCREEN_RUNS). Right after a keep its current runs are the one run after
 * it, and a bar of one run makes the screen a coin toss for a real gain. The runs it was kept on
 * make the bar steadier but stand above the code's truth, so the bar sits high (0.57 run sds on
 * bench/noise for one of them and the run after the keep): where its row has its level, withLevel
 * puts that in their place. Without one (the night's first keeps, an old record) they stay: a
 * high bar only discards more (false keeps cannot rise: the boundary assumes a fair bar).
 */
export function screenBar<T>(runs: LedgerRuns<T>, view: RunsView<T>, iteration: number): T | null {
  const now = runs.current.get(iteration);
  const before = runs.keptOn.get(iteration);
  if (!now) return before ?? null;
  return before ? view.merge(before, now) : now;
}

/**
 * The bar for code kept in pairs whose row has its level (ResultEntry.level, decide/kept-level.ts)
 * for this view (`within`, "any" pooled) and `stratum`: on the level's metric, the level (moved by
 * its `strict`) standing in for the runs it was kept on, then the runs made since its keep
 * (`current`); other metrics as `bar` has them. `bar` unchanged where there is no such level, or
 * a drift reset replaced its runs.
 */
export function withLevel(
  bar: Record<string, number[]>,
  row: Pick<ResultEntry, "iteration" | "level"> | undefined,
  runs: Pick<LedgerRuns<unknown>, "reset">,
  within: CompareWithin,
  stratum: string,
  current: Samples | undefined,
): Record<string, number[]> {
  const level = row?.level;
  if (!level || level.within !== within || runs.reset.has(row!.iteration)) return bar;
  const here = level.strata[stratum];
  if (!here) return bar;
  return {
    ...bar,
    [level.metric]: levelBar(here, current?.[level.metric] ?? [], SCREEN_RUNS, level.strict),
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
 * A row's runs as estimates of its code: all of them, except the first runs that passed paired
 * measurement's screen (`screen` on the row, more runs after them: screenedRuns; kept on its first
 * pair, the first of two the screen looked at). Those were
 * chosen for looking good: they stay in the row, not in the code's score, the runs later
 * candidates are screened against, or the noise.
 */
function ownRuns(r: ResultEntry): { samples: Samples; runsOn: readonly RunOn[] | undefined } {
  const samples = r.samples!;
  let k = screenedRuns(r.screen);
  // Kept on its first pair (it went on to pairs: `incumbent_z`), a row has no run after those
  // the screen looked at: the pair's side stands as the run it was kept on, as a later pair's
  // would; a grey zone's first run, in no pair, does not.
  if (r.screen?.incumbent_z !== undefined && Object.values(samples).every((v) => v.length === k))
    k -= 1;
  const screened = k > 0 && Object.values(samples).every((v) => v.length > k);
  if (!screened) return { samples, runsOn: r.runs_on };
  return {
    samples: Object.fromEntries(Object.entries(samples).map(([m, v]) => [m, v.slice(k)])),
    runsOn: r.runs_on?.slice(k),
  };
}

/**
 * How many of a row's first runs paired measurement's screen looked at: two after a second look
 * (the grey zone), else one; 0 without a screen. Those runs were chosen for looking good when
 * more runs follow them.
 */
export function screenedRuns(screen: ResultEntry["screen"]): number {
  return screen ? (screen.second !== undefined ? 2 : 1) : 0;
}
