import type { ScreenGrey } from "./boundary.ts";
import { mean } from "./stats.ts";

/** First pairs the bar's staleness is read from: this one and the night's latest before it. */
export const STALE_WINDOW = 5;

/**
 * How far the bars the night's latest candidates were screened against stood worse than the
 * incumbent as it ran beside them (a lenient bar), in run sds, less one standard error, never
 * under 0: the mean of their first pairs' `incumbent_z` (each of about 1.1 run variances: a run's
 * and a bar of 10 runs'), this one's included. A machine that speeds up leaves every bar made of
 * earlier runs behind, so every first run beats its bar by that much more and a change that does nothing
 * passes the screen as if it were higher than it is. The paired test's boundary credits the
 * screen for sending on only first runs that looked good: it takes the screen this much lower, so
 * that the credit is for the screen that was. On a quiet machine it is 0 most of the time.
 */
export function barStaleness(zs: readonly number[]): number {
  const latest = zs.slice(-STALE_WINDOW);
  if (latest.length === 0) return 0;
  return Math.max(0, mean(latest) - Math.sqrt(1.1 / latest.length));
}

/**
 * The screen the paired test's boundary credits (PairedDesign's `screenSd` and `screenGrey`, run
 * sds): the one the candidate passed, `at` and its grey zone, each taken down by the bars'
 * staleness (barStaleness), never under 0.
 */
export function creditedScreen(
  at: number,
  grey: ScreenGrey | undefined,
  stale: number,
): { screenSd: number; screenGrey?: ScreenGrey } {
  const down = (x: number) => Math.max(0, x - stale);
  return {
    screenSd: down(at),
    ...(grey ? { screenGrey: { from: down(grey.from), mean: down(grey.mean) } } : {}),
  };
}
