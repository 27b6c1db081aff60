import type { ParsedLog } from "../ledger/log-jsonl.ts";
import type { IncumbentState } from "./ledger-state.ts";
import { ledgerSamples } from "./ledger-state.ts";
import { pooledNoise } from "./noise.ts";
import { mean, normalUpperTail, sumSquares, tUpperTail } from "./stats.ts";

/** |z| of one incumbent re-run beyond which autoexp suspects drift and measures again (p < 0.001). */
export const DRIFT_Z = 3.29;

/**
 * Whether fresh runs of the incumbent disagree with its earlier runs beyond noise. One run is
 * only a suspicion (|z| > 3.29): "suspected". With `confirm`, the runs are tested (two-sided
 * t-test, 99%) and a confirmed drift is described in words (the incumbent is then re-based on
 * the fresh runs). Null: no drift. Pure.
 */
export function driftCheck(
  log: Pick<ParsedLog, "results" | "remeasures">,
  metric: string,
  inc: IncumbentState,
  fresh: Record<string, number[]>,
  confirm = false,
): string | null {
  const old = inc.samples[metric] ?? [];
  const now = fresh[metric] ?? [];
  const noise = pooledNoise([...ledgerSamples(log).groups.map((g) => g[metric] ?? []), now]);
  if (old.length === 0 || now.length === 0) return null;
  const said = (before: number, sd: number) =>
    `the incumbent #${inc.iteration} now measures ${metric} ${fmt(mean(now))} over ${now.length} runs, against ${fmt(before)} before (${fmt((mean(now) - before) / sd)} sd): drift; its score is re-based on the new runs`;
  if (noise.sd > 0) {
    const shift = mean(now) - mean(old);
    const z = shift / (noise.sd * Math.sqrt(1 / now.length + 1 / old.length));
    if (!confirm && Math.abs(z) > DRIFT_Z) return "suspected";
    if (confirm && 2 * tUpperTail(Math.abs(z), noise.df) < 0.01) return said(mean(old), noise.sd);
  }
  const step = stepWithin(old, now, confirm ? 0.01 : 2 * normalUpperTail(DRIFT_Z));
  if (!step) return null;
  return confirm ? said(step.before, step.sd) : "suspected";
}

/**
 * A step in the incumbent's own runs, in the order they were made (`old`, then the fresh runs
 * `now`): the split with the largest t between the runs before it and those after (the fresh
 * runs always after), each side's spread about its own mean as the noise, significant at `p`
 * two-sided over all the splits tried (Bonferroni). The night's pooled noise cannot see it once
 * runs on both sides of a step are in one group: a trial that ran its pairs across a machine
 * that slowed by 12 sd put runs of both levels in the incumbent's runs and in its own, the
 * pooled sd read several times the truth, and a scheduled re-run 12 sd off was within it: the
 * rest of the night was judged against the old level (bench/drift.ts --scenarios slow, 2 of 6
 * nights lost the real 10 sd change). One run before the split will do: the run after a keep
 * is often the only one its code made before the machine changed. Two degrees of freedom at
 * least. Null: no such step.
 */
export function stepWithin(
  old: readonly number[],
  now: readonly number[],
  p: number,
): { before: number; sd: number } | null {
  const runs = [...old, ...now].filter(Number.isFinite);
  const df = runs.length - 2;
  const splits = old.length;
  if (df < 2 || splits < 1) return null;
  let best: { t: number; before: number; sd: number } | null = null;
  for (let s = 1; s <= old.length; s++) {
    const before = runs.slice(0, s);
    const after = runs.slice(s);
    const sd = Math.sqrt((sumSquares(before) + sumSquares(after)) / df);
    if (!(sd > 0)) continue;
    const t = (mean(after) - mean(before)) / (sd * Math.sqrt(1 / before.length + 1 / after.length));
    if (!best || Math.abs(t) > Math.abs(best.t)) best = { t, before: mean(before), sd };
  }
  if (!best || 2 * tUpperTail(Math.abs(best.t), df) * splits >= p) return null;
  return { before: best.before, sd: best.sd };
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
