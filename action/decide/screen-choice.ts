import { createRandom, gaussian } from "../util/random.ts";
import {
  FUTILITY_T,
  firstPairAgrees,
  greyInPairSds,
  type ScreenGrey,
  sequentialBoundary,
} from "./boundary.ts";

/**
 * Where the screen sits: how much better than the incumbent's recent runs a candidate's first
 * run must be (in run-to-run standard deviations) to be measured in pairs. A low screen sends
 * most candidates that do nothing on to pairs (2-8 more runs each); a high one discards small
 * real gains on their first run; a grey zone under the screen gives a first run that fell just
 * short a second run, and passes it on the two runs' mean (a real gain unlucky once is seldom
 * unlucky twice). Which is better depends on what the night's agent proposes, so the screen is
 * chosen from the night's own first runs (empirical Bayes): their spread around
 * the incumbent, less the run-to-run noise, estimates how often and by how much a proposal
 * really helps or harms (a distribution over a grid of effects, fitted by EM: Efron's
 * g-modelling). Under that distribution, with the paired rule as it runs (its boundary for that
 * screen), each design's true gain kept per proposal and eval runs per proposal are worked out, and
 * from them the gain the rest of the night would keep at that design (NightLeft: what binds, the
 * proposals left or the runs left); the design chosen keeps the most gain per proposal among
 * those within PER_RUN_SLACK of the most for the night. Where runs bind (or nothing is known of
 * the budget) that is the most gain per eval run; where proposals bind, the most per proposal.
 * It changes only what is discarded on one or two runs and the critical t (the boundary accounts
 * for the screen and its grey zone): P(keep | no effect) stays under 1 - confidence at every
 * screen.
 */

/** The screens chosen among, in run sds (the lowest is min_delta's `auto`, 0.25 sd). */
export const SCREENS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2] as const;

/**
 * A screen: a first run at or above `at` (run sds over the incumbent's recent runs) goes on to
 * pairs; with `grey`, one under `at` but at or above `grey.from` is run once more and goes on when
 * the mean of its two runs reaches `grey.mean` (a second look, for the near-misses a single noisy
 * run would lose); anything lower is discarded.
 */
export interface ScreenDesign {
  at: number;
  grey?: ScreenGrey;
}

/** The design a fixed decide.screen_sd sets: a number is one look. */
export function designOf(
  setting: number | { at: number; second_look: { from: number; mean: number } },
): ScreenDesign {
  return typeof setting === "number"
    ? { at: setting }
    : { at: setting.at, grey: { from: setting.second_look.from, mean: setting.second_look.mean } };
}

/** Grey zones tried under each screen: its depth under `at`, and the mean's bar under `at`. */
const GREY_DEPTHS = [0.5, 1] as const;
const GREY_MEANS = [0.25, 0] as const;

/** Every design chosen among at this min_delta (in run sds): one look, or two with a grey zone. */
export function screenDesigns(lowest: number): ScreenDesign[] {
  return SCREENS.filter((at) => at >= lowest).flatMap((at) => {
    const greys = GREY_DEPTHS.flatMap((depth) =>
      GREY_MEANS.map((under) => ({
        from: Math.max(lowest, at - depth),
        mean: Math.max(lowest, at - under),
      })),
    ).filter(
      (g, i, all) =>
        g.from < at && all.findIndex((h) => h.from === g.from && h.mean === g.mean) === i,
    );
    return [{ at }, ...greys.map((grey) => ({ at, grey }))];
  });
}

/**
 * `design` never under `lowest` (min_delta in run sds): a keep must gain that much, and so must a
 * first run to go on; a grey zone that no longer reaches under the screen is dropped.
 */
export function atLeast(design: ScreenDesign, lowest: number): ScreenDesign {
  const at = Math.max(design.at, lowest);
  const grey = design.grey;
  if (!grey || Math.max(grey.from, lowest) >= at) return { at };
  return { at, grey: { from: Math.max(grey.from, lowest), mean: Math.max(grey.mean, lowest) } };
}

/** A design in words: "1.5 sd" or "1.5 sd, a second run from 1 sd (mean at 1.25 sd)". */
export function describeScreen(d: ScreenDesign): string {
  return d.grey
    ? `${fmtSd(d.at)}, a second run from ${fmtSd(d.grey.from)} (the two runs' mean at ${fmtSd(d.grey.mean)})`
    : fmtSd(d.at);
}

