// The level of code kept in pairs (decide/kept-level.ts): the bar the screen starts from after a
// keep. Checked by simulation against the truth, not against the formula.
import { describe, expect, it } from "vitest";
import {
  gainPosterior,
  keptLevel,
  levelBar,
  movedLevel,
  STRICT_SD,
  screenedLevel,
  withRuns,
} from "../../action/decide/kept-level.ts";
import { fitEffects, GRID } from "../../action/decide/screen-choice.ts";
import { mean } from "../../action/decide/stats.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

/** A night's proposals: 60% do nothing, 30% help by 2 sd, 10% harm by 2 sd. */
const EFFECTS = [0, 0, 0, 0, 0, 0, 2, 2, 2, -2];

/**
 * Candidates screened (first run 1.5 sd over a bar of `barRuns` incumbent runs), then paired
 * beside fresh incumbent runs from the screened run on, kept as soon as the pairs' t reaches 2.2
 * (at least 2 pairs, at most 5), dropped when it falls under 0.5: a stopping rule that keeps when
 * the runs look good, as the real one does (boundary.ts). Higher is better; the incumbent's truth
 * is 0, sd 1.
 */
function keeps(trials: number, barRuns: number, seed: number) {
  const random = createRandom(seed);
  const draw = gaussian(random);
  const out: { truth: number; keptOn: number[]; bar: number[]; beside: number[]; all: number[] }[] =
    [];
  for (let t = 0; t < trials; t++) {
    const effect = EFFECTS[Math.floor(random() * EFFECTS.length)]!;
    const bar = Array.from({ length: barRuns }, () => draw());
    const first = effect + draw();
    if (first - mean(bar) < 1.5) continue;
    const cand = [first];
    const inc = [draw()];
    for (let n = 2; n <= 5; n++) {
      cand.push(effect + draw());
      inc.push(draw());
      const t = (mean(cand) - mean(inc)) / Math.sqrt(2 / n);
      if (t >= 2.2) {
        out.push({ truth: effect, keptOn: cand.slice(1), bar, beside: inc, all: cand });
        break;
      }
      if (t < 0.5) break;
    }
  }
  return out;
}

/** The night's first runs against a 5-run bar, as the engine fits its prior from 200 of them. */
function firstRuns(seed: number) {
  const random = createRandom(seed);
  const draw = gaussian(random);
  return Array.from({ length: 200 }, () => ({
    z: EFFECTS[Math.floor(random() * EFFECTS.length)]! + draw() - draw() / Math.sqrt(5),
    against: 5,
  }));
}

function levelsOf(kept: ReturnType<typeof keeps>, prior: readonly number[]) {
  const levels = kept.map(
    (k) =>
      keptLevel({
        before: { mean: mean(k.bar), runs: k.bar.length },
        beside: k.beside,
        candidate: k.all,
        sd: 1,
        goal: 1,
        prior,
      }).level,
  );
  return {
    error: mean(levels.map((l, i) => l.mean - kept[i]!.truth)),
    squared: mean(levels.map((l, i) => (l.mean - kept[i]!.truth) ** 2)),
    claimed: mean(levels.map((l) => 1 / l.runs)),
    runs: mean(levels.map((l) => l.runs)),
  };
}

