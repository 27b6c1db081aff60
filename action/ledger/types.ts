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
}

/** Line 1 of log.jsonl. Keys follow pjhoberman's log where they fit. */
export interface ConfigEntry {
  type: "config";
  version: 1;
  tag: string;
  name: string;
  constrained_file: string;
  eval_command: string;
  metric: string;
  goal: Goal;
  guard_metric: string | null;
  guard_threshold: number | null;
  guards: Record<string, { min?: number | undefined; max?: number | undefined }>;
  baseline: number;
  min_delta: number;
  /** The baseline's run-to-run standard deviation of the primary metric (null: one run). */
  noise: number | null;
  /** How candidates are judged; absent in ledgers written before these fields existed. */
  rule?: "primary" | "pareto" | "weighted";
  /** The metrics with a goal (for rule weighted: the ones combined), in config order. */
  objectives?: { name: string; goal: Goal }[];
  /** min_delta per objective, fixed when the tag starts. */
  min_deltas?: Record<string, number>;
  /** Mean of every metric over the baseline runs (rule weighted scales by these). */
  baseline_metrics?: Record<string, number>;
  weights?: Record<string, number>;
  confidence?: number;
  target: string[];
  frozen: string[];
  frozen_hashes: Record<string, string>;
  agent: string;
  base_commit: string;
  timestamp: string;
  /**
   * On a config line written when a resume accepted a changed config (--accept-config-change):
   * what changed, as "field: before → now". The last config line is the one in force.
   */
  changes?: string[];
}

/** One experiment (iteration 0 is the baseline). */
export interface ResultEntry {
  type: "result";
  iteration: number;
  /** Short (7-hex) commit as in results.tsv; "" when nothing was committed. */
  commit: string;
  commit_full: string | null;
  /** Where the candidate stays reachable, e.g. refs/autoexp/<tag>/12. */
  diff: string | null;
  score: number | null;
  delta: number | null;
  guard_score: number | null;
  guard_pass: boolean | null;
  status: Status;
  description: string;
  timestamp: string;
  metrics: Record<string, number>;
  samples: Record<string, number[]>;
  agent_seconds: number;
  eval_seconds: number;
  cost_usd: number;
  /** Tokens the agent's model read and wrote for this proposal, where the agent reports them. */
  tokens_in?: number;
  tokens_out?: number;
  reason?: string;
  log_tail?: string;
  content_key?: string;
  duplicate_of?: number;
  agent_meta?: Record<string, unknown>;
  /** Why a kept (or confirmed-then-discarded) candidate was believed: see decide/judge.ts. */
  evidence?: Evidence;
  /** Lines added minus removed in the target files. */
  lines_delta?: number;
  /** Metrics the eval printed more than once in a run: the agent's code may print its own. */
  printed_twice?: string[];
  /** With several workers: which worker (slot) and device ran each sample, in sample order. */
  runs_on?: { worker: number; device: string | null }[];
}

/**
 * More runs of the incumbent: a top-up after a keep (so the next comparisons rest on enough
 * runs), a scheduled re-measure, or a re-measure after drift. `reset` means the incumbent's
 * earlier runs no longer describe it (drift) and these samples replace them.
 */
export interface RemeasureEntry {
  type: "remeasure";
  /** The incumbent's experiment number. */
  iteration: number;
  /** The last experiment recorded when this was measured. */
  after: number;
  reason: "top-up" | "schedule" | "drift" | "config-change";
  reset: boolean;
  samples: Record<string, number[]>;
  eval_seconds: number;
  timestamp: string;
  note?: string;
}

/** A batch's start or end, with the reason it stopped. */
export interface BatchEntry {
  type: "batch";
  event: "start" | "end";
  timestamp: string;
  reason?: string;
  experiments?: number;
  /** How the batch's evals ran: in the sandbox, or unsandboxed (a trust caveat). */
  isolation?: "sandbox" | "none";
  /** What the reviewer should know about that isolation: why unsandboxed, writable caches. */
  caveats?: string[];
}

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
  /** The primary metric per run, by pair: base[i] ran just before final[i]. */
  samples: { base: number[]; final: number[] };
  gain: VerifiedGain;
  /** Sum of the kept rows' per-step gains (positive = better): what the deltas alone claim. */
  kept_gain_sum: number;
  /** Kept experiments (not the baseline) between base and final. */
  kept: number;
  /** The hidden holdout (`eval.holdout`), run only here, never in the loop or a prompt. */
  holdout?: { samples: { base: number[]; final: number[] }; gain: VerifiedGain };
  failures?: VerifyFailure[];
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
  /** The primary metric per run, by pair: final[i] ran just before without[i]. */
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
  /** The primary metric per run, by pair: base[i] ran just before final[i] (final: this group). */
  samples: { base: number[]; final: number[] };
  /** This group alone over the base (positive = better). */
  gain: VerifiedGain;
  holdout?: { samples: { base: number[]; final: number[] }; gain: VerifiedGain };
  failures?: VerifyFailure[];
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
  /** The file it came from (its name only). */
  source: string;
  metric: string;
  rows: { commit: string; score: number | null; status: string; description: string }[];
  /** Lines of the file that could not be read. */
  skipped: number;
  timestamp: string;
}

export type LedgerEntry =
  | ConfigEntry
  | ResultEntry
  | BatchEntry
  | RemeasureEntry
  | VerifyEntry
  | ImportEntry
  | AttributeEntry
  | SplitEntry;
