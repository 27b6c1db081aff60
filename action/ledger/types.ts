import type { Evidence, Goal, Status } from "./status.ts";

export type { Evidence, Goal, Status } from "./status.ts";
export { EVALUATED, FAILURES, isBetter, judgedAgainst, KEPT, STATUSES } from "./status.ts";

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
  /**
   * The settings that decide what the experiments may reach (isolation, checks, eval.env,
   * eval.pass_env, agent), as configured: a resume under others is a config change.
   */
  trust?: Record<string, unknown>;
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
  /**
   * A duplicate found only when it was recorded (its code was decided meanwhile, while it was in
   * flight): the runs its own evaluation had made, which the row's result does not use.
   */
  ran?: RunsMade;
  agent_meta?: Record<string, unknown>;
  /** Why a kept (or confirmed-then-discarded) candidate was believed: see decide/judge.ts. */
  evidence?: Evidence;
  /** Lines added minus removed in the target files. */
  lines_delta?: number;
  /** Metrics the eval printed more than once in a run: the agent's code may print its own. */
  printed_twice?: string[];
  /**
   * Runs of this code disagreed in an eval judged deterministic (its baseline's runs agreed
   * exactly): not kept on them (status discard). A flag, not a status, so that results.tsv keeps
   * karpathy's statuses and every count by status stays as it was. See decide/determinism.ts.
   */
  nondeterministic?: true;
  /**
   * Paired measurement's screen (decide.screen_sd): where it sat and how the candidate's first run
   * scored against the incumbent's runs it was screened against, both in run-to-run standard
   * deviations (as a gain), and how many incumbent runs those were. The night's first runs choose
   * the next screens (decide/screen-choice.ts). With a grey zone (`grey`), a first run under `at`
   * but at or above `grey.from` got a second, and `second` is how the two runs' mean scored (it
   * went on to pairs when that reached `grey.mean`). `incumbent_z`: how the incumbent's run in the
   * first pair scored against the same runs (as a gain); within FIRST_PAIR_AGREES x sqrt(1 +
   * 1 / against) of them, that pair could keep (decide/boundary.ts, firstPairAgrees).
   */
  screen?: {
    at: number;
    z: number;
    against: number;
    grey?: { from: number; mean: number };
    second?: number;
    incumbent_z?: number;
    /**
     * How far the boundary took the screen down (run sds): the night's latest first pairs'
     * incumbent runs stood that much better than their bars (decide/first-pair.ts, barStaleness).
     */
    stale?: number;
    /**
     * Kept on its first pair, then reopened by its run after the keep (engine/paired-screen.ts,
     * reopenedBy): that pair was set aside and fresh pairs decided, the first of them that run.
     */
    reopened?: true;
    /**
     * Re-applied after it beat incumbent #n in an evaluation a keep elsewhere left behind: its
     * first run here was measured against the bar (`z`) but not screened on it; pairs decided.
     */
    won_against?: number;
  };
  /**
   * Measured in pairs from its first run, not screened: the candidates before it on its stratum
   * (worker or device kind) had been screened out this many times in a row, none beside an
   * incumbent run there, so the bar there was in doubt (decide/stuck-bar.ts). Its pairs put the
   * incumbent's runs there on record.
   */
  bar_checked?: number;
  /**
   * Kept in pairs, with the night's first runs enough to say how often its proposals help: the
   * kept code's level on the primary metric, per stratum of runs (`within`, "any" where runs were
   * pooled; key "all" then), each as sure as the mean of `runs` runs. The screen's bar starts from
   * it, moved by `strict`, instead of the runs it was kept on, which stand above its truth
   * (decide/kept-level.ts).
   */
  level?: {
    metric: string;
    within: "device" | "worker" | "any";
    /** Added to each level where it stands in the screen's bar (the strict side, metric units). */
    strict: number;
    strata: Record<string, { mean: number; runs: number }>;
  };
  /**
   * The cheap eval (eval.screen) run before the full eval: its runs and how the candidate fared
   * (action/engine/cheap-screen.ts). Absent: no cheap eval configured, or no longer used.
   */
  cheap?: CheapRecord;
  /**
   * The cheap eval stopped being used from this experiment on: its gains ranked candidates too
   * unlike the full eval's (decide/transfer.ts). Written once, on the first experiment not screened.
   */
  cheap_stopped?: CheapStop;
  /** With several workers: which worker (slot) and device ran each sample, in sample order. */
  runs_on?: { worker: number; device: string | null }[];
  /**
   * A keep of a parallel line that another line's record displaced when both were published
   * (github/merge-records.ts): its code is queued to be re-applied onto the winner and judged
   * again by the next batch (ledger/recheck.ts).
   */
  recheck?: "queued";
  /** This experiment is that re-check of experiment #n: n's change, re-applied onto the incumbent. */
  recheck_of?: number;
  /**
   * Judged against experiment #n, an earlier incumbent: the incumbent moved on while this ran
   * (workers or pipelining), and it did not beat the incumbent it was made for, so it was not
   * re-applied and evaluated again (only a candidate that would replace the incumbent is). Its
   * score and delta are against #n. Absent when judged against the incumbent of its record.
   */
  against?: number;
  /**
   * Re-applied onto a newer incumbent after an evaluation against incumbent #from that ended in
   * `status`: "keep" (it beat #from, the incumbent it was made for, and would have replaced it),
   * "undecided" (it ran out of runs still in the running) or "stopped" (a keep replaced #from
   * while it was still in the running: it was stopped at its next run, neither lost nor kept).
   * The incumbent moved on meanwhile (workers or pipelining), so its change was merged onto the
   * new one and evaluated there again, from its screen on, as any candidate: this row's figures
   * and status are that evaluation's. `asked_again`: the change no longer merged, and the agent
   * was asked again against the new incumbent: this row is that new proposal's. The runs of the
   * evaluation left behind are not in the row's `samples` but in the entry's: `commit`, the code
   * they ran (the change on #from), `samples`, `runs_on` and `eval_seconds`, as a row's (absent
   * in ledgers written before 2026-12-07); the incumbent's runs beside them are a re-measure of
   * #from. One entry per re-application, oldest first.
   */
  reapplied?: LeftBehindEntry[];
  /**
   * Proposed on branch point #n (strategy `branch`): the agent started from #n's code, and the
   * candidate carries #n's target files plus its change; judged against the incumbent all the
   * same. Absent: proposed on the incumbent.
   */
  proposed_on?: number;
  /**
   * A revisit of discard #n (strategy `branch`): #n's change, judged against an incumbent since
   * replaced, re-applied onto this row's incumbent and judged beside it again; picked by the
   * bandit or asked for by the agent. Each discard is revisited at most once. Not `recheck_of`,
   * which is a parallel line's displaced keep and empties the re-check queue.
   */
  revisit_of?: number;
  /**
   * Written by line `index` of `of` (a matrix shard, `shard: i/K`): every row that batch wrote,
   * and `from`, the incumbent it and the other lines started from. A displaced line's rows keep it
   * when published on top of the winner (github/merge-records.ts), so the tree shows each line as
   * a branch from `from` (ledger/render-branches.ts). Absent: not written by a matrix line.
   */
  line?: { index: number; of: number; from: number };
}

