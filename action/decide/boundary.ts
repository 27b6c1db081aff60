import { createRandom, gaussian } from "../util/random.ts";
import { tQuantileUpper } from "./stats.ts";

/** A candidate "looks good" only when t reaches this; below it further runs are unlikely to help. */
export const FUTILITY_T = 0.5;

/**
 * The least t a keep needs, whatever the simulation allows: behind a high screen so few
 * candidates with no effect reach the pairs that any t would keep the false-keep rate under
 * alpha, yet a keep whose own pairs show its gain under one standard error is no evidence.
 */
export const MIN_CRITICAL_T = 1;

/**
 * Trials behind one boundary: at least 20,000 (the rate known to about ±0.15%), and enough that
 * `EXCEEDANCES` no-effect trials are expected over it, up to MAX_TRIALS (about 0.1 s a boundary).
 * The boundary lies among the highest peaks: at a confidence of 0.9999, 20,000 trials put it
 * between the highest two, a draw whose real false-keep rate was 3 times alpha.
 */
const MIN_TRIALS = 20_000;
const MAX_TRIALS = 200_000;
const EXCEEDANCES = 20;

export interface BoundaryInput {
  /** Runs of the incumbent the candidate is compared with. */
  incumbentRuns: number;
  /** Degrees of freedom of the noise estimate before the candidate's own runs. */
  df: number;
  /** The most runs a candidate gets; its looks are runs 2 to maxRuns. */
  maxRuns: number;
  /** The false-keep rate allowed: P(keep | no effect). */
  alpha: number;
  /** The screen after one run (min_delta in noise units): below it a candidate is discarded. */
  screenSd: number;
  /**
   * Paired differences (decide.paired): each look is a pair of runs, the incumbent's and the
   * candidate's, so the statistic is the mean difference over its spread (no incumbent term), and
   * the looks are pairs 2 to maxRuns. `fresh`: pairs from the first run, the first pair screened
   * at min_delta (`screenSd` in units of a pair difference's sd). `screened`: the candidate's
   * first run was screened against `incumbentRuns` earlier runs of the incumbent (at `screenSd`
   * pair-difference sds) and, passing, becomes the candidate's side of the first pair: the
   * boundary accounts for that run being selected for looking good. `unscreened`: pairs from the
   * first run, which no screen chose and none discarded (a change that beat the incumbent it was
   * made for, re-applied onto the one a keep elsewhere put in its place: steps.ts, wonAgainst):
   * the first look that can discard is the second pair; `screenSd` and `incumbentRuns` play no
   * part.
   */
  paired?: "fresh" | "screened" | "unscreened" | undefined;
  /**
   * `screened` with a second look (ScreenGrey, in pair-difference sds like `screenSd`): a first
   * run at or above `from` but under `screenSd` gets a second run, and passes when the two runs'
   * mean reaches `mean`; the second run is then the candidate's side of the first pair.
   */
  grey?: ScreenGrey | undefined;
  /**
   * `screened` or `unscreened`: the first pair is a look too (a keep on one pair,
   * PairedDesign.firstPairKeeps).
   */
  firstPairKeeps?: boolean | undefined;
  /**
   * `screened` with firstPairKeeps: the screen (min_delta, in pair-difference sds) of the fresh
   * pairs that decide where the first pair is not a look (its incumbent run far from the bar) or
   * a keep on it is reopened by the run after it (evaluate-paired.ts). Absent: 0, the safe way.
   */
  freshScreenSd?: number | undefined;
}

/**
 * How far, in run sds of a difference, the incumbent's run in a candidate's first pair may stand
 * from the bar that candidate was screened against for that pair to be a look of the paired test
 * (PairedDesign.firstPairKeeps). About 1 first pair in 20 of a quiet machine is farther.
 */
export const FIRST_PAIR_AGREES = 2;

/**
 * Whether the incumbent's run in a first pair agrees with the bar (as sure as the mean of `barRuns`
 * runs): `z` is that run's distance from it in run sds. The first pair is the
 * screened run and the incumbent's run right after it: a step in the machine's speed between the
 * two (a load spike starting) would fool that pair alone. A step large enough to matter moves the
 * incumbent's run off the bar its earlier runs set, and then a keep needs a second pair, as before.
 */
export function firstPairAgrees(z: number, barRuns: number): boolean {
  return Math.abs(z) <= FIRST_PAIR_AGREES * Math.sqrt(1 + 1 / Math.max(1, barRuns));
}

