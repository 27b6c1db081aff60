/**
 * How well the cheap eval (eval.screen) ranks candidates the way the full eval does: Spearman's
 * rank correlation between the cheap eval's gain and the full eval's gain (its row's delta) over
 * the candidates that got both, with a 90% interval, and whether screening goes on. Pure.
 */
import type { CheapRecord, CheapStop, ResultEntry } from "../ledger/types.ts";
import { mean } from "./stats.ts";

/** Candidates with both gains before the transfer may stop the cheap eval. */
export const TRANSFER_MIN_N = 8;
/** Screening stops when the stop bound is under this: the cheap eval ranks poorly. */
export const TRANSFER_FLOOR = 0.3;
/** The level of the interval recorded and shown. */
export const TRANSFER_LEVEL = 0.9;
/**
 * The level of the one-sided upper bound that stops screening: looked at after every candidate
 * with both, so a lower level than the interval's. Chosen by bench/transfer-model.ts: at 80% from
 * 8 candidates, a cheap eval with a true rho of 0 is stopped by 20 candidates in most simulations
 * while one with rho 0.8 is stopped in under 5% within 40 (the 90% interval's upper end, from 12,
 * stopped the rho 0 one by 20 in fewer than half).
 */
export const TRANSFER_STOP_LEVEL = 0.8;

/** Ranks from 1, ties given their average rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[order[k]!.i] = rank;
    start = end + 1;
  }
  return out;
}

/** Spearman's rank correlation (Pearson's on the ranks, ties averaged); NaN when undefined. */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new Error("spearman: the two lists differ in length");
  if (xs.length < 2) return Number.NaN;
  const rx = ranks(xs);
  const ry = ranks(ys);
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    const dx = rx[i]! - mx;
    const dy = ry[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

/**
 * The interval for a rank correlation `rho` over `n` pairs, by Fisher's z with Bonett and
 * Wright's variance for Spearman's rho ((1 + rho^2/2) / (n - 3)): the plain 1/(n - 3) is too
 * narrow for a rank correlation (Bonett & Wright 2000, Psychometrika 65). Null under 4 pairs.
 */
export function rankCorrelationInterval(
  rho: number,
  n: number,
  level = TRANSFER_LEVEL,
): [number, number] | null {
  if (n < 4 || !Number.isFinite(rho)) return null;
  // atanh(±1) is infinite: a perfect correlation is clamped just inside.
  const r = Math.max(-0.999999, Math.min(0.999999, rho));
  const z = Math.atanh(r);
  const se = Math.sqrt((1 + (r * r) / 2) / (n - 3));
  const q = normalQuantile(1 - (1 - level) / 2);
  return [Math.tanh(z - q * se), Math.tanh(z + q * se)];
}

/**
 * The one-sided upper confidence bound at `level` for a rank correlation `rho` over `n` pairs
 * (Fisher's z, Bonett and Wright's variance, as rankCorrelationInterval). Null under 4 pairs.
 */
export function transferUpperBound(
  rho: number,
  n: number,
  level = TRANSFER_STOP_LEVEL,
): number | null {
  if (n < 4 || !Number.isFinite(rho)) return null;
  const r = Math.max(-0.999999, Math.min(0.999999, rho));
  const se = Math.sqrt((1 + (r * r) / 2) / (n - 3));
  return Math.tanh(Math.atanh(r) + normalQuantile(level) * se);
}

/** The standard normal's quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** The cheap eval's standing over a ledger's rows. */
export interface Transfer {
  /** screening: in use; stopped: no longer used (see `stop`). */
  state: "screening" | "stopped";
  /** Candidates with both the cheap and the full eval's gain. */
  n: number;
  /** Their rank correlation (NaN under 2), and its 90% interval (null under 4). */
  rho: number;
  ci: [number, number] | null;
  /** Why it stopped, as recorded (null while screening). */
  stop: CheapStop | null;
  /** Candidates the cheap eval sent on, discarded, sent on anyway (explored), and crashed. */
  counts: Record<CheapRecord["outcome"], number>;
  /** Seconds spent in cheap runs. */
  seconds: number;
}

/**
 * The cheap eval's standing after `rows`: the rank correlation over the rows that have both
 * gains, and screening stopped once a row records the stop. `stopNow`: whether the next candidate
 * should not be screened (TRANSFER_MIN_N pairs or more and the one-sided TRANSFER_STOP_LEVEL
 * upper bound under TRANSFER_FLOOR), with the record of why.
 */
export function cheapTransfer(
  rows: readonly Pick<ResultEntry, "cheap" | "cheap_stopped">[],
): Transfer & {
  stopNow: CheapStop | null;
} {
  const xs: number[] = [];
  const ys: number[] = [];
  const counts = { passed: 0, explored: 0, failed: 0, crashed: 0 };
  let seconds = 0;
  let stop: CheapStop | null = null;
  for (const r of rows) {
    if (r.cheap_stopped && !stop) stop = r.cheap_stopped;
    const c = r.cheap;
    if (!c) continue;
    counts[c.outcome]++;
    seconds += c.seconds;
    if (c.gain !== null && c.full !== undefined) {
      xs.push(c.gain);
      ys.push(c.full);
    }
  }
  const n = xs.length;
  const rho = spearman(xs, ys);
  const ci = rankCorrelationInterval(rho, n);
  const bound = transferUpperBound(rho, n);
  const poor =
    !stop && n >= TRANSFER_MIN_N && ci !== null && bound !== null && bound < TRANSFER_FLOOR;
  const r2 = (x: number) => Number(x.toFixed(2));
  const stopNow: CheapStop | null = poor
    ? {
        n,
        rho: r2(rho),
        ci: [r2(ci[0]), r2(ci[1])],
        reason: `the cheap eval ranks candidates unlike the full eval: rank correlation ${r2(rho)} (90% interval ${r2(ci[0])} to ${r2(ci[1])}) over ${n} candidates that had both, its ${TRANSFER_STOP_LEVEL * 100}% upper bound ${r2(bound)} under ${TRANSFER_FLOOR}; every candidate gets the full eval from here on`,
      }
    : null;
  return {
    state: stop ? "stopped" : "screening",
    n,
    rho,
    ci,
    stop,
    counts,
    seconds,
    stopNow,
  };
}

/**
 * The run-to-run sd of the cheap eval, pooled within each incumbent's cheap runs (its runs of one
 * code differ only by noise), and its degrees of freedom.
 */
export function cheapNoise(rows: readonly Pick<ResultEntry, "cheap">[]): {
  sd: number;
  df: number;
} {
  const byCode = new Map<number, number[]>();
  for (const r of rows) {
    if (!r.cheap) continue;
    const runs = byCode.get(r.cheap.of) ?? [];
    runs.push(...r.cheap.incumbent);
    byCode.set(r.cheap.of, runs);
  }
  let ss = 0;
  let df = 0;
  for (const runs of byCode.values()) {
    if (runs.length < 2) continue;
    const m = mean(runs);
    for (const v of runs) ss += (v - m) ** 2;
    df += runs.length - 1;
  }
  return { sd: df > 0 ? Math.sqrt(ss / df) : 0, df };
}
