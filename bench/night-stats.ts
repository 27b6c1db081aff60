import { mean } from "../action/decide/stats.ts";

export { mean };

/** The standard error of the mean of per-night figures (0 for fewer than two nights). */
export function se(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
}