/**
 * A screen's grey zone: a first run under the screen but at or above `from` is run once more,
 * and passes when the mean of its two runs reaches `mean` (both in the screen's units).
 */
export interface ScreenGrey {
  from: number;
  mean: number;
}

/** A grey zone given in run sds, in the boundary's units: a pair's difference has twice a run's variance. */
export function greyInPairSds(grey: ScreenGrey): ScreenGrey {
  return { from: grey.from / Math.SQRT2, mean: grey.mean / Math.SQRT2 };
}

/**
 * The critical t of the sequential rule, one value for every look: a candidate with no effect
 * is kept with probability at most `alpha` under the rule as it runs (the screen after one run,
 * the stop when t falls under FUTILITY_T, the noise estimate growing with the candidate's own
 * runs; in pairs behind a screen, the first pair set aside where its incumbent run left the bar
 * and a keep on it reopened by the run after it), found by seeded simulation with Gaussian
 * noise, so the same inputs always give the same boundary. Counted as keeps whatever followed,
 * first pairs took 0.6 to 0.7 of alpha where the rule spends it all (bench/calibration.ts). Splitting alpha evenly over the looks (Bonferroni) is also valid, but it
 * ignores that every look reuses the runs before it, and that the screen and the futility stop
 * end most candidates with no effect early: it allows about half the false keeps it could, and
 * pays for that with power (a +2 sd change kept 50-80% of the time instead of 60-90%).
 *
 * The rate is aimed two simulation errors under `alpha`, so the boundary errs on the safe side.
 * Inputs are rounded the safe way: fewer degrees of freedom (heavier tails), more incumbent
 * runs (looks less alike), a lower screen (more candidates go on). Memoised: a night asks for a
 * few dozen distinct boundaries, each about 10 ms.
 */
export function sequentialBoundary(input: BoundaryInput): number {
  const key = roundSafe(input);
  const id = JSON.stringify(key);
  let c = memo.get(id);
  if (c === undefined) {
    const trials = Math.min(MAX_TRIALS, Math.max(MIN_TRIALS, Math.ceil(EXCEEDANCES / key.alpha)));
    // Under alpha = EXCEEDANCES / MAX_TRIALS the simulation cannot place the boundary: there the
    // error split over the looks, which holds whatever the looks share.
    const split = splitOverLooks(key);
    c = key.alpha * trials < EXCEEDANCES ? split : Math.min(simulate(key, trials), split);
    memo.set(id, c);
  }
  return c;
}

/**
 * The critical t that splits alpha evenly over the looks (Bonferroni): valid whatever the looks
 * share, since a keep needs some look's t to reach it, and each look's t, taken alone and before
 * any screen, is Student's t on at least `df` degrees of freedom (`df + n - 1` at the n-th run;
 * `df` for a first pair that keeps). A grey zone doubles the looks: its first pair is made of
 * another run than the screened one's.
 */
function splitOverLooks(s: BoundaryInput): number {
  const first = s.paired && s.paired !== "fresh" && s.firstPairKeeps ? 1 : 0;
  const looks = (Math.max(1, s.maxRuns - 1) + first) * (s.grey ? 2 : 1);
  return Math.max(MIN_CRITICAL_T, tQuantileUpper(s.alpha / looks, first ? s.df : s.df + 1));
}

const memo = new Map<string, number>();

const DF_STEPS = [30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1000];

function roundSafe(input: BoundaryInput): BoundaryInput {
  const steps = input.paired ? 20 : 4;
  const down = (sd: number) => Math.max(0, Math.floor(Math.min(sd, 2) * steps) / steps);
  const df =
    input.df <= 30 ? Math.max(1, Math.floor(input.df)) : DF_STEPS.findLast((d) => d <= input.df)!;
  const unscreened = input.paired === "unscreened";
  return {
    // Unscreened, no bar and no screen: one boundary whatever they were.
    incumbentRuns: unscreened
      ? 1
      : input.incumbentRuns > 50
        ? Number.POSITIVE_INFINITY
        : input.incumbentRuns,
    df,
    maxRuns: input.maxRuns,
    alpha: input.alpha,
    // Paired screens sit at min_delta over a pair's sd (0.18 for the default 0.25 run sds).
    screenSd: unscreened ? 0 : down(input.screenSd),
    ...(input.paired ? { paired: input.paired } : {}),
    // A lower grey zone and a lower bar for its mean let more candidates on: the safe way.
    ...(input.paired === "screened" && input.grey
      ? { grey: { from: down(input.grey.from), mean: down(input.grey.mean) } }
      : {}),
    ...((input.paired === "screened" || unscreened) && input.firstPairKeeps
      ? { firstPairKeeps: true }
      : {}),
    ...(input.paired === "screened" && input.firstPairKeeps && input.freshScreenSd
      ? { freshScreenSd: down(input.freshScreenSd) }
      : {}),
  };
}

