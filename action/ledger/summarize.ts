import { judgedDeterministic, noiseSeen } from "../decide/determinism.ts";
import { ledgerSamples } from "../decide/ledger-state.ts";
import { mean } from "../decide/stats.ts";
import { cheapTransfer, type Transfer } from "../decide/transfer.ts";
import { keptBehindBaseline, unconfirmedKeeps, wrongWay } from "./cautions.ts";
import { evalSpent, type RunsSpent } from "./eval-spent.ts";
import type { ParsedLog } from "./log-jsonl.ts";
import { type BranchTree, branchTree } from "./render-branches.ts";
import { type CacheWriteView, cacheWriteViews } from "./render-cache-writes.ts";
import type { ParsedTsv } from "./results-tsv.ts";
import { gainsOnSameWorkers } from "./same-devices.ts";
import {
  type AttributeEntry,
  EVALUATED,
  type Evidence,
  type Goal,
  KEPT,
  type SplitEntry,
  type Status,
  type VerifyEntry,
} from "./types.ts";

/** One experiment as the dashboard, the CLI and the PR show it. */
export interface ViewRow {
  iteration: number;
  commit: string;
  score: number | null;
  delta: number | null;
  status: string;
  description: string;
  /** The incumbent's score after this experiment was decided. */
  best: number | null;
  /** Eval runs behind the score (re-measures of a kept commit included); null when unknown. */
  runs?: number | null;
  /** Why a keep was believed (effect, p-value, interval); absent for older or unconfirmed rows. */
  evidence?: Evidence | null;
  /** The earlier incumbent its delta is to, when the incumbent had moved on (see ResultEntry). */
  against?: number;
  /** Its runs disagreed in an eval judged deterministic: not kept on them (see ResultEntry). */
  nondeterministic?: true;
}

/** Everything a human summary needs, from either a log.jsonl or a karpathy results.tsv. */
export interface LedgerView {
  title: string;
  metric: string;
  goal: Goal;
  baseline: number | null;
  best: ViewRow | null;
  counts: Record<string, number>;
  rows: ViewRow[];
  /** Run-to-run standard deviation of the primary metric, pooled over every repeated run. */
  noise: number | null;
  /** Degrees of freedom behind `noise` (0: unknown). */
  noiseDf: number;
  /**
   * The eval was judged deterministic (its baseline's runs agreed exactly). `noise` is then the
   * spread of the runs that disagreed, the one the judge used (decide/determinism.ts).
   */
  deterministic?: boolean;
  /** Experiments whose runs disagreed in an eval judged deterministic, not kept on them. */
  nondeterministic?: number[];
  /** The confidence a keep needs (e.g. 0.95); null for a results.tsv. */
  confidence: number | null;
  /** The eval runs on record by what each was for (ledger/eval-spent.ts); absent: a results.tsv. */
  runs?: RunsSpent;
  /** Drift found by re-measuring, in words. */
  drift: string[];
  /** Trust caveats of the batches (unsandboxed evals, writable caches), each once. */
  caveats: string[];
  /** What runs wrote into declared writable caches, each into its own copy (absent: nothing). */
  cacheWrites?: CacheWriteView[];
  /** History imported from before autoexp: where from, how much, how much was kept there. */
  imported: { source: string; rows: number; kept: number }[];
  /** Kept experiments whose eval printed a metric more than once: worth a look at the diff. */
  printedTwice: { iteration: number; metrics: string[] }[];
  minDelta: number | null;
  stopReason: string | null;
  costUsd: number;
  /** Tokens the agent's model read and wrote, all experiments. */
  tokensIn: number;
  tokensOut: number;
  /** Eval time of every run on record (ledger/eval-spent.ts). */
  evalSeconds: number;
  /** Candidates' runs in evaluations a keep elsewhere left behind (absent: none). */
  leftBehind?: { runs: number; seconds: number };
  /** The latest `autoexp verify` of the current final code; null when it was not verified. */
  verified: VerifyEntry | null;
  /** The latest `autoexp attribute` of the current final code (absent: never attributed). */
  attribution?: AttributeEntry | null;
  /** The latest `autoexp split` of the current final code (absent: never split). */
  split?: SplitEntry | null;
  /** Strategy `branch`: the points proposed on and the switches (absent: it never branched). */
  branches?: BranchTree;
  /** The cheap eval's transfer to the full eval (absent: no row has a cheap eval). */
  cheapEval?: Transfer;
  /** Some experiment was measured in pairs, beside runs of the incumbent (absent: none). */
  paired?: true;
  /**
   * Some value is the baseline's plus the experiment's gain on the workers both ran on, not the
   * plain mean of its runs (same-devices.ts; absent: none).
   */
  sameWorkers?: true;
}

