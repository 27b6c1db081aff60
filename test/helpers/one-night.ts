import type {
  AttributeEntry,
  BatchEntry,
  ConfigEntry,
  LedgerEntry,
  ResultEntry,
  SplitEntry,
  Status,
  VerifyEntry,
} from "../../action/ledger/types.ts";

/** What an agent or an eval may write, for the rows of one night (every field defaults). */
export interface NightText {
  describe?: (iteration: number) => string;
  logTail?: string;
  verifyProblem?: string;
  stopReason?: string;
}

const sha = (n: number) => `${String(n).repeat(7)}${"a".repeat(33)}`.slice(0, 40);

function row(
  iteration: number,
  status: Status,
  score: number | null,
  delta: number | null,
  text: NightText,
  extra: Partial<ResultEntry> = {},
): ResultEntry {
  const commit = sha(iteration);
  return {
    type: "result",
    iteration,
    commit: commit.slice(0, 7),
    commit_full: commit,
    diff: `refs/autoexp/night/${iteration}`,
    score,
    delta,
    guard_score: null,
    guard_pass: score === null ? null : true,
    status,
    description: text.describe?.(iteration) ?? `change ${iteration}`,
    timestamp: `2026-11-23T0${iteration}:00:00.000Z`,
    metrics: score === null ? {} : { val_loss: score },
    samples: score === null || status === "duplicate" ? {} : { val_loss: [score] },
    agent_seconds: 1,
    eval_seconds: 60,
    cost_usd: 0,
    ...extra,
  };
}

/**
 * One night of a minimised val_loss, with every kind of row the morning view must agree on: the
 * baseline (10), a keep (8), a discard, a crash, a duplicate of the discard, a second keep (6), a
 * last discard; then a verify line, an attribute line and a split line of the final code.
 * Six experiments after the baseline, two kept.
 */
export function oneNight(text: NightText = {}): LedgerEntry[] {
  const config: ConfigEntry = {
    type: "config",
    version: 1,
    tag: "night",
    name: "night",
    constrained_file: "train.py",
    eval_command: "python train.py",
    metric: "val_loss",
    goal: "minimize",
    guard_metric: null,
    guard_threshold: null,
    guards: {},
    baseline: 10,
    min_delta: 0.5,
    noise: 1,
    confidence: 0.95,
    target: ["train.py"],
    frozen: ["eval.py"],
    frozen_hashes: {},
    agent: "command",
    base_commit: sha(0),
    timestamp: "2026-11-23T00:00:00.000Z",
  };
  const evidence = (gain: number, ci: [number, number]) => ({
    metric: "val_loss",
    gain,
    effect_sigma: gain,
    p: 0.01,
    ci,
    runs: 1,
    incumbent_runs: 1,
    sd: 1,
    test: "t" as const,
  });
  const base = row(0, "baseline", 10, null, { describe: () => "baseline" });
  const results: ResultEntry[] = [
    base,
    row(1, "keep", 8, -2, text, { evidence: evidence(2, [0.5, 3.5]) }),
    row(2, "discard", 9, 1, text),
    row(3, "crash", null, null, text, {
      reason: "the eval exited 1",
      log_tail: text.logTail ?? "Traceback: boom",
    }),
    row(4, "duplicate", 9, 1, text, { duplicate_of: 2 }),
    row(5, "keep", 6, -2, text, { evidence: evidence(2, [1, 3]) }),
    row(6, "discard", 7, 1, text),
  ];
  const batch: BatchEntry = {
    type: "batch",
    event: "end",
    timestamp: "2026-11-23T07:00:00.000Z",
    reason: text.stopReason ?? "experiments budget reached (6)",
    experiments: 6,
  };
  const gain = {
    gain: 3.8,
    ci: [2, 5.6] as [number, number],
    sd: 2,
    pairs: 8,
    includes_no_improvement: false,
  };
  const verify: VerifyEntry = {
    type: "verify",
    metric: "val_loss",
    goal: "minimize",
    base_commit: sha(0),
    final_commit: sha(5),
    final_iteration: 5,
    pairs: 8,
    confidence: 0.95,
    samples: { base: [10, 10, 10, 10, 10, 10, 10, 10], final: [6, 6, 6, 6, 6, 6, 6, 6.4] },
    gain,
    kept_gain_sum: 4,
    kept: 2,
    ...(text.verifyProblem
      ? {
          failures: [
            {
              pair: 3,
              code: "final" as const,
              eval: "validation" as const,
              problem: text.verifyProblem,
            },
          ],
        }
      : {}),
    isolation: "sandbox",
    eval_seconds: 960,
    timestamp: "2026-11-23T08:00:00.000Z",
  };
  const attribute: AttributeEntry = {
    type: "attribute",
    metric: "val_loss",
    goal: "minimize",
    final_commit: sha(5),
    final_iteration: 5,
    pairs: 4,
    confidence: 0.95,
    changes: [1, 5].map((iteration) => ({
      iteration,
      commit: sha(iteration),
      description: text.describe?.(iteration) ?? `change ${iteration}`,
      status: "measured" as const,
      samples: { final: [6, 6, 6, 6], without: [8, 8, 8, 8] },
      effect: {
        gain: 1.9,
        ci: [0.9, 2.9] as [number, number],
        sd: 1,
        pairs: 4,
        includes_no_improvement: false,
      },
      drop_candidate: false,
    })),
    runs: 16,
    estimated_seconds: 960,
    isolation: "sandbox",
    eval_seconds: 960,
    timestamp: "2026-11-23T09:00:00.000Z",
  };
  const split: SplitEntry = {
    type: "split",
    metric: "val_loss",
    goal: "minimize",
    base_commit: sha(0),
    final_commit: sha(5),
    final_iteration: 5,
    pairs: 8,
    confidence: 0.95,
    groups: [
      {
        n: 1,
        branch: "autoexp/night--1",
        commit: sha(9),
        iterations: [1, 5],
        files: ["train.py"],
        samples: verify.samples,
        gain,
      },
    ],
    isolation: "sandbox",
    eval_seconds: 960,
    timestamp: "2026-11-23T10:00:00.000Z",
  };
  return [config, ...results, batch, verify, attribute, split];
}
