/** Ledger lines of the morning view and of imported history: verify, attribute, split, import. */
import type { Goal } from "./status.ts";

/**
 * The improvement of the final code over the base, re-measured in interleaved pairs (base, final,
 * base, final, ...): a paired t on the per-pair differences, so slow drift of the machine cancels.
 * Positive = better, in metric units, as in `Evidence`.
 */
export interface VerifiedGain {
  /** Mean per-pair improvement of final over base (positive = better). */
  gain: number;
  /** Two-sided interval for `gain` at the ledger's confidence; null with fewer than two pairs. */
  ci: [number, number] | null;
  /** Standard deviation of the per-pair differences (0: a deterministic eval). */
  sd: number;
  /** Complete pairs behind the figure. */
  pairs: number;
  /** The interval reaches zero or below: these runs do not rule out "no improvement". */
  includes_no_improvement: boolean;
}

/** One eval run of `autoexp verify` that gave no measurement; its pair is left out. */
export interface VerifyFailure {
  pair: number;
  code: "base" | "final";
  eval: "validation" | "holdout";
  problem: string;
}

/**
 * `autoexp verify`: the tag's base commit and its final code evaluated interleaved in fresh slots,
 * beside what the sum of per-step deltas claims; with `eval.holdout`, the hidden holdout too.
 */
export interface VerifyEntry {
  type: "verify";
  metric: string;
  goal: Goal;
  base_commit: string;
  final_commit: string;
  /** The kept experiment whose code is the final code. */
  final_iteration: number;
  /** Pairs asked for (`gain.pairs` of them completed). */
  pairs: number;
  confidence: number;
  /** The primary metric per run, by pair: base[i] and final[i] ran one after the other. */
  samples: { base: number[]; final: number[] };
  gain: VerifiedGain;
  /** What each pair's order was drawn from (pair-order.ts); absent in records made before. */
  order_seed?: number;
  /** Sum of the kept rows' per-step gains (positive = better): what the deltas alone claim. */
  kept_gain_sum: number;
  /** Kept experiments (not the baseline) between base and final. */
  kept: number;
  /** The hidden holdout (`eval.holdout`), run only here, never in the loop or a prompt. */
  holdout?: { samples: { base: number[]; final: number[] }; gain: VerifiedGain };
  failures?: VerifyFailure[];
  /** With several workers: where each pair ran, both halves on the same device. */
  pairs_on?: { worker: number; device: string | null }[];
  isolation: "sandbox" | "none";
  eval_seconds: number;
  timestamp: string;
}

/** One kept change in `autoexp attribute`: the final code measured with and without it. */
export interface AttributedChange {
  /** The kept experiment. */
  iteration: number;
  /** Its commit (built on the record commit before it). */
  commit: string;
  description: string;
  /**
   * measured: reverted from the final code and measured; conflict: it no longer reverts cleanly
   * (later changes rewrote its lines); superseded: the final code no longer holds it at all.
   */
  status: "measured" | "conflict" | "superseded";
  /** The final code without this change (a commit on the final code). */
  without_commit?: string;
  /** Files that did not revert cleanly. */
  conflicts?: string[];
  /** The primary metric per run, by pair: final[i] and without[i] ran one after the other. */
  samples?: { final: number[]; without: number[] };
  /** Its marginal effect: final minus final-without-it (positive = the change helps). */
  effect?: VerifiedGain;
  /** The interval includes zero (or lies below it): a candidate to drop. */
  drop_candidate?: boolean;
}

/**
 * `autoexp attribute`: each kept change's marginal effect, the final code measured interleaved
 * against the final code without that change (reverted three-way), in fresh slots.
 */
export interface AttributeEntry {
  type: "attribute";
  metric: string;
  goal: Goal;
  final_commit: string;
  final_iteration: number;
  /** Pairs asked for per change. */
  pairs: number;
  confidence: number;
  changes: AttributedChange[];
  /** Eval runs done, all changes together. */
  runs: number;
  /** What the runs were estimated to cost before they ran (pairs × changes × 2 × mean eval). */
  estimated_seconds: number;
  failures?: { iteration: number; pair: number; code: "final" | "without"; problem: string }[];
  /** What each pair's order was drawn from (pair-order.ts); absent in records made before. */
  order_seed?: number;
  isolation: "sandbox" | "none";
  eval_seconds: number;
  timestamp: string;
}

/** One independent change set of `autoexp split`: its own branch, built on the base, verified alone. */
export interface SplitGroup {
  /** 1, 2, ...: the branch is autoexp/<tag>--<n>. */
  n: number;
  branch: string;
  /** The branch's commit: the base plus this group's kept changes, one commit each, in order. */
  commit: string;
  /** The kept experiments in this group, in order. */
  iterations: number[];
  files: string[];
  /** The primary metric per run, by pair: base[i] and final[i] (this group) ran one after the other. */
  samples: { base: number[]; final: number[] };
  /** This group alone over the base (positive = better). */
  gain: VerifiedGain;
  holdout?: { samples: { base: number[]; final: number[] }; gain: VerifiedGain };
  failures?: VerifyFailure[];
  /** What each pair's order was drawn from (pair-order.ts); absent in records made before. */
  order_seed?: number;
}

/**
 * `autoexp split`: the kept changes grouped into independent change sets (changes touching the
 * same or neighbouring lines stay together), each built on the base as its own branch and
 * verified alone against the base, interleaved, in fresh slots.
 */
export interface SplitEntry {
  type: "split";
  metric: string;
  goal: Goal;
  base_commit: string;
  final_commit: string;
  final_iteration: number;
  pairs: number;
  confidence: number;
  groups: SplitGroup[];
  isolation: "sandbox" | "none";
  eval_seconds: number;
  timestamp: string;
}

/**
 * History from before autoexp (`autoexp import results.tsv`): what was tried and how it went,
 * shown on the dashboard and to the agent as tried. Not experiments of this tag: no commits of
 * its own, never an incumbent.
 */
export interface ImportEntry {
  type: "import";
  /** Names this import for `autoexp import --undo` (log-jsonl.ts importId; absent on older lines). */
  id?: string;
  /** The file it came from (its name only). */
  source: string;
  metric: string;
  rows: { commit: string; score: number | null; status: string; description: string }[];
  /** Lines of the file that could not be read. */
  skipped: number;
  timestamp: string;
}