/** True for rows whose score is a measurement worth plotting. */
export function isEvaluated(row: Pick<ViewRow, "status" | "score">): boolean {
  return EVALUATED.has(row.status as Status) && row.score !== null;
}

/** Builds the view of an autoexp log.jsonl. */
export function viewFromLog(log: ParsedLog, title?: string): LedgerView {
  const metric = log.config?.metric ?? "score";
  const goal = log.config?.goal ?? "minimize";
  const spent = evalSpent(log, metric);
  const samples = ledgerSamples(log);
  let best: number | null = null;
  let bestRow: ViewRow | null = null;
  // On several workers an experiment's value is the baseline's plus its gain on the workers both
  // ran on (same-devices.ts): the plain means of its runs and the baseline's mix devices in
  // different shares, and a discard's runs on a worker that reads high would stand above the best.
  const onSameWorkers = gainsOnSameWorkers(log, metric);
  const base = log.results.find((r) => r.status === "baseline");
  const baseRuns = base ? samples.current.get(base.iteration)?.[metric] : undefined;
  const baseScore = baseRuns?.length ? mean(baseRuns) : (base?.score ?? null);
  let sameWorkers = false;
  const rows = log.results.map((r) => {
    // A kept commit's score is the mean of all its runs, re-measures included.
    const values = samples.current.get(r.iteration)?.[metric];
    const measured = r.iteration !== 0 && r.score !== null && EVALUATED.has(r.status as Status);
    const gain = measured && baseScore !== null ? onSameWorkers(r.iteration) : null;
    if (gain !== null) sameWorkers = true;
    const score =
      gain !== null
        ? baseScore! + gain
        : KEPT.has(r.status as Status) && values?.length
          ? mean(values)
          : r.score;
    const row: ViewRow = {
      iteration: r.iteration,
      commit: r.commit,
      score,
      delta: r.delta,
      status: r.status,
      description: r.description,
      best,
      runs: values?.length ?? null,
      evidence: r.evidence ?? null,
      ...(r.against !== undefined ? { against: r.against } : {}),
      ...(r.nondeterministic ? { nondeterministic: true as const } : {}),
    };
    if (KEPT.has(r.status as Status) && score !== null) {
      best = score;
      bestRow = row;
    }
    row.best = best;
    return row;
  });
  const last = log.batches.at(-1);
  const deterministic = judgedDeterministic(log.config);
  const pooled = noiseSeen(samples.groups, [metric], deterministic)[metric]!;
  const final = log.results.findLast((r) => KEPT.has(r.status) && r.score !== null)?.commit_full;
  // Strategy `branch`, revisits, or a matrix's lines (rows carrying `line`): the tree.
  const tree = branchTree(log);
  // The baseline's row as every surface shows it (all its runs, re-measures included), so the
  // headline's baseline is the #0 row's value and best - baseline compares like with like. The
  // best is the incumbent's row, read as above (ledger-state.ts scores it on the same runs).
  const baseline = baseScore ?? log.config?.baseline ?? null;
  const verified = (final && log.verifies?.findLast((v) => v.final_commit === final)) || null;
  const behind = verified ? null : keptBehindBaseline(metric, goal, baseline, bestRow);
  const unconfirmed = unconfirmedKeeps(log, metric, goal);
  return {
    title: title ?? log.config?.tag ?? "autoexp",
    metric,
    goal,
    baseline,
    best: bestRow,
    counts: countStatuses(rows),
    rows,
    noise: pooled.df > 0 ? pooled.sd : (log.config?.noise ?? null),
    noiseDf: pooled.df,
    deterministic,
    nondeterministic: log.results.flatMap((r) => (r.nondeterministic ? [r.iteration] : [])),
    confidence: log.config?.confidence ?? null,
    runs: spent.runs,
    drift: log.remeasures.flatMap((m) => (m.reason === "drift" && m.note ? [m.note] : [])),
    caveats: [
      ...new Set(log.batches.flatMap((b) => b.caveats ?? [])),
      ...(behind ? [behind] : []),
      ...(unconfirmed ? [unconfirmed] : []),
    ],
    ...(log.cacheWrites?.length
      ? { cacheWrites: cacheWriteViews(log.cacheWrites, log.results) }
      : {}),
    imported: (log.imports ?? []).map((i) => ({
      source: i.source,
      rows: i.rows.length,
      kept: keptAfterBaseline(i.rows),
    })),
    printedTwice: log.results.flatMap((r) =>
      KEPT.has(r.status) && r.printed_twice?.length
        ? [{ iteration: r.iteration, metrics: r.printed_twice }]
        : [],
    ),
    minDelta: log.config?.min_delta ?? null,
    stopReason: last?.event === "end" ? (last.reason ?? null) : null,
    costUsd: log.results.reduce((s, r) => s + (r.cost_usd || 0), 0),
    tokensIn: log.results.reduce((s, r) => s + (r.tokens_in || 0), 0),
    tokensOut: log.results.reduce((s, r) => s + (r.tokens_out || 0), 0),
    evalSeconds: spent.seconds,
    ...(spent.runs.leftBehind > 0
      ? { leftBehind: { runs: spent.runs.leftBehind, seconds: spent.leftBehindSeconds } }
      : {}),
    verified,
    attribution: (final && log.attributes?.findLast((a) => a.final_commit === final)) || null,
    split: (final && log.splits?.findLast((x) => x.final_commit === final)) || null,
    ...(tree ? { branches: tree } : {}),
    ...(log.remeasures.some((m) => m.paired_with !== undefined) ? { paired: true as const } : {}),
    ...(sameWorkers ? { sameWorkers: true as const } : {}),
    ...(log.results.some((r) => r.cheap || r.cheap_stopped)
      ? { cheapEval: cheapTransfer(log.results) }
      : {}),
  };
}

