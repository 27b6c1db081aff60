import type { ParsedLog } from "../ledger/log-jsonl.ts";
import type { IncumbentState } from "./ledger-state.ts";
import { ledgerSamples } from "./ledger-state.ts";
import { pooledNoise } from "./noise.ts";
import { mean, tUpperTail } from "./stats.ts";

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
  if (noise.sd === 0 || old.length === 0 || now.length === 0) return null;
  const shift = mean(now) - mean(old);
  const se = noise.sd * Math.sqrt(1 / now.length + 1 / old.length);
  const z = shift / se;
  if (!confirm) return Math.abs(z) > DRIFT_Z ? "suspected" : null;
  if (2 * tUpperTail(Math.abs(z), noise.df) >= 0.01) return null;
  return `the incumbent #${inc.iteration} now measures ${metric} ${fmt(mean(now))} over ${now.length} runs, against ${fmt(mean(old))} before (${fmt(shift / noise.sd)} sd): drift; its score is re-based on the new runs`;
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
