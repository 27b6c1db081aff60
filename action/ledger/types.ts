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
/** Statuses that count as a failure for `budget.stop_after_failures`. */
export const FAILURES: ReadonlySet<Status> = new Set([
  "crash",
  "timeout",
  "violation",
  "agent_error",
  "checks_failed",
]);

export type Goal = "minimize" | "maximize";

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
  noise: number | null;
  target: string[];
  frozen: string[];
  frozen_hashes: Record<string, string>;
  agent: string;
  base_commit: string;
  timestamp: string;
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
  reason?: string;
  log_tail?: string;
  content_key?: string;
  duplicate_of?: number;
  agent_meta?: Record<string, unknown>;
}

/** A batch's start or end, with the reason it stopped. */
export interface BatchEntry {
  type: "batch";
  event: "start" | "end";
  timestamp: string;
  reason?: string;
  experiments?: number;
}

export type LedgerEntry = ConfigEntry | ResultEntry | BatchEntry;