/**
 * Builds the view of a karpathy-style results.tsv: the first metric column is the score, the
 * first row the baseline, `keep` rows move the best. The goal cannot be read from the file.
 */
export function viewFromTsv(tsv: ParsedTsv, goal: Goal, title = "results.tsv"): LedgerView {
  const metric = tsv.metrics[0] ?? "score";
  let best: number | null = null;
  let bestRow: ViewRow | null = null;
  const rows = tsv.rows.map((r, i) => {
    const raw = r.values[metric];
    const score = r.status === "crash" || raw === undefined || !Number.isFinite(raw) ? null : raw;
    const status = i === 0 ? "baseline" : r.status;
    const row: ViewRow = {
      iteration: i,
      commit: r.commit,
      score,
      delta: score !== null && best !== null ? score - best : null,
      status,
      description: r.description,
      best,
    };
    if ((i === 0 || r.status === "keep") && score !== null) {
      best = score;
      bestRow = row;
    }
    row.best = best;
    return row;
  });
  return {
    title,
    metric,
    goal,
    baseline: rows[0]?.score ?? null,
    best: bestRow,
    counts: countStatuses(rows),
    rows,
    noise: null,
    noiseDf: 0,
    confidence: null,
    drift: [],
    caveats: wrongWay(metric, goal, rows[0]?.score ?? null, bestRow),
    imported: [],
    printedTwice: [],
    minDelta: null,
    stopReason: null,
    costUsd: 0,
    tokensIn: 0,
    tokensOut: 0,
    evalSeconds: 0,
    verified: null,
  };
}

function countStatuses(rows: readonly ViewRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** Signed change from baseline to best in percent, or null when either is missing or zero. */
export function improvementPercent(view: Pick<LedgerView, "baseline" | "best">): number | null {
  const best = view.best?.score;
  if (view.baseline === null || best === undefined || best === null || view.baseline === 0)
    return null;
  return ((best - view.baseline) / Math.abs(view.baseline)) * 100;
}

/**
 * An imported results.tsv's keeps, as `report` counts them: its first row is its baseline (karpathy's
 * loop marks it `keep`), the keeps are those after it. Import said "3 kept there" where report
 * said 2.
 */
export function keptAfterBaseline(rows: readonly { status: string }[]): number {
  return rows.slice(1).filter((r) => r.status === "keep").length;
}