/**
 * One candidate's cheap eval (eval.screen): its one run, the incumbent's cheap runs it was
 * compared with, and whether it went on to the full eval. Gains are signed as gains (positive:
 * better) in the cheap metric's units; `full` is the full eval's gain as its row's delta states it
 * (paired: the pairs' mean difference), in the primary metric's units: the pair of gains the
 * transfer is measured on.
 */
export interface CheapRecord {
  /** The cheap eval's metric. */
  metric: string;
  /** The incumbent compared with (its experiment number). */
  of: number;
  /** The candidate's cheap metric; null when its cheap run gave none (crash, timeout). */
  value: number | null;
  /** The incumbent's cheap runs made beside this candidate (later candidates compare with them). */
  incumbent: number[];
  /** How many of the incumbent's cheap runs (latest) the candidate was compared with. */
  against: number;
  gain: number | null;
  /** The run-to-run sd of the cheap eval, pooled within incumbents (null: not known yet). */
  sd: number | null;
  /** The gain a candidate needed to pass (null: noise not known yet, every candidate passes). */
  threshold: number | null;
  /**
   * passed: on to the full eval; explored: failed, but sent on to the full eval anyway (a seeded
   * draw) so that the transfer is measured on all kinds of candidates; failed: discarded on the
   * cheap eval; crashed: its cheap run gave no metric.
   */
  outcome: "passed" | "explored" | "failed" | "crashed";
  /** The full eval's gain (its delta, signed as a gain), when it gave one. */
  full?: number;
  /** Seconds of the cheap runs, the incumbent's included (also counted in eval_seconds). */
  seconds: number;
}

