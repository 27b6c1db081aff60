import { median, sumSquares } from "./stats.ts";

/** Run-to-run noise of one metric: a pooled standard deviation and its degrees of freedom. */
export interface Noise {
  /** Pooled sample standard deviation over every repeated measurement. */
  sd: number;
  /** Degrees of freedom: sum over groups of (runs - 1). 0 means unknown. */
  df: number;
  /** 1.4826 x the median absolute deviation from group medians: the spread without outliers. */
  robustSd: number | null;
}

export const UNKNOWN_NOISE: Noise = { sd: 0, df: 0, robustSd: null };

/**
 * Pools the spread of repeated runs of the same code (`groups`: one array of samples per
 * commit). Pooling uses every replicate the ledger holds (baseline, confirmations, re-measures),
 * so the estimate sharpens as the batch runs instead of resting on a few baseline runs. The
 * plain pooled SD is what the tests use: it is conservative when one run is an outlier (a slow
 * first run, a hiccup), where a trimmed estimate would be too small and let noise through.
 * The robust figure is reported next to it so `autoexp check` can point at heavy tails.
 */
export function pooledNoise(groups: readonly (readonly number[])[]): Noise {
  let ss = 0;
  let df = 0;
  const residuals: number[] = [];
  for (const g of groups) {
    const finite = g.filter(Number.isFinite);
    if (finite.length < 2) continue;
    ss += sumSquares(finite);
    df += finite.length - 1;
    const m = median(finite);
    for (const v of finite) residuals.push(Math.abs(v - m));
  }
  if (df === 0) return UNKNOWN_NOISE;
  return {
    sd: Math.sqrt(ss / df),
    df,
    robustSd: residuals.length >= 6 ? 1.4826 * median(residuals) : null,
  };
}
