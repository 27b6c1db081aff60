import { describe, expect, it } from "vitest";
import { sequentialBoundary } from "../../action/decide/boundary.ts";
import { RETRIAL_RUNS } from "../../action/engine/evaluate-paired.ts";
import { retrials, UNSCREENED_RETRIAL } from "../helpers/retrial.ts";

// A change re-applied after it beat the incumbent it was made for is measured in pairs on the new
// one, its first run not screened (screen.won_against). Its first trial says nothing of its gain
// over the new incumbent (two workers' changes that do the same thing each beat the old one), so
// its pairs alone hold false keeps to 1 - confidence. The judge itself decides each simulated
// re-trial (test/helpers/retrial.ts runs it as evaluate-paired.ts does).
const TRIALS = 6000;
// The pairs a re-trial gets in the engine at the default max_runs (5).
const RULE_PAIRS = 5 * RETRIAL_RUNS;
// 6,000 trials: a rate near 5% is known to about ±0.6 points (two standard errors).
const MARGIN = 2 * Math.sqrt((0.05 * 0.95) / TRIALS);

describe("re-trials of a change that won on an incumbent since replaced", () => {
  it("keep at most 1 - confidence of changes that do nothing on the new incumbent, under the boundary for an unscreened first run", () => {
    const rule = retrials(0, UNSCREENED_RETRIAL, { trials: TRIALS, seed: 11, maxRuns: RULE_PAIRS });
    expect(rule.keepRate).toBeLessThan(0.05 + MARGIN);
    // Most of the error is used: the boundary is not the most cautious one could draw.
    expect(rule.keepRate).toBeGreaterThan(0.03);
  });

  it("would keep far more of them under the boundary of a screen the run never met: the test sees the difference", () => {
    // The rule before: pairs judged with the boundary of the screen the night had chosen, which
    // credits a selection the unscreened first run did not have.
    const credited = retrials(
      0,
      { first: "screened", screenedAgainst: 3, screenSd: 1.5, firstPairKeeps: true },
      { trials: TRIALS, seed: 11 },
    );
    expect(credited.keepRate).toBeGreaterThan(0.05 + 2 * MARGIN);
  });

  it("keep most real gains: +2 run sds kept 88% of the time or more, over RETRIAL_RUNS x max_runs pairs, where max_runs kept 84%", () => {
    const rule = retrials(2, UNSCREENED_RETRIAL, { trials: 2000, seed: 12, maxRuns: RULE_PAIRS });
    expect(rule.keepRate).toBeGreaterThan(0.88);
    const before = retrials(2, UNSCREENED_RETRIAL, { trials: 2000, seed: 12, maxRuns: 5 });
    expect(rule.keepRate - before.keepRate).toBeGreaterThan(0.04);
  });

  it("an unscreened first run's boundary asks more than a screened one's, and ignores the screen and the bar", () => {
    const base = { df: 50, maxRuns: 5, alpha: 0.05, firstPairKeeps: true };
    const unscreened = sequentialBoundary({
      ...base,
      incumbentRuns: 3,
      screenSd: 0,
      paired: "unscreened",
    });
    for (const at of [0.25, 1, 2])
      expect(unscreened).toBeGreaterThan(
        sequentialBoundary({ ...base, incumbentRuns: 3, screenSd: at, paired: "screened" }),
      );
    expect(
      sequentialBoundary({ ...base, incumbentRuns: 10, screenSd: 1.2, paired: "unscreened" }),
    ).toBe(unscreened);
  });
});
