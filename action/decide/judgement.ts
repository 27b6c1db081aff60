import type { Evidence } from "../ledger/types.ts";
import type { ScreenGrey } from "./boundary.ts";
import type { Noise } from "./noise.ts";
import type { Policy, Samples } from "./policy.ts";
import type { StrataSamples } from "./strata.ts";

export type Judgement =
  | { final: false; reason: string }
  | {
      final: true;
      status: "keep" | "simplification" | "discard" | "guard_fail";
      reason: string;
      evidence: Evidence | null;
      /**
       * Discarded only because its runs ran out while it was still in the running (t between
       * the futility bound and the boundary): neither shown better nor clearly not.
       */
      undecided?: true;
      /**
       * Runs of the candidate disagreed in an eval judged deterministic (determinism.ts): not
       * kept on them (status discard, so results.tsv keeps karpathy's statuses).
       */
      nondeterministic?: true;
    };

export interface JudgeInput {
  policy: Policy;
  incumbent: Samples;
  candidate: Samples;
  noise: Record<string, Noise>;
  /** Lines added minus lines removed in the target files (negative: the candidate is shorter). */
  linesDelta?: number | undefined;
  /**
   * Where each run ran, when runs are compared within strata (device kinds or workers): the same
   * samples as `incumbent` and `candidate`, split by stratum. `noise` is then the spread within
   * strata.
   */
  strata?: { incumbent: StrataSamples; candidate: StrataSamples } | undefined;
  /**
   * The eval was judged deterministic: its baseline's runs agreed exactly (determinism.ts). Runs
   * of a candidate that disagree, where the incumbent's agree, then make it `nondeterministic`,
   * also after the noise estimate has turned non-zero. A zero noise estimate implies it.
   */
  deterministic?: boolean | undefined;
  /**
   * Measured in pairs (`decide.paired`): `incumbent[m][i]` ran beside `candidate[m][i]` (same
   * worker, one AUTOEXP_SEED). The test is on the paired differences.
   */
  paired?: PairedDesign | undefined;
  /** The spread of paired differences pooled over the night's other candidates, per metric. */
  pairNoise?: Record<string, Noise> | undefined;
  /**
   * Paired: the run-to-run noise the pairs' spread starts from until `pairNoise` has
   * PAIR_NOISE_DF degrees of freedom, per metric; absent, `noise`. Both sides of a pair run on one
   * worker, so it is the noise within a worker, where `noise` may be within a device kind whose
   * workers read differently (evaluate.ts).
   */
  pairPrior?: Record<string, Noise> | undefined;
}

/**
 * How a candidate's pairs began. `fresh`: pairs from its first run, in random order. `screened`:
 * its first run passed a screen against `screenedAgainst` earlier runs of the incumbent and is
 * the candidate's side of the first pair, the incumbent's run made right after it; later pairs in
 * random order. The boundary accounts for the screened run being selected (boundary.ts) at the
 * screen it passed.
 */
export type PairedDesign =
  | { first: "fresh" }
  | {
      first: "screened";
      screenedAgainst: number;
      /** Where the screen sat, in run sds (decide.screen_sd); min_delta's when absent. */
      screenSd?: number;
      /**
       * The screen's grey zone (run sds), where the design had one: the boundary is the design's,
       * whichever look the candidate passed on. After a second look the candidate's side of the
       * first pair is its second run (the caller's samples start there).
       */
      screenGrey?: ScreenGrey;
      /**
       * The first pair may keep: the incumbent's run in it agreed with the bar the candidate was
       * screened against, so no step in the machine's speed fell inside that pair.
       */
      firstPairKeeps?: boolean;
      /**
       * Its first run was measured against the bar but not screened on it (a change re-applied
       * after it beat the incumbent it was made for, ResultEntry.screen.won_against): the
       * boundary credits no selection (boundary.ts, "unscreened"); screenSd and screenGrey are
       * then absent.
       */
      unscreened?: true;
    };