/**
 * How far under the most true gain for the night (NightLeft; per eval run where runs bind, or
 * nothing is known of the budget) a design may be and still be chosen for keeping more of the
 * gain proposed. The figures below are for nights where runs bind. The curve is flat near its
 * top and the fit behind it is rough, while
 * proposals cost too (budget.experiments, budget.cost_usd, the agent's time) and a real gain
 * discarded is seldom proposed again. More slack keeps more of each candidate's gain and tries
 * fewer candidates in a night's runs: on bench/paired-model's plan (a third of proposals +2 sd)
 * 10% keeps 63.8% of +2 sd changes on 2.09 runs a candidate, 25% 73.8% on 2.46, 40% 80.8% on
 * 2.91, about the same gain per run; on bench/greedy.ts's (karpathy's effect sizes, 18% help),
 * at 120 runs a night, 10% tries 71 to 76 candidates and ends 18.6 / 16.6 / 18.2 milli-bpb better
 * (effect/noise 2 / 1 / 0.5, 8 nights), 25% 60 to 67 and 15.4 / 15.9 / 15.8, 40% 53 to 61 and
 * 13.0 / 16.1 / 14.2. A night's runs are what a user spends: 10%.
 */
export const PER_RUN_SLACK = 0.1;

/**
 * The slack on several workers. There a keep on one worker replaces the incumbent the others'
 * candidates are judged against, and a candidate that beat it is re-applied onto the new one and
 * screened again: its gain must pass the screen twice, which the curves do not model. At 10% on
 * four offset workers (bench/noise --workers 4 --changes slots, six nights) 40.7% of the +2 sd
 * changes tried again were kept, 42.3% of them all, on 2.15 runs a candidate (19.7 points of power
 * a run); at 25%, 80.4% and 59.0% on 2.84 (20.8 a run).
 */
export const SEVERAL_WORKERS_SLACK = 0.25;

/** The slack for a night on `workers` workers. */
export function slackFor(workers: number): number {
  return workers > 1 ? SEVERAL_WORKERS_SLACK : PER_RUN_SLACK;
}

/** First runs on record before the night's own distribution is trusted over min_delta. */
export const MIN_HISTORY = 10;

/**
 * The latest first runs the distribution is fitted on: the agent's proposals change over a night,
 * and the fit's cost grows with them (about 20 ms at 200, over a second at 20,000 per candidate).
 */
export const HISTORY_WINDOW = 200;

/** The effect grid, in run sds: first runs beyond it count at its ends. */
export const GRID = Array.from({ length: 69 }, (_, i) => -12 + i * 0.5);

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
  /** PER_RUN_SLACK unless given (slackFor; bench/paired-model.ts --slack compares others). */
  perRunSlack?: number;
  /** What the night has left (absent: runs bind, the most gain per eval run). */
  left?: NightLeft;
  /**
   * A keep may come on the first pair (PairedDesign.firstPairKeeps), as in the engine where the
   * incumbent's run in it agrees with the bar: true unless false (bench/paired-model.ts compares).
   */
  firstPairKeeps?: boolean;
}

/**
 * What the batch has left to spend, for the screen's choice: a design that spends more runs on
 * each candidate tries fewer candidates only where runs, not proposals, run out first.
 */
export interface NightLeft {
  /** Proposals left: budget.experiments less those made (and, pipelined, as many as the agent has time for). */
  proposals: number;
  /** The agent's time in the wall clock left, not budget.experiments, sets `proposals`. */
  byAgent?: boolean;
  /** Eval runs left in budget.eval_runs (Infinity without one). */
  runs: number;
  /**
   * The wall clock left, as eval runs on all workers at the night's mean run time, and the time a
   * proposal takes outside the eval, in eval runs (0 where the agent works while evals run).
   */
  clock: { runs: number; perProposal: number };
}

/** Candidates the night has left at `runsEach` eval runs a candidate: the first budget to run out. */
export function candidatesLeft(left: NightLeft, runsEach: number): number {
  return Math.min(
    left.proposals,
    left.runs / runsEach,
    left.clock.runs / (runsEach + left.clock.perProposal),
  );
}