describe("the level of code kept in pairs", () => {
  const kept = keeps(40_000, 5, 11);

  it("stands near the truth under the true prior, where the runs kept on stand high", () => {
    expect(kept.length).toBeGreaterThan(3000);
    // The selection this corrects is real: the runs it was kept on stand above the truth.
    const keptOnError = mean(kept.map((k) => mean(k.keptOn) - k.truth));
    expect(keptOnError).toBeGreaterThan(0.2);
    const truth = GRID.map((mu) => EFFECTS.filter((e) => e === mu).length / EFFECTS.length);
    const found = levelsOf(kept, truth);
    // About 0.09 on the strict side from the share of the prior that is flat (UNFITTED); the
    // screen's bar adds STRICT_SD to that, and still stands under the runs kept on.
    expect(found.error).toBeGreaterThan(0);
    expect(found.error).toBeLessThan(0.15);
    expect(found.error + STRICT_SD).toBeLessThan(keptOnError - 0.05);
    // It is worth more runs than the runs it was kept on: twice as many.
    expect(found.runs).toBeGreaterThan(2 * mean(kept.map((k) => k.keptOn.length)));
  });

  it("does not stand low on priors fitted from 200 first runs, nor claim to be surer than it is", () => {
    const nights = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seed) =>
      levelsOf(kept, fitEffects(firstRuns(seed))),
    );
    // On average at the truth; the worst night's fit not far under it, and the screen's bar
    // (STRICT_SD higher) above it on average.
    const errors = nights.map((n) => n.error);
    expect(Math.abs(mean(errors))).toBeLessThan(0.05);
    expect(Math.min(...errors)).toBeGreaterThan(-0.25);
    expect(mean(errors) + STRICT_SD).toBeGreaterThan(0);
    // Its squared error (less the strict side's) within what it claims, give or take 10%.
    for (const n of nights) expect(n.squared - n.error ** 2).toBeLessThan(1.1 * n.claimed);
    expect(mean(nights.map((n) => n.runs))).toBeGreaterThan(2.5);
  });

  it("is the candidate's runs under a flat prior, lower is better included", () => {
    const flat = GRID.map(() => 1 / GRID.length);
    const { level, gain } = keptLevel({
      before: { mean: 10, runs: 4 },
      beside: [10, 10],
      candidate: [9, 8, 7],
      sd: 2,
      goal: -1,
      prior: flat,
    });
    // Observed gain (10 - 8) / 2 = 1 sd, se sqrt(1/3 + 1/6): the posterior is that, unshrunk.
    expect(gain.mean).toBeCloseTo(1, 2);
    expect(gain.variance).toBeCloseTo(0.5, 2);
    // I + g: 8, as sure as the candidate's own 3 runs.
    expect(level.mean).toBeCloseTo(8, 2);
    expect(level.runs).toBeCloseTo(3, 1);
  });

  it("moves the incumbent's level on another stratum by the gain, less sure by its spread", () => {
    const gain = gainPosterior(
      2,
      0.5,
      GRID.map((mu) => (mu === 2 ? 1 : 0)),
    );
    // All the fitted prior on +2 sd: the share spread evenly (UNFITTED) barely moves it.
    expect(gain.mean).toBeCloseTo(2, 2);
    expect(gain.variance).toBeLessThan(0.01);
    const moved = movedLevel({ mean: 5, runs: 4 }, { mean: 2, variance: 0.25 }, 3, -1);
    expect(moved.mean).toBeCloseTo(5 - 2 * 3, 9);
    expect(moved.runs).toBe(2);
  });

  it("stands in for as many runs as it is worth, up to the window with the runs since", () => {
    expect(levelBar({ mean: 3, runs: 6.4 }, [1, 2], 10)).toEqual([3, 3, 3, 3, 3, 3, 1, 2]);
    expect(levelBar({ mean: 3, runs: 2 }, [1], 10, -0.5)).toEqual([2.5, 2.5, 1]);
    // As one level: the level weighted by what it is worth within the window, then the runs.
    expect(withRuns({ mean: 3, runs: 2 }, [1], 10)).toEqual({ mean: 7 / 3, runs: 3 });
    expect(withRuns({ mean: 3, runs: 20 }, [0, 0], 10)).toEqual({ mean: 2.4, runs: 10 });
    expect(withRuns(undefined, [1, 3], 10)).toEqual({ mean: 2, runs: 2 });
    expect(withRuns(undefined, [], 10)).toEqual({ mean: 0, runs: 0 });
    expect(levelBar({ mean: 3, runs: 20 }, [1, 2], 10)).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 1, 2]);
    expect(levelBar({ mean: 3, runs: 2 }, Array(12).fill(1), 10)).toEqual(Array(10).fill(1));
  });
});

describe("a gain beyond the grid of effects", () => {
  it("is read as measured, not cut at the grid's end (an eval whose noise is tiny next to its gains)", () => {
    const prior = fitEffects(firstRuns(3));
    const far = gainPosterior(200, 0.8, prior);
    expect(far.mean).toBeCloseTo(200, 6);
    expect(far.variance).toBeCloseTo(0.64, 6);
    // Within the grid, where the night's proposals do land, the fit still shrinks it.
    const near = gainPosterior(3, 0.8, prior);
    expect(near.mean).toBeLessThan(3);
  });
});

