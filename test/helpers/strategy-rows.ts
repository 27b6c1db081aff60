import type { ResultEntry } from "../../action/ledger/types.ts";

/** A result row for the strategy tests: commit, ref and content key follow the iteration. */
export function row(
  iteration: number,
  status: ResultEntry["status"],
  score: number | null,
  delta: number | null,
  extra: Partial<ResultEntry> = {},
): ResultEntry {
  return {
    type: "result",
    iteration,
    commit: `c${iteration}`,
    commit_full: `${iteration}`.padStart(40, "0"),
    diff: `refs/autoexp/t/${iteration}`,
    score,
    delta,
    guard_score: null,
    guard_pass: null,
    status,
    description: `#${iteration}`,
    timestamp: "",
    metrics: {},
    samples: {},
    agent_seconds: 0,
    eval_seconds: 0,
    cost_usd: 0,
    content_key: `k${iteration}`,
    ...extra,
  };
}
