import type { IncumbentState } from "../decide/ledger-state.ts";
import { barStrata, incumbentStrata, ledgerStrata } from "../decide/ledger-strata.ts";
import type { Samples } from "../decide/policy.ts";
import type { CompareWithin, StrataSamples } from "../decide/strata.ts";
import type { VerdictFields } from "../ledger/rows.ts";
import { KEPT, type RemeasureEntry } from "../ledger/types.ts";
import type { Candidate, EngineContext, Verdict } from "./experiment.ts";

/**
 * What a candidate is judged against when runs are compared within strata: the incumbent's runs
 * by stratum and the noise groups within strata, as recorded when the candidate began (so the
 * judgement depends on the order of records, not on timing).
 */
export interface StrataView {
  within: CompareWithin;
  incumbent: StrataSamples;
  /** The runs a first run is screened against, by stratum (ledger-runs.ts, screenBar). */
  bar: StrataSamples;
  groups: Samples[];
}

/** Whether this batch compares within strata: several workers, and compare_within not `any`. */
export function comparesWithin(ctx: Pick<EngineContext, "config" | "workers">): boolean {
  return ctx.workers > 1 && ctx.config.decide.compare_within !== "any";
}

/** The ledger as it stands, seen by stratum for `parent` (null when not comparing within). */
export function strataView(ctx: EngineContext, parent: IncumbentState): StrataView | null {
  if (!comparesWithin(ctx)) return null;
  const log = ctx.store.log!;
  const within = ctx.config.decide.compare_within;
  return {
    within,
    incumbent: incumbentStrata(log, within, parent.iteration, ctx.metric),
    bar: barStrata(log, within, parent.iteration, ctx.metric),
    groups: ledgerStrata(log, within).groups,
  };
}

/**
 * The re-measure line of code kept in pairs, for its run made after the decision
 * (Verdict.afterKeep): written right after its row, so it is the kept code's first run as the
 * incumbent (decide/ledger-state.ts, AFTER_KEEP_RUNS). Null for anything not kept.
 */
export function afterKeepEntry(
  iteration: number,
  status: VerdictFields["status"],
  a: VerdictFields["afterKeep"],
): RemeasureEntry | null {
  if (!a || a.runsOn.length === 0 || !KEPT.has(status)) return null;
  return {
    type: "remeasure",
    iteration,
    after: iteration,
    reason: "after-keep",
    reset: false,
    samples: a.samples,
    runs_on: a.runsOn,
    eval_seconds: a.evalSeconds,
    timestamp: new Date().toISOString(),
  };
}

/**
 * The ledger line for incumbent runs made beside a candidate (a concurrent baseline, or the
 * incumbent's side of its pairs), recorded with the candidate's row under the incumbent they
 * measured, and placed (`after`) then (steps.ts); null when there were none. `paired: false` leaves out the pairing: for runs whose
 * candidate side is not recorded (an evaluation left behind by a re-apply, Candidate.setAside).
 */
export function concurrentEntry(
  candidate: Pick<Candidate, "iteration" | "parent">,
  verdict: Verdict,
  { paired = true }: { paired?: boolean } = {},
): Omit<RemeasureEntry, "after"> | null {
  const c = verdict.concurrent;
  if (!c || c.runsOn.length === 0) return null;
  return {
    type: "remeasure",
    iteration: verdict.judgedAgainst ?? candidate.parent.iteration,
    reason: "concurrent",
    reset: false,
    samples: c.samples,
    runs_on: c.runsOn,
    eval_seconds: c.evalSeconds,
    timestamp: new Date().toISOString(),
    ...(c.paired && paired ? { paired_with: candidate.iteration, seeds: c.seeds ?? [] } : {}),
  };
}