/**
 * Incumbents whose bar (`start`, worth 5 runs: a level) errs as a level does, each meeting
 * candidates from EFFECTS one after another: a first run 1.5 sd over the bar goes on, and a real
 * gain that goes on is kept (the incumbent ends there); at most 30 candidates. A bar that stands
 * high keeps its incumbent longer, so more candidates meet it: the survivorship screenedLevel
 * corrects. For each candidate met: the bar's error, and screenedLevel's with the runs of the
 * candidates before it (one run each, the first; higher is better, truth 0, sd 1).
 */
function survivors(incumbents: number, prior: readonly number[], seed: number) {
  const random = createRandom(seed);
  const draw = gaussian(random);
  const met: { index: number; bar: number; read: number; runs: number }[] = [];
  for (let k = 0; k < incumbents; k++) {
    const start = { mean: draw() / Math.sqrt(5), runs: 5 };
    const before: number[][] = [];
    for (let index = 0; index < 30; index++) {
      const read = screenedLevel({ start, candidates: before, sd: 1, goal: 1, prior });
      met.push({ index, bar: start.mean, read: read.mean, runs: read.runs });
      const effect = EFFECTS[Math.floor(random() * EFFECTS.length)]!;
      const first = effect + draw();
      if (first - start.mean >= 1.5 && effect > 0) break;
      before.push([first]);
    }
  }
  return met;
}

describe("the incumbent's level read with the candidates screened against it", () => {
  const truth = GRID.map((mu) => EFFECTS.filter((e) => e === mu).length / EFFECTS.length);

  it("undoes the bar's survivorship: late candidates meet bars that stand high, not its reading", () => {
    const met = survivors(1500, truth, 5);
    const late = met.filter((m) => m.index >= 8);
    expect(late.length).toBeGreaterThan(1000);
    // The survivorship is real: the first candidate meets a fair bar, late ones a high one.
    expect(Math.abs(mean(met.filter((m) => m.index === 0).map((m) => m.bar)))).toBeLessThan(0.03);
    expect(mean(late.map((m) => m.bar))).toBeGreaterThan(0.15);
    // Read with the candidates before them, fair early and late, and surer than the bar alone.
    expect(Math.abs(mean(late.map((m) => m.read)))).toBeLessThan(0.07);
    expect(Math.abs(mean(met.map((m) => m.read)))).toBeLessThan(0.04);
    expect(mean(late.map((m) => m.runs))).toBeGreaterThan(8);
    // Its squared error within what it claims, give or take 10%.
    expect(mean(late.map((m) => m.read ** 2))).toBeLessThan(
      1.1 * mean(late.map((m) => 1 / m.runs)),
    );
  });

  it("does so on priors fitted from 200 first runs", () => {
    const errors = [1, 2, 3, 4].map((seed) => {
      const late = survivors(300, fitEffects(firstRuns(seed)), seed).filter((m) => m.index >= 8);
      return { bar: mean(late.map((m) => m.bar)), read: mean(late.map((m) => m.read)) };
    });
    for (const e of errors) expect(Math.abs(e.read)).toBeLessThan(e.bar / 2);
    expect(Math.abs(mean(errors.map((e) => e.read)))).toBeLessThan(0.07);
  });

  it("reads lower is better as higher is, and leaves the level where no candidate met it", () => {
    const start = { mean: 10, runs: 4 };
    expect(screenedLevel({ start, candidates: [], sd: 2, goal: 1, prior: truth })).toEqual(start);
    const up = screenedLevel({ start, candidates: [[9], [8.5, 9]], sd: 2, goal: 1, prior: truth });
    const down = screenedLevel({
      start,
      candidates: [[11], [11.5, 11]],
      sd: 2,
      goal: -1,
      prior: truth,
    });
    // Candidates under a bar where most do nothing: the bar moves toward them, surer.
    expect(up.mean).toBeLessThan(10);
    expect(up.runs).toBeGreaterThan(4);
    expect(down.mean - 10).toBeCloseTo(10 - up.mean, 9);
    expect(down.runs).toBeCloseTo(up.runs, 9);
  });
});
