/**
 * How far, in run sds of a difference, the incumbent's run in a candidate's first pair may stand
 * from the bar that candidate was screened against for that pair to be a look of the paired test
 * (PairedDesign.firstPairKeeps). About 1 first pair in 20 of a quiet machine is farther.
 */
export const FIRST_PAIR_AGREES = 2;

/**
 * Whether the incumbent's run in a first pair agrees with the bar (`barMean`, as sure as the mean
 * of `barRuns` runs; `z` is that run's distance from it in run sds). The first pair is the
 * screened run and the incumbent's run right after it: a step in the machine's speed between the
 * two (a load spike starting) would fool that pair alone. A step large enough to matter moves the
 * incumbent's run off the bar its earlier runs set, and then a keep needs a second pair, as before.
 */
export function firstPairAgrees(z: number, barRuns: number): boolean {
  return Math.abs(z) <= FIRST_PAIR_AGREES * Math.sqrt(1 + 1 / Math.max(1, barRuns));
}
