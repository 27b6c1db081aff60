import { GRID } from "./screen-choice.ts";
import { mean } from "./stats.ts";

/**
 * An estimate of one code's level (its true mean) for the screen's bar: `mean` in metric units,
 * as sure as the mean of `runs` runs would be (runs = sd^2 / its variance; not a whole number).
 */
export interface Level {
  mean: number;
  runs: number;
}

/** What the night's data say about a candidate's true gain: its mean and variance, in run sds. */
export interface GainPosterior {
  mean: number;
  variance: number;
}

/**
 * The runs code kept in pairs was kept on stand above its truth: the stopping rule kept it when
 * they looked good (on bench/noise the bar they started, one such run and the run after the keep,
 * stood 0.57 run sds high). Read as a Bayesian would, the data do not: the posterior of the gain
 * given the data is the same whatever rule chose when to stop. The prior is the night's own
 * (screen-choice.ts, fitEffects: how often and by how much its proposals help, from its first
 * runs, `fitted`: weights over GRID), with UNFITTED of it flat over every gain, as dense per sd as
 * it would be spread over the grid, so that a gain beyond the grid (an eval whose noise is tiny
 * next to its gains) is read as measured, not cut at the grid's end. `observed` is the candidate's
 * mean less the incumbent's, as a gain, in run sds; `se` its sampling sd (sqrt(1/nc + 1/ni)).
 */
export function gainPosterior(
  observed: number,
  se: number,
  fitted: readonly number[],
): GainPosterior {
  // The fitted part: the likelihood at each grid point (a density in the gain, per sd).
  let total = 0;
  let first = 0;
  let second = 0;
  GRID.forEach((mu, j) => {
    const w =
      (fitted[j]! * Math.exp(-0.5 * ((observed - mu) / se) ** 2)) / (se * Math.sqrt(2 * Math.PI));
    total += w;
    first += w * mu;
    second += w * mu * mu;
  });
  // The flat part: its evidence is its density per sd; its posterior, the likelihood itself.
  const span = GRID[GRID.length - 1]! - GRID[0]! + (GRID[1]! - GRID[0]!);
  const flat = UNFITTED / span;
  const fit = (1 - UNFITTED) * total;
  const share = fit + flat > 0 ? fit / (fit + flat) : 0;
  const fitMean = total > 0 ? first / total : observed;
  const fitSquare = total > 0 ? second / total : observed * observed + se * se;
  const mean = share * fitMean + (1 - share) * observed;
  const square = share * fitSquare + (1 - share) * (observed * observed + se * se);
  return { mean, variance: Math.max(0, square - mean * mean) };
}

/**
 * The share of the prior that is flat instead of fitted (gainPosterior). The fit is rough (200
 * first runs, each noisy): it smooths the night's effects, so a kept gain is shrunk too far and
 * the level would stand low, which lets more changes that do nothing through the screen. Over 10
 * nights' fits of test/unit/kept-level.test.ts's plan the level stood 0.13 run sds low on average
 * (0.38 at worst) with none flat, 0.01 (0.18) with 30%.
 */
export const UNFITTED = 0.3;

/**
 * How far (run sds) the screen's bar sets a level on the strict side of it (ResultEntry.level.strict): a
 * bar that stands low lets more changes that do nothing through to pairs, and the boundary, which
 * assumes a fair bar, then keeps more of them than 1 - confidence (0.15 sd low: 5%, where 4% at a
 * fair bar, at the screen bench/noise's plan chooses); one that stands high only costs power.
 * Only the bar: the level recorded, and the next keep's level built on it, are without it (a
 * margin built on a margin would add up over a night's keeps).
 */
export const STRICT_SD = 0.1;

/**
 * The level of code just kept in pairs on the stratum it was decided on, from every run of it
 * (its screened runs included: the screen chose on them) and what the night knew of the incumbent
 * it replaced (`before`: its own level and its runs since, as one level; withRuns) with its runs
 * beside the candidate, with the incumbent's level I under a flat prior and the gain g under the
 * night's: candidate runs ~ N(I + g, sd^2), the incumbent's ~ N(I, sd^2), so I + g given the data
 * has
 *   mean      (ni i_mean + nc c_mean)/(ni + nc) + ni/(ni + nc) E[g | data]
 *   variance  sd^2/(ni + nc) + (ni/(ni + nc))^2 Var[g | data].
 * `goal` is +1 where higher is better, -1 where lower is.
 */
export function keptLevel(input: {
  before: Level;
  beside: readonly number[];
  candidate: readonly number[];
  sd: number;
  goal: 1 | -1;
  prior: readonly number[];
}): { level: Level; gain: GainPosterior } {
  const { before, beside, candidate, sd, goal, prior } = input;
  const ni = before.runs + beside.length;
  const nc = candidate.length;
  const iMean = (before.runs * before.mean + beside.reduce((a, b) => a + b, 0)) / ni;
  const cMean = mean(candidate);
  const gain = gainPosterior((goal * (cMean - iMean)) / sd, Math.sqrt(1 / nc + 1 / ni), prior);
  const share = ni / (ni + nc);
  return {
    level: {
      mean: (ni * iMean + nc * cMean) / (ni + nc) + goal * share * gain.mean * sd,
      runs: 1 / (1 / (ni + nc) + share * share * gain.variance),
    },
    gain,
  };
}

