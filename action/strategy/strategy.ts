import type { BranchPointEntry, Goal, RemeasureEntry, ResultEntry } from "../ledger/types.ts";
import type { RevisitPoint } from "./revisit.ts";

/**
 * What a strategy reads before each proposal: the record as it stood when the candidate began,
 * and the choices made for the candidates begun before it and still undecided. Nothing about
 * timing: given the same record, a strategy picks the same, so the ledger does not depend on
 * which eval finished first (DESIGN.md, "The loop"), and a resumed batch goes on as it would have.
 */
export interface StrategyState {
  /** Every experiment recorded so far, oldest first (iteration 0 is the baseline). */
  rows: readonly ResultEntry[];
  /**
   * The re-measures on record: a branch point's runs beside the incumbent (`beside`) give its
   * paired gap (branchPoints). Absent: none.
   */
  remeasures?: readonly RemeasureEntry[];
  /** The metric whose runs those are (the config's primary, or the weighted score); absent: score. */
  metric?: string;
  /** The incumbent every candidate is judged against: its experiment and its mean. */
  incumbent: { iteration: number; score: number };
  goal: Goal;
  /**
   * What one unit of gain is worth to the bandit: the run-to-run standard deviation of the
   * metric, or for an eval without noise, min_delta or a hundredth of the incumbent's score.
   */
  scale: number;
  /** Branch points (null: the incumbent) of the candidates begun and not yet recorded, in order. */
  pending: readonly (number | null)[];
  /** Discards whose revisit was begun and is not yet recorded (not to be picked again). */
  revisiting?: readonly number[];
}

/**
 * Propose on a branch point (`on`), or on the incumbent (`on: null`). `why` and `points` (the
 * points offered, best first) when the strategy weighed branch points: told to the agent, and
 * written on the branch line when the branch changes. `revisit` (with `on: null`): no proposal
 * from the agent, but that discard's change re-applied onto the incumbent and judged again.
 */
export interface BranchChoice {
  on: BranchPointEntry | null;
  why?: string;
  points?: BranchPointEntry[];
  revisit?: RevisitPoint;
}

/**
 * Where the next proposal starts. `climb` (today's loop) always answers the incumbent; `branch`
 * leaves a plateau. Whatever a strategy picks, the candidate is judged against the incumbent and
 * kept only when it beats it: the tag's branch always holds the best point as measured.
 */
export interface Strategy {
  readonly name: string;
  /**
   * Whether a discard whose incumbent was replaced may be revisited (revisit.ts): the strategy's
   * pick may be one, and an agent may ask for one. Absent: never (`climb`, today's loop).
   */
  readonly revisits?: boolean;
  pick(state: StrategyState): BranchChoice;
  /**
   * The branch point the next pick would propose on, when its gap to the incumbent was not
   * measured beside it: the engine measures it in `pairs` pairs beside the incumbent
   * (engine/branch-remeasure.ts) before that proposal begins, then asks again (the point may lose
   * its place once measured). Read with the state the next pick reads (`pending` included).
   * Null: nothing to measure. Absent: never (`climb`).
   */
  toMeasure?(state: StrategyState): BranchMeasure | null;
}

/** A branch point to measure beside the incumbent before it is proposed on, and in how many pairs. */
export interface BranchMeasure {
  point: BranchPointEntry;
  pairs: number;
}

/** The incumbent: what `climb` always picks. */
export const ON_INCUMBENT: BranchChoice = { on: null };
