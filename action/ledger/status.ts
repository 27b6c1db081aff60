/** The statuses of experiments, what goal a metric has, and why a keep was believed. */
export const STATUSES = [
  "baseline",
  "keep",
  "simplification",
  "discard",
  "crash",
  "timeout",
  "guard_fail",
  "checks_failed",
  "violation",
  "agent_error",
  "no_change",
  "duplicate",
] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses whose commit becomes the incumbent. */
export const KEPT: ReadonlySet<Status> = new Set(["baseline", "keep", "simplification"]);
/**
 * The incumbent each row was judged against, row by row: its own `against` (an incumbent the
 * record had moved on from while it ran), else the one current when it was recorded (the latest
 * kept row with a score before it; null before any). Rows in record order. Pure.
 */
export function judgedAgainst(
  rows: readonly { iteration: number; status: Status; score: number | null; against?: number }[],
): (number | null)[] {
  let current: number | null = null;
  return rows.map((r) => {
    const against = r.against ?? current;
    if (KEPT.has(r.status) && r.score !== null) current = r.iteration;
    return against;
  });
}
/**
 * Statuses whose content the eval ran on: the same content again is a duplicate (its result is
 * reused), and those with a score are what the dashboard and the noise estimate count.
 */
export const EVALUATED: ReadonlySet<Status> = new Set([
  "baseline",
  "keep",
  "simplification",
  "discard",
  "guard_fail",
  "checks_failed",
  "crash",
  "timeout",
]);
/** Statuses that count as a failure for `budget.stop_after_failures`. */
export const FAILURES: ReadonlySet<Status> = new Set([
  "crash",
  "timeout",
  "violation",
  "agent_error",
  "checks_failed",
]);

export type Goal = "minimize" | "maximize";

/** Whether `a` is better than `b` for `goal`. */
export function isBetter(a: number, b: number, goal: Goal): boolean {
  return goal === "minimize" ? a < b : a > b;
}

/** Why a keep was believed: what the PR shows next to each kept experiment. */
export interface Evidence {
  metric: string;
  /** Improvement of the mean (positive = better), in metric units. */
  gain: number;
  /** The improvement in noise units (gain / sd); null when the noise is unknown or zero. */
  effect_sigma: number | null;
  /** One-sided p-value of "no improvement"; null without a noise estimate. */
  p: number | null;
  /** Two-sided interval for the gain at the configured confidence; null without noise. */
  ci: [number, number] | null;
  runs: number;
  incumbent_runs: number;
  sd: number;
  /** t: a t-test on repeated runs; exact: the eval is deterministic; single: one run, no test. */
  test: "t" | "exact" | "single";
  /**
   * Measured in pairs (`decide.paired`): each of the candidate's `runs` beside a fresh run of the
   * incumbent on the same worker, in random order; `gain`, `p` and `ci` are of the paired
   * differences.
   */
  paired?: true;
  /**
   * When runs were compared within strata (`decide.compare_within`): each stratum the candidate
   * ran in, its gain there, and the candidate's and the incumbent's runs it compared. The gain
   * above combines them (weighted by 1 / (1/runs + 1/incumbent_runs)).
   */
  strata?: { stratum: string; gain: number; runs: number; incumbent_runs: number }[];
  /**
   * A keep by the sequential test: its t (the gain over its standard error) and the boundary it
   * reached, which holds false keeps to 1 - confidence over every look (the screen's choice too),
   * and the most runs (pairs, when paired) the test allowed: decide.max_runs, or RETRIAL_RUNS
   * times it for a change tried again after it won (action/engine/evaluate-paired.ts). Absent
   * from rows recorded before 2026-12-07.
   */
  boundary?: { t: number; critical: number; max_runs?: number };
  /**
   * Measured in pairs after a screen: the test that decided also counted the screened run's pair,
   * which the figures above leave out (that run was chosen for looking good, and the boundary
   * allows for the choice). Its pairs, its gain and its `boundary`.
   */
  decided?: { runs: number; gain: number; t: number; critical: number; max_runs?: number };
}