/**
 * The critical t that keeps at most the target share of `trials` simulated no-effect candidates.
 * Each trial is summed up as what it does at any critical t `c` (Outcome): kept at its first
 * look where `c` is at most that look's t (`first`), and then only where `fixed` (a keep there
 * that the run after it reopens, and the fresh pairs after that do not keep, is no keep); else
 * kept where its highest later look (`later`) reaches `c`. Without a first look, `first` is -∞.
 * The boundary is the lowest `c` with every higher one keeping few enough: between the last event
 * where too many were kept and the one above it.
 */
function simulate(s: BoundaryInput, trials: number): number {
  const random = createRandom(20261202);
  const gauss = gaussian(random);
  const chiSquare = (df: number) => 2 * gamma(df / 2, random, gauss);
  // The boundary of the fresh pairs a screened trial falls back on (evaluate-paired.ts).
  const reopen =
    s.paired === "screened" && s.firstPairKeeps
      ? sequentialBoundary({
          incumbentRuns: 1,
          df: s.df,
          maxRuns: s.maxRuns,
          alpha: s.alpha,
          screenSd: s.freshScreenSd ?? 0,
          paired: "fresh",
        })
      : null;
  const events: [at: number, change: number][] = [];
  const inc = Number.isFinite(s.incumbentRuns) ? 1 / s.incumbentRuns : 0;
  for (let trial = 0; trial < trials; trial++) {
    const o: Outcome = s.paired
      ? pairedTrial(s, inc, reopen, gauss, chiSquare)
      : {
          first: Number.NEGATIVE_INFINITY,
          fixed: false,
          later: unpairedPeak(s, inc, gauss, chiSquare),
        };
    // Kept for c in (first, later], and at c <= first where fixed.
    if (o.later > o.first) events.push([o.later, 1]);
    if (o.first > Number.NEGATIVE_INFINITY)
      events.push([o.first, (o.fixed ? 1 : 0) - (o.later > o.first ? 1 : 0)]);
  }
  events.sort((a, b) => b[0] - a[0]);
  const target = s.alpha - 2 * Math.sqrt((s.alpha * (1 - s.alpha)) / trials);
  const allowed = Math.max(1, Math.floor(target * trials));
  let kept = 0;
  let above = Number.POSITIVE_INFINITY;
  for (let i = 0; i < events.length; ) {
    const at = events[i]![0];
    for (; i < events.length && events[i]![0] === at; i++) kept += events[i]![1];
    if (kept > allowed)
      return Math.max(MIN_CRITICAL_T, Number.isFinite(above) ? (above + at) / 2 : at + 1);
    above = at;
  }
  return MIN_CRITICAL_T;
}

/**
 * What one no-effect trial does at any critical t (simulate): kept at its first look where the
 * boundary is at most `first`, and then only where `fixed`; else where `later` reaches it.
 */
interface Outcome {
  first: number;
  fixed: boolean;
  later: number;
}

/** The highest t one no-effect candidate reaches under the unpaired rule. */
function unpairedPeak(
  s: BoundaryInput,
  inc: number,
  gauss: () => number,
  chiSquare: (df: number) => number,
): number {
  const incumbent = gauss() * Math.sqrt(inc);
  const ss0 = chiSquare(s.df);
  let peak = Number.NEGATIVE_INFINITY;
  let sum = gauss();
  // The screen after one run, against the noise known then.
  if (sum - incumbent < s.screenSd * Math.sqrt(ss0 / s.df)) return peak;
  let m = sum;
  let ss = 0;
  for (let n = 2; n <= s.maxRuns; n++) {
    const x = gauss();
    sum += x;
    const next = m + (x - m) / n;
    ss += (x - m) * (x - next);
    m = next;
    const sd = Math.sqrt((ss0 + ss) / (s.df + n - 1));
    const t = (m - incumbent) / (sd * Math.sqrt(1 / n + inc));
    if (t > peak) peak = t;
    if (t < FUTILITY_T) break;
  }
  return peak;
}