export interface ScreenChoice extends ScreenDesign {
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
  const rated = screenDesigns(lowest).map((design) => {
    const curve = screenCurve(design, s);
    let gain = 0;
    let runs = 0;
    GRID.forEach((mu, j) => {
      gain += weights[j]! * curve.keep[j]! * mu;
      runs += weights[j]! * curve.runs[j]!;
    });
    const candidates = s.left ? candidatesLeft(s.left, runs) : Number.NaN;
    return { design, value: gain / runs, perCandidate: gain, candidates, runs };
  });
  // The gain the rest of the night keeps at each design, where it holds a candidate or more;
  // otherwise (no budget known, or one all but spent) the gain per eval run.
  const left =
    s.left &&
    rated.every((r) => r.candidates >= 0) &&
    Math.max(...rated.map((r) => r.candidates)) >= 1
      ? s.left
      : undefined;
  const night = (r: (typeof rated)[number]) => (left ? r.perCandidate * r.candidates : r.value);
  const atLowest = rated.find((r) => r.design.at === lowest && !r.design.grey)!.value;
  const most = Math.max(...rated.map(night));
  // Ties go to the design listed first: the lower screen, one look before two.
  const best = rated
    .filter((r) => night(r) >= (1 - (s.perRunSlack ?? PER_RUN_SLACK)) * most)
    .reduce((a, b) => (b.perCandidate > a.perCandidate + 1e-9 ? b : a));
  const helps = GRID.reduce((sum, mu, j) => sum + (mu > 0 ? weights[j]! : 0), 0);
  return {
    ...best.design,
    why: `chosen from ${recent.length === history.length ? "" : "the latest "}${recent.length} first runs (about ${Math.round(helps * 100)}% of proposals help): ${best.value.toPrecision(2)} sd of true gain per eval run expected, ${atLowest.toPrecision(2)} at ${fmtSd(lowest)}${left ? `; ${binding(left, best)}` : s.left ? "; less than a candidate's budget is left: the most gain per eval run" : ""}`,
    perRun: { chosen: best.value, lowest: atLowest },
  };
}

/** Which budget runs out first for a design of `runs` a candidate (`candidates` left), in words. */
function binding(left: NightLeft, design: { runs: number; candidates: number }): string {
  const { runs: runsEach, candidates: n } = design;
  const each = `${runsEach.toPrecision(2)} runs a candidate`;
  if (n >= left.proposals) {
    const p = Math.round(left.proposals);
    const what = left.byAgent
      ? `the agent's time for about ${p} more proposal${p === 1 ? "" : "s"} runs`
      : `the ${p === 1 ? "1 proposal left runs" : `${p} proposals left run`}`;
    return `${what} out before the runs at ${each}: the most gain per proposal`;
  }
  const what = n >= left.runs / runsEach ? "budget.eval_runs" : "the wall clock";
  const more = Math.round(n);
  return `${what} runs out after about ${more} more candidate${more === 1 ? "" : "s"} at ${each}: the most gain per eval run`;
}

function fmtSd(x: number): string {
  return `${Number(x.toPrecision(3))} sd`;
}

/** Fits by the first runs they were made from, the latest few (FITS_KEPT) only. */
const FITS = new Map<string, readonly number[]>();
const FITS_KEPT = 8;

/**
 * The distribution of true effects behind the first runs (weights over GRID, summing to 1):
 * the nonparametric maximum-likelihood mixing distribution, by EM from a flat start with half a
 * pseudo-observation spread over the grid (no effect size is ruled out). One candidate asks for
 * the same fit up to three times (the bar it is screened against, the screen's choice, a keep's
 * level), each 300 EM passes over up to 200 runs: the latest fits are remembered by their runs.
 */
export function fitEffects(history: readonly ScreenPoint[]): number[] {
  const key = history.map((p) => `${p.z}/${p.against}`).join(" ");
  let fit = FITS.get(key);
  if (!fit) {
    fit = emFit(history);
    if (FITS.size >= FITS_KEPT) FITS.delete(FITS.keys().next().value!);
    FITS.set(key, fit);
  }
  return [...fit];
}

