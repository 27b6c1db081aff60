import { formatLines } from "../../action/ledger/log-jsonl.ts";
import type {
  ConfigEntry,
  LedgerEntry,
  ResultEntry,
  Status,
  VerifyEntry,
} from "../../action/ledger/types.ts";

const IDEAS = [
  "raise the learning rate",
  "lower the learning rate",
  "more warmup steps",
  "wider MLP",
  "deeper model",
  "remove dropout",
  "RMSNorm instead of LayerNorm",
  "cosine schedule with a floor",
  "larger batch",
  "tie embeddings",
];

/** A ledger of `n` experiments that looks like a night's work: mostly discards, some keeps, crashes. */
export function syntheticLedger(n: number): { header: ConfigEntry; results: ResultEntry[] } {
  const header: ConfigEntry = {
    type: "config",
    version: 1,
    tag: "night",
    name: "night",
    constrained_file: "train.py",
    eval_command: "python train.py",
    metric: "val_bpb",
    goal: "minimize",
    guard_metric: "peak_vram_mb",
    guard_threshold: 70000,
    guards: { peak_vram_mb: { max: 70000 } },
    baseline: 1.0,
    min_delta: 0.002,
    noise: 0.004,
    target: ["train.py"],
    frozen: ["prepare.py"],
    frozen_hashes: {},
    agent: "openai",
    base_commit: "0".repeat(40),
    timestamp: "2026-11-23T00:00:00.000Z",
  };
  const results: ResultEntry[] = [row(0, "baseline", 1.0, 0, "baseline")];
  let best = 1.0;
  for (let i = 1; i <= n; i++) {
    const idea = `${IDEAS[i % IDEAS.length]} (variant ${i % 37})`;
    let status: Status = "discard";
    if (i % 13 === 0) status = "keep";
    else if (i % 17 === 0) status = "crash";
    else if (i % 29 === 0) status = "agent_error";
    const score =
      status === "crash" || status === "agent_error"
        ? null
        : best + (status === "keep" ? -0.003 : 0.002);
    const r = row(i, status, score, score === null ? null : score - best, idea);
    if (status === "crash")
      r.log_tail = `Traceback (most recent call last):\n  File "train.py", line ${i}\ntorch.OutOfMemoryError: CUDA out of memory (#${i})`;
    if (status === "agent_error")
      r.reason = `edit rejected: block 1 (train.py): the SEARCH part matches 2 places (#${i})`;
    if (status === "keep") {
      best = score!;
      r.evidence = {
        metric: "val_bpb",
        gain: 0.003,
        effect_sigma: 0.75,
        p: 0.01,
        ci: [0.001, 0.005],
        runs: 3,
        incumbent_runs: 5,
        sd: 0.004,
        test: "t",
      };
    }
    results.push(r);
  }
  return { header, results };
}

function row(
  iteration: number,
  status: Status,
  score: number | null,
  delta: number | null,
  description: string,
): ResultEntry {
  return {
    type: "result",
    iteration,
    commit: "abcdef1",
    commit_full: "abcdef1".padEnd(40, "0"),
    diff: `refs/autoexp/night/${iteration}`,
    score,
    delta,
    guard_score: 50000,
    guard_pass: true,
    status,
    description,
    timestamp: "2026-11-23T00:00:00.000Z",
    metrics: score === null ? {} : { val_bpb: score, peak_vram_mb: 50000 },
    samples: {},
    agent_seconds: 20,
    eval_seconds: 300,
    cost_usd: 0.01,
  };
}

/** A training script of about `lines` lines, like the files agents edit. */
export function syntheticScript(lines: number): string {
  const out = ["import torch", "LEARNING_RATE = 3e-4", "BATCH_SIZE = 32", ""];
  for (let i = 0; out.length < lines; i++)
    out.push(`def block_${i}(x):`, `    h = x * ${i + 1}.0 + 0.5`, "    return torch.tanh(h)", "");
  return `${out.join("\n")}\n`;
}

/**
 * syntheticLedger(30) at 95% confidence as log.jsonl text: its keeps reading `keptAt` when given,
 * then, with `verify`, a verify of its final code (a verified gain of 0.041 ± 0.006 over 8 pairs
 * unless `verify` says otherwise).
 */
export function syntheticNight(
  options: { keptAt?: number; verify?: Partial<VerifyEntry> | null } = {},
): string {
  const { header, results } = syntheticLedger(30);
  if (options.keptAt !== undefined)
    for (const r of results)
      if (r.status === "keep") {
        r.score = options.keptAt;
        r.metrics = { ...r.metrics, val_bpb: options.keptAt };
      }
  const entries: LedgerEntry[] = [{ ...header, confidence: 0.95 }, ...results];
  const final = results.findLast((r) => r.status === "keep")!;
  if (options.verify)
    entries.push({
      type: "verify",
      metric: "val_bpb",
      goal: "minimize",
      base_commit: header.base_commit,
      final_commit: final.commit_full!,
      final_iteration: final.iteration,
      pairs: 8,
      confidence: 0.95,
      samples: { base: [], final: [] },
      gain: {
        gain: 0.041,
        ci: [0.035, 0.047],
        sd: 0.007,
        pairs: 8,
        includes_no_improvement: false,
      },
      kept_gain_sum: 0.052,
      kept: 2,
      isolation: "sandbox",
      eval_seconds: 4800,
      timestamp: "2026-11-23T08:00:00.000Z",
      ...options.verify,
    });
  return formatLines(entries);
}