/** Why autoexp stopped using the cheap eval: the rank correlation it measured. */
export interface CheapStop {
  /** Candidates that had both the cheap and the full eval. */
  n: number;
  rho: number;
  /** Its 90% interval. */
  ci: [number, number];
  reason: string;
}

/**
 * More runs of the incumbent: a top-up after a keep (so the next comparisons rest on enough
 * runs), a scheduled re-measure, or a re-measure after drift. `reset` means the incumbent's
 * earlier runs no longer describe it (drift) and these samples replace them.
 */
/**
 * An evaluation a re-application left behind (ResultEntry.reapplied): how it ended against #from,
 * and the candidate's runs it made there, so the ledger holds every run the eval made.
 */
export interface LeftBehindEntry extends RunsMade {
  from: number;
  status: "keep" | "undecided" | "stopped";
  asked_again?: true;
  /**
   * When the keep that replaced #from was recorded: while this evaluation's trial ran ("trial":
   * a stopped one, or one that won or ran out of pairs in the pair the keep landed in), during its
   * run after its own keep ("after_keep"), or after its evaluation ended, while it waited for its
   * turn to be recorded ("wait": rows are recorded in the order experiments began). Absent
   * before 2026-12-07.
   */
  replaced_during?: "trial" | "after_keep" | "wait";
}

/**
 * A candidate's runs that no decision of its row used (an evaluation left behind, or one whose
 * code turned out a duplicate when recorded), kept so that the ledger holds every run the eval
 * made. Absent in ledgers written before 2026-12-07.
 */
export interface RunsMade {
  /** The code those runs ran. */
  commit?: string;
  samples?: Record<string, number[]>;
  runs_on?: { worker: number; device: string | null }[];
  eval_seconds?: number;
}