/**
 * The incumbent's level read with the candidates screened against it since its keep. A bar that
 * stands high lives long: fewer real gains pass its screen, so fewer are kept, so more candidates
 * meet it (on bench/paired-model.ts's nights the bar stood 0.03 run sds over the truth for the
 * first candidate after a keep, 0.23 for the fourth, 0.45 for the eleventh and later). Those
 * candidates are the data that say so: each one's runs are N(I + g, sd^2) with its gain g drawn
 * from the night's effects (`prior`, fitted as gainPosterior's, UNFITTED of it flat), so a run of
 * them under the bar moves I down, as much as the prior says changes that do nothing are common.
 * `start` is what the incumbent's own runs and level say (withRuns), as I's prior. The posterior
 * mean of I on a grid (121 points over 6 of start's sds either side), as sure as `runs` runs
 * (sd^2 / its variance). Each candidate's runs share one g (its screened runs and its side of
 * pairs alike: the posterior is the same whatever rule chose when to stop); a candidate of the
 * flat part says nothing of I.
 */
export function screenedLevel(input: {
  start: Level;
  candidates: readonly (readonly number[])[];
  sd: number;
  goal: 1 | -1;
  prior: readonly number[];
}): Level {
  const { start, sd, goal, prior } = input;
  const candidates = input.candidates.filter((c) => c.length > 0);
  if (candidates.length === 0 || !(start.runs > 0) || !(sd > 0)) return start;
  const span = GRID[GRID.length - 1]! - GRID[0]! + (GRID[1]! - GRID[0]!);
  const flat = UNFITTED / span;
  // I - start.mean, in run sds, as goal reads it.
  const half = 6 / Math.sqrt(start.runs);
  const points = Array.from({ length: 121 }, (_, i) => -half + (i * half) / 60);
  // Grid effects the fit gives no weight to add nothing: skip them.
  const top0 = Math.max(...prior);
  const effects = GRID.flatMap((mu, j) => (prior[j]! > 1e-9 * top0 ? [[mu, prior[j]!]] : []));
  const logs = points.map((t) => {
    let lp = -0.5 * start.runs * t * t;
    for (const runs of candidates) {
      const se = Math.sqrt(1 / runs.length);
      const gain = (goal * (mean(runs) - start.mean)) / sd - t;
      let fit = 0;
      for (const [mu, w] of effects) fit += w! * Math.exp(-0.5 * ((gain - mu!) / se) ** 2);
      lp += Math.log((1 - UNFITTED) * (fit / (se * Math.sqrt(2 * Math.PI))) + flat);
    }
    return lp;
  });
  const top = Math.max(...logs);
  let total = 0;
  let first = 0;
  let second = 0;
  points.forEach((t, i) => {
    const w = Math.exp(logs[i]! - top);
    total += w;
    first += w * t;
    second += w * t * t;
  });
  const m = first / total;
  const variance = Math.max(second / total - m * m, 1e-12);
  return { mean: start.mean + goal * m * sd, runs: 1 / variance };
}

/** On another stratum: the incumbent's level there moved by the gain (as sure as both allow). */
export function movedLevel(bar: Level, gain: GainPosterior, sd: number, goal: 1 | -1): Level {
  return {
    mean: bar.mean + goal * gain.mean * sd,
    runs: 1 / (1 / bar.runs + gain.variance),
  };
}

/**
 * A bar of runs from a level and the runs made since: the level (moved by `strict`) stands in for
 * as many runs as it is worth (rounded), up to `window` runs in all, before the runs (the latest
 * `window` of them once they fill it on their own).
 */
export function levelBar(
  level: Level,
  runs: readonly number[],
  window: number,
  strict = 0,
): number[] {
  const stand = Math.max(0, Math.min(Math.round(level.runs), window - runs.length));
  return [...Array.from({ length: stand }, () => level.mean + strict), ...runs].slice(-window);
}

/**
 * A level and the runs made since, as one level: the level worth at most `window` less the runs'
 * count (the window the bar keeps), the latest `window` runs. What the code is as the night knows
 * it, for the next keep's level to start from.
 */
export function withRuns(level: Level | undefined, runs: readonly number[], window: number): Level {
  const latest = runs.slice(-window);
  const weight = level ? Math.max(0, Math.min(level.runs, window - latest.length)) : 0;
  const n = weight + latest.length;
  if (n === 0) return { mean: 0, runs: 0 };
  const sum = latest.reduce((a, b) => a + b, 0) + weight * (level?.mean ?? 0);
  return { mean: sum / n, runs: n };
}