function emFit(history: readonly ScreenPoint[]): number[] {
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
 * effect: the first run screened against `screenRuns` incumbent runs at `at` sds (with a grey
 * zone, a second run for a first run in it, the mean of both against `grey.mean`), then pairs
 * from the last screened run (differences of sd sqrt 2), kept when t reaches the boundary for this screen and the gain
 * exceeds min_delta, stopped when t falls under FUTILITY_T or at maxRuns pairs. The same draws
 * at every effect (common random numbers), so the curves are smooth in the effect.
 */
export function screenCurve(design: ScreenDesign, settings: ScreenSettings): Curve {
  const { at, grey } = design;
  // min_delta to a twentieth of an sd (down: a keep is asked a hair less), so nights share curves.
  const s = { ...settings, minDelta: Math.floor(settings.minDelta * 20) / 20 };
  const id = JSON.stringify([
    at,
    grey,
    s.maxRuns,
    s.alpha,
    s.minDelta,
    s.screenRuns,
    s.firstPairKeeps !== false,
  ]);
  const cached = curves.get(id);
  if (cached) return cached;
  const critical = sequentialBoundary({
    incumbentRuns: s.screenRuns,
    df: 50,
    maxRuns: s.maxRuns,
    alpha: s.alpha,
    screenSd: at / Math.SQRT2,
    paired: "screened",
    ...(grey ? { grey: greyInPairSds(grey) } : {}),
    firstPairKeeps: s.firstPairKeeps !== false,
  });
  const firstPairKeeps = s.firstPairKeeps !== false;
  // The fresh pairs that decide where the first pair is set aside or its keep reopened.
  const fresh = sequentialBoundary({
    incumbentRuns: 1,
    df: 50,
    maxRuns: s.maxRuns,
    alpha: s.alpha,
    screenSd: s.minDelta / Math.SQRT2,
    paired: "fresh",
  });
  const random = createRandom(20261205);
  const gauss = gaussian(random);
  const keep = GRID.map(() => 0);
  const runs = GRID.map(() => 0);
  // 0 the bar, 1 the first run, 2 the incumbent beside it, 3 the grey zone's second run, from 4
  // the later pairs (two a pair), then the run after a keep, and the fresh pairs' runs.
  const later = 4;
  const after = later + 2 * (s.maxRuns - 1);
  const draws = new Float64Array(after + 2 * s.maxRuns);
  for (let trial = 0; trial < TRIALS; trial++) {
    for (let i = 0; i < draws.length; i++) draws[i] = gauss();
    const ref = draws[0]! / Math.sqrt(Math.max(1, s.screenRuns));
    GRID.forEach((mu, j) => {
      // Pairs from `diff` (the first pair's difference) on the draws from `from`, at `c`: kept?
      // `spent` counts the runs, a keep's run after it included (AFTER_KEEP_RUNS).
      let spent = 0;
      const pairs = (diff: number, from: number, c: number): boolean => {
        let sum = diff;
        for (let n = 2; n <= s.maxRuns; n++) {
          const k = from + 2 * (n - 2);
          sum += mu + draws[k]! - draws[k + 1]!;
          spent += 2;
          const m = sum / n;
          const t = m / (Math.SQRT2 / Math.sqrt(n));
          if (t >= c && m > s.minDelta) return true;
          if (t < FUTILITY_T) return false;
        }
        return false;
      };
      // Fresh pairs from the candidate's run `cand` beside a fresh run of the incumbent.
      const freshPairs = (cand: number): boolean => {
        const diff = cand - draws[after + 1]!;
        return diff > s.minDelta && pairs(diff, after + 2, fresh);
      };
      const first = mu + draws[1]!;
      let side = first;
      spent = 1;
      if (first - ref < at) {
        const second = mu + draws[3]!;
        if (!grey || first - ref < grey.from || (first + second) / 2 - ref < grey.mean) {
          runs[j]! += grey && first - ref >= grey.from ? 2 : 1;
          return;
        }
        side = second;
        spent = 2;
      }
      const beside = draws[2]!;
      const diff = side - beside;
      spent += 1;
      let kept: boolean;
      // Run sds are 1 here: the incumbent run's distance from the bar is its z.
      if (firstPairKeeps && !firstPairAgrees(beside - ref, s.screenRuns)) {
        // Its incumbent run far from the bar: the pair set aside, fresh pairs decide.
        spent += 2;
        kept = freshPairs(mu + draws[after]!);
      } else if (firstPairKeeps && diff / Math.SQRT2 >= critical && diff > s.minDelta) {
        // Kept on its first pair, then reopened where the run after it reads no better than the
        // bar or the run beside it (engine/paired-screen.ts, reopenedBy): fresh pairs from it.
        const run = mu + draws[after]!;
        spent += 1;
        if (run > ref && run > beside) {
          keep[j]! += 1;
          runs[j]! += spent;
          return;
        }
        spent += 1;
        kept = freshPairs(run);
      } else kept = pairs(diff, later, critical);
      if (kept) {
        keep[j]! += 1;
        spent += 1;
      }
      runs[j]! += spent;
    });
  }
  const curve = { keep: keep.map((k) => k / TRIALS), runs: runs.map((r) => r / TRIALS) };
  curves.set(id, curve);
  return curve;
}