export interface RemeasureEntry {
  type: "remeasure";
  /** The incumbent's experiment number. */
  iteration: number;
  /** The last experiment recorded when this was measured. */
  after: number;
  /**
   * concurrent: run beside a candidate on a device kind (or worker) it had no runs on yet.
   * branch: a branch point and the incumbent measured in pairs beside each other (`beside`).
   * after-keep: code kept in pairs, run once more right after its keep, on the slot that decided
   * it (decide/ledger-state.ts, AFTER_KEEP_RUNS).
   */
  reason:
    | "top-up"
    | "schedule"
    | "drift"
    | "config-change"
    | "concurrent"
    | "branch"
    | "after-keep";
  reset: boolean;
  samples: Record<string, number[]>;
  /** Which worker and device made each sample (with several workers). */
  runs_on?: { worker: number; device: string | null }[];
  eval_seconds: number;
  timestamp: string;
  note?: string;
  /** Runs made as the incumbent's side of experiment #n's pairs, in the order of its runs. */
  paired_with?: number;
  /** Each pair's AUTOEXP_SEED (both sides ran with it; its order is drawn from it). */
  seeds?: number[];
  /**
   * Strategy `branch`: branch point #point and the incumbent #incumbent measured in pairs beside
   * each other, one slot and one AUTOEXP_SEED per pair (`seeds`; the order within a pair is drawn
   * apart from it, and not recorded), to give the point a paired gap
   * (engine/branch-remeasure.ts). Two lines carry it, one per side: this line's `iteration` says
   * which. The point's line has no samples when its code failed to run (`note` says how).
   * Absent in ledgers written before it.
   */
  beside?: { point: number; incumbent: number };
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
 * What runs wrote into a declared writable cache (`isolation.writable`), recorded after they ran:
 * each run wrote into its own copy, put back to the cache's state before the next run, so this
 * is a fact to read, not one any decision used. Without `commit`: the cache itself changed
 * during the batch, by something other than autoexp's runs (every later run read the change).
 * Absent in ledgers written before it existed.
 */
export interface CacheWriteEntry {
  type: "cache-write";
  /** The cache as isolation.writable declares it (`~/.cache/torch`). */
  cache: string;
  /** The code the runs ran (full commit: the row whose commit_full it is). */
  commit?: string;
  /** Those runs, by their log names (`4-0`, `4-checks`, `2-re5-0`). */
  runs?: string[];
  /** Entries written, changed or removed (a new folder counts once). */
  count: number;
  /** Up to 5 of them, relative to the cache. */
  paths: string[];
  timestamp: string;
}

/** A point the `branch` strategy may propose from, as a branch line records it. */
export interface BranchPointEntry {
  /** The experiment whose code it is (its code at refs/autoexp/<tag>/<n>). */
  iteration: number;
  /** Full commit of that code. */
  commit: string;
  /**
   * kept: an earlier incumbent; near-miss: a candidate not kept that came close; line: a keep of
   * a parallel matrix line that another line displaced (its row's `recheck`), the code that line
   * had reached.
   */
  kind: "kept" | "near-miss" | "line";
  /**
   * Its gap to the incumbent in the metric's units, signed as a gain (positive: better). `paired`:
   * its runs beside this incumbent's, in pairs (re-measured beside it, `beside`, or its own row's
   * pairs when it was judged against it); `unpaired`: its mean less the incumbent's mean, runs
   * made at different times.
   */
  gain: number;
  measured: "paired" | "unpaired";
  /** How many pairs a `paired` gap rests on (absent in ledgers written before it). */
  pairs?: number;
}

/**
 * Strategy `branch`: the proposals switched to another branch point (or back to the incumbent)
 * from experiment `iteration` on. Written just before that experiment's row; absent in ledgers
 * written before strategies, or by `climb`.
 */
export interface BranchEntry {
  type: "branch";
  /** The first experiment proposed on the new branch. */
  iteration: number;
  /** The branch point proposed on from here (null: the incumbent) and the one before. */
  on: number | null;
  from: number | null;
  /** The incumbent then (every candidate is judged against it). */
  incumbent: number;
  /** Why, in words: the stall and the bandit's figures. */
  reason: string;
  /** The branch points offered at that moment, best first. */
  points: BranchPointEntry[];
  timestamp: string;
}

import type { AttributeEntry, ImportEntry, SplitEntry, VerifyEntry } from "./morning-types.ts";

/**
 * `autoexp import --undo`: withdraws the import line whose id is `import`. The log stays
 * append-only; from this line on the withdrawn rows are no history (the agent, status, report
 * and the dashboard read only the imports still in force: log-jsonl.ts).
 */
export interface ImportUndoEntry {
  type: "import-undo";
  /** The id of the import withdrawn (log-jsonl.ts importId). */
  import: string;
  /** What it withdrew, for a reader of the raw log: the import's file and its row count. */
  source: string;
  rows: number;
  timestamp: string;
}

export type {
  AttributedChange,
  AttributeEntry,
  ImportEntry,
  SplitEntry,
  SplitGroup,
  VerifiedGain,
  VerifyEntry,
  VerifyFailure,
} from "./morning-types.ts";

export type LedgerEntry =
  | ConfigEntry
  | ResultEntry
  | BatchEntry
  | RemeasureEntry
  | VerifyEntry
  | ImportEntry
  | ImportUndoEntry
  | AttributeEntry
  | SplitEntry
  | CacheWriteEntry
  | BranchEntry;
