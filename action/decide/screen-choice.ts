import { createRandom, gaussian } from "../util/random.ts";
import { FUTILITY_T, sequentialBoundary } from "./boundary.ts";

/**
 * Where the screen sits: how much better than the incumbent's recent runs a candidate's first
 * run must be (in run-to-run standard deviations) to be measured in pairs. A low screen sends
 * most candidates that do nothing on to pairs (2-8 more runs each); a high one discards small
 * real gains on their first run. Which is better depends on what the night's agent proposes, so
 * the screen is chosen from the night's own first runs (empirical Bayes): their spread around
 * the incumbent, less the run-to-run noise, estimates how often and by how much a proposal
 * really helps or harms (a distribution over a grid of effects, fitted by EM: Efron's
 * g-modelling), and the screen chosen is the one that maximises the true gain kept per eval run
 * under that distribution, with the paired rule as it runs (its boundary for that screen).
 * It changes only what is discarded on one run and the critical t (the boundary accounts for
 * the screen): P(keep | no effect) stays under 1 - confidence at every screen.
 */

/** The screens chosen among, in run sds (the lowest is min_delta's `auto`, 0.25 sd). */
export const SCREENS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2] as const;

/** First runs on record before the night's own distribution is trusted over min_delta. */
export const MIN_HISTORY = 10;

/**
 * The latest first runs the distribution is fitted on: the agent's proposals change over a night,
 * and the fit's cost grows with them (about 20 ms at 200, over a second at 20,000 per candidate).
 */
export const HISTORY_WINDOW = 200;

/** The effect grid, in run sds: first runs beyond it count at its ends. */
const GRID = Array.from({ length: 69 }, (_, i) => -12 + i * 0.5);

/** One candidate's screened first run: its gain over the incumbent's runs, in run sds. */
export interface ScreenPoint {
  /** (first run - mean of the incumbent's runs it was screened against) / run sd, as a gain. */
  z: number;
  /** How many incumbent runs that mean had. */
  against: number;
}

export interface ScreenSettings {
  /** The most pairs a candidate gets (decide.max_runs). */
  maxRuns: number;
  /** The false-keep rate allowed (1 - confidence). */
  alpha: number;
  /** min_delta in run sds: the least a keep must gain, and the lowest screen. */
  minDelta: number;
  /** Incumbent runs a first run is screened against. */
  screenRuns: number;
}

export interface ScreenChoice {
  /** The screen, in run sds. */
  at: number;
  /** Why, in words (for the reason a candidate is discarded and the dashboard). */
  why: string;
  /** Expected true gain kept per eval run at the chosen screen and at the lowest (run sds). */
  perRun?: { chosen: number; lowest: number };
}

/**
 * The screen for the next candidate, from the night's screened first runs so far. Below
 * MIN_HISTORY of them, min_delta (the rule as it was before: every candidate better by a quarter
 * sd goes on to pairs).
 */
export function chooseScreen(history: readonly ScreenPoint[], s: ScreenSettings): ScreenChoice {
  const lowest = Math.max(s.minDelta, SCREENS[0]);
  if (history.length < MIN_HISTORY)
    return {
      at: lowest,
      why: `min_delta: ${history.length} of ${MIN_HISTORY} first runs needed to choose the screen from the night's own proposals`,
    };
  const recent = history.slice(-HISTORY_WINDOW);
  const weights = fitEffects(recent);
  let best = { at: lowest, value: Number.NEGATIVE_INFINITY };
  let atLowest = 0;
  for (const at of SCREENS) {
    if (at < lowest) continue;
    const curve = screenCurve(at, s);
    let gain = 0;
    let runs = 0;
    GRID.forEach((mu, j) => {
      gain += weights[j]! * curve.keep[j]! * mu;
      runs += weights[j]! * curve.runs[j]!;
    });
    const value = gain / runs;
    if (at === lowest) atLowest = value;
    // Ties go to the lower screen: it loses less power.
    if (value > best.value + 1e-9) best = { at, value };
  }
  const helps = GRID.reduce((sum, mu, j) => sum + (mu > 0 ? weights[j]! : 0), 0);
  return {
    at: best.at,
    why: `chosen from ${recent.length === history.length ? "" : "the latest "}${recent.length} first runs (about ${Math.round(helps * 100)}% of proposals help): ${best.value.toPrecision(2)} sd of true gain per eval run expected, ${atLowest.toPrecision(2)} at ${fmtSd(lowest)}`,
    perRun: { chosen: best.value, lowest: atLowest },
  };
}