const NO_KEEP: Outcome = {
  first: Number.NEGATIVE_INFINITY,
  fixed: false,
  later: Number.NEGATIVE_INFINITY,
};

/**
 * One no-effect candidate under the paired rule, in units of one run's sd (a pair's difference
 * has variance 2): the spread known before its pairs (2 x the run variance, `df`) pooled with its
 * own differences; the futility stop from the second pair on. Screened with firstPairKeeps, as
 * evaluate-paired.ts runs it: the first pair is a look only where its incumbent run agrees with
 * the bar (firstPairAgrees), else it is set aside and fresh pairs decide; a keep on it is
 * reopened where the run after it reads no better than the bar or the incumbent's run beside it
 * (paired-screen.ts, reopenedBy), and fresh pairs from that run decide. Fresh pairs keep at the
 * `reopen` boundary, found for them alone. Unscreened, the first look is counted as a keep
 * whatever follows (the safe way).
 */
function pairedTrial(
  s: BoundaryInput,
  inc: number,
  reopen: number | null,
  gauss: () => number,
  chiSquare: (df: number) => number,
): Outcome {
  const ss0 = 2 * chiSquare(s.df);
  const sd0 = Math.sqrt(ss0 / s.df);
  let first: number;
  let bar = 0;
  let beside = 0;
  if (s.paired === "screened") {
    const run = gauss();
    bar = gauss() * Math.sqrt(inc);
    let side: number;
    if (run - bar >= s.screenSd * sd0) side = run;
    else if (s.grey && run - bar >= s.grey.from * sd0) {
      // The grey zone's second run: selected with the first, then the first pair's side.
      side = gauss();
      if ((run + side) / 2 - bar < s.grey.mean * sd0) return NO_KEEP;
    } else return NO_KEEP;
    beside = gauss();
    first = side - beside;
  } else first = gauss() * Math.SQRT2; // fresh or unscreened: the first run is no one's choice
  if (s.paired === "fresh" && first < s.screenSd * sd0) return NO_KEEP;
  const fresh = (diff: number): boolean =>
    diff >= (s.freshScreenSd ?? 0) * sd0 && laterPeak(s, diff, ss0, gauss) >= reopen!;
  if (reopen !== null && !firstPairAgrees((beside - bar) / (sd0 / Math.SQRT2), s.incumbentRuns))
    return {
      ...NO_KEEP,
      later: fresh(gauss() * Math.SQRT2) ? Number.POSITIVE_INFINITY : NO_KEEP.later,
    };
  const later = laterPeak(s, first, ss0, gauss);
  // The first look is the second pair (a step between one pair's runs fools it), or the first
  // where its incumbent run agreed with the bar (firstPairKeeps: the step would have shown).
  if (!s.firstPairKeeps) return { ...NO_KEEP, later };
  const t = first / sd0;
  let fixed = true;
  // Reopened (no boundary is under MIN_CRITICAL_T: a lower first look never keeps).
  if (reopen !== null && t >= MIN_CRITICAL_T) {
    const after = gauss();
    if (after <= bar || after <= beside) fixed = fresh(after - gauss());
  }
  return { first: t, fixed, later };
}

/** The highest t of the looks from the second pair on, the first pair's difference `first`. */
function laterPeak(s: BoundaryInput, first: number, ss0: number, gauss: () => number): number {
  let peak = Number.NEGATIVE_INFINITY;
  let m = first;
  let ss = 0;
  for (let n = 2; n <= s.maxRuns; n++) {
    const x = gauss() * Math.SQRT2;
    const next = m + (x - m) / n;
    ss += (x - m) * (x - next);
    m = next;
    const t = m / (Math.sqrt((ss0 + ss) / (s.df + n - 1)) / Math.sqrt(n));
    if (t > peak) peak = t;
    if (t < FUTILITY_T) break;
  }
  return peak;
}

/** A Gamma(k, 1) draw (Marsaglia and Tsang; k < 1 boosted from k + 1). */
function gamma(k: number, random: () => number, gauss: () => number): number {
  if (k < 1) return gamma(k + 1, random, gauss) * random() ** (1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  while (true) {
    const x = gauss();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
