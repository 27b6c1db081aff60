import { describe, expect, it } from "vitest";
import {
  chooseScreen,
  fitEffects,
  HISTORY_WINDOW,
  MIN_HISTORY,
  type ScreenPoint,
  screenCurve,
} from "../../action/decide/screen-choice.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

const settings = { maxRuns: 5, alpha: 0.05, minDelta: 0.25, screenRuns: 10 };

/** First runs of `n` proposals whose true effects (run sds) are drawn by `effect`. */
function firstRuns(n: number, seed: number, effect: (u: number) => number): ScreenPoint[] {
  const random = createRandom(seed);
  const gauss = gaussian(random);
  return Array.from({ length: n }, () => ({
    z: effect(random()) + gauss() + gauss() / Math.sqrt(10),
    against: 10,
  }));
}

/** karpathy's nights, roughly: a fifth help (a few by a lot), half do nothing, the rest harm. */
const sparse = (u: number) => (u < 0.05 ? 8 : u < 0.2 ? 2 : u < 0.65 ? 0 : -4);
/** Most proposals help a little. */
const dense = (u: number) => (u < 0.8 ? 1 : 0);

describe("the screen chosen from the night's first runs (decide.screen_sd: auto)", () => {
  it("is min_delta's until there are enough first runs, and says so", () => {
    const c = chooseScreen(firstRuns(MIN_HISTORY - 1, 1, sparse), settings);
    expect(c.at).toBe(0.25);
    expect(c.why).toContain(`${MIN_HISTORY - 1} of ${MIN_HISTORY} first runs`);
    // A larger min_delta is the lowest screen.
    expect(chooseScreen([], { ...settings, minDelta: 0.6 }).at).toBe(0.6);
  });

  it("recovers the distribution of true effects behind noisy first runs", () => {
    const w = fitEffects(firstRuns(600, 2, (u) => (u < 0.7 ? 0 : 3)));
    const grid = (j: number) => -12 + j * 0.5;
    const mass = (lo: number, hi: number) =>
      w.reduce((s, x, j) => s + (grid(j) >= lo && grid(j) <= hi ? x : 0), 0);
    expect(mass(-1, 1)).toBeGreaterThan(0.6);
    expect(mass(2, 4)).toBeGreaterThan(0.2);
    expect(mass(-12, -1.5) + mass(5, 22)).toBeLessThan(0.06);
  });

  it("screens harder on a night of rare large gains than on one of common small ones", () => {
    const high = chooseScreen(firstRuns(60, 3, sparse), settings);
    const low = chooseScreen(firstRuns(60, 4, dense), settings);
    expect(high.at).toBeGreaterThanOrEqual(1);
    expect(low.at).toBeLessThan(high.at);
    // The choice pays: more true gain per eval run than at min_delta's screen.
    expect(high.perRun!.chosen).toBeGreaterThan(high.perRun!.lowest * 1.1);
    expect(high.why).toMatch(/chosen from 60 first runs \(about \d+% of proposals help\)/);
  });

  it("fits only the latest first runs: a long night's earlier proposals do not weigh in", () => {
    const old = firstRuns(3000, 5, dense);
    const latest = firstRuns(HISTORY_WINDOW, 6, sparse);
    const long = chooseScreen([...old, ...latest], settings);
    const short = chooseScreen(latest, settings);
    expect(long.at).toBe(short.at);
    expect(long.perRun).toEqual(short.perRun);
    expect(long.why).toContain(`chosen from the latest ${HISTORY_WINDOW} first runs`);
  });

  it("models the rule with its boundary: at no effect, at most alpha kept at every screen", () => {
    for (const at of [0.25, 1, 2]) {
      const curve = screenCurve(at, settings);
      const zero = 24; // the grid point at effect 0 (-12 + 24 x 0.5)
      expect(curve.keep[zero], `screen ${at}`).toBeLessThanOrEqual(0.06);
      // A large gain is kept on its two pairs whatever the screen.
      expect(curve.keep[24 + 16], `screen ${at}`).toBeGreaterThan(0.95);
      expect(curve.runs[24 + 16]).toBeCloseTo(4, 0);
    }
    // A higher screen spends fewer runs on changes that do nothing.
    expect(screenCurve(2, settings).runs[24]!).toBeLessThan(screenCurve(0.25, settings).runs[24]!);
  });
});