function fmtSd(x: number): string {
  return `${Number(x.toPrecision(3))} sd`;
}

/**
 * The distribution of true effects behind the first runs (weights over GRID, summing to 1):
 * the nonparametric maximum-likelihood mixing distribution, by EM from a flat start with half a
 * pseudo-observation spread over the grid (no effect size is ruled out).
 */
export function fitEffects(history: readonly ScreenPoint[]): number[] {
  const m = GRID.length;
  const lik = history.map((p) => {
    const sd = Math.sqrt(1 + 1 / Math.max(1, p.against));
    const z = Math.min(GRID[m - 1]! + 4, Math.max(GRID[0]! - 4, p.z));
    return GRID.map((mu) => Math.exp(-0.5 * ((z - mu) / sd) ** 2));
  });
  let w = GRID.map(() => 1 / m);
  const prior = 0.5 / m;
  for (let iter = 0; iter < 300; iter++) {
    const next = GRID.map(() => prior);
    for (const row of lik) {
      let total = 0;
      for (let j = 0; j < m; j++) total += w[j]! * row[j]!;
      if (total <= 0) continue;
      for (let j = 0; j < m; j++) next[j]! += (w[j]! * row[j]!) / total;
    }
    const sum = next.reduce((a, b) => a + b, 0);
    w = next.map((x) => x / sum);
  }
  return w;
}

interface Curve {
  /** P(keep) at each grid effect. */
  keep: number[];
  /** Eval runs spent (the incumbent's in pairs included) at each grid effect. */
  runs: number[];
}

const curves = new Map<string, Curve>();

/** Trials per grid point: smooth enough to rank screens, about 30 ms a screen. */
const TRIALS = 600;

/**
 * The paired rule as it runs (evaluate-paired.ts, judge.ts), by seeded simulation at each grid
 * effect: the first run screened against `screenRuns` incumbent runs at `at` sds, then pairs
 * (differences of sd sqrt 2), kept when t reaches the boundary for this screen and the gain
 * exceeds min_delta, stopped when t falls under FUTILITY_T or at maxRuns pairs. The same draws
 * at every effect (common random numbers), so the curves are smooth in the effect.
 */
export function screenCurve(at: number, settings: ScreenSettings): Curve {
  // min_delta to a twentieth of an sd (down: a keep is asked a hair less), so nights share curves.
  const s = { ...settings, minDelta: Math.floor(settings.minDelta * 20) / 20 };
  const id = JSON.stringify([at, s.maxRuns, s.alpha, s.minDelta, s.screenRuns]);
  const cached = curves.get(id);
  if (cached) return cached;
  const critical = sequentialBoundary({
    incumbentRuns: s.screenRuns,
    df: 50,
    maxRuns: s.maxRuns,
    alpha: s.alpha,
    screenSd: at / Math.SQRT2,
    paired: "screened",
  });
  const random = createRandom(20261205);
  const gauss = gaussian(random);
  const keep = GRID.map(() => 0);
  const runs = GRID.map(() => 0);
  const draws = new Float64Array(2 + 2 * s.maxRuns);
  for (let trial = 0; trial < TRIALS; trial++) {
    for (let i = 0; i < draws.length; i++) draws[i] = gauss();
    const ref = draws[0]! / Math.sqrt(Math.max(1, s.screenRuns));
    GRID.forEach((mu, j) => {
      const first = mu + draws[1]!;
      if (first - ref < at) {
        runs[j]! += 1;
        return;
      }
      let sum = first - draws[2]!;
      let spent = 2;
      for (let n = 2; n <= s.maxRuns; n++) {
        sum += mu + (draws[1 + 2 * n - 1]! - draws[1 + 2 * n]!);
        spent += 2;
        const m = sum / n;
        const t = m / (Math.SQRT2 / Math.sqrt(n));
        if (t >= critical && m > s.minDelta) {
          keep[j]! += 1;
          break;
        }
        if (t < FUTILITY_T) break;
      }
      runs[j]! += spent;
    });
  }
  const curve = { keep: keep.map((k) => k / TRIALS), runs: runs.map((r) => r / TRIALS) };
  curves.set(id, curve);
  return curve;
}
