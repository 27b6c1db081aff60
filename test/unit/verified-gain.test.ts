import { describe, expect, it } from "vitest";
import { keptGainSum, verifiedGain } from "../../action/decide/verified-gain.ts";
import { createRandom } from "../../action/util/random.ts";

describe("the verified gain", () => {
  it("is the mean per-pair improvement with a paired-t interval, sign by the goal", () => {
    // Differences base - final: 1, 0.8, 0.9, 0.7 (mean 0.85, sd 0.1291); t(0.975, 3) = 3.1824.
    const v = verifiedGain([10, 11, 12, 13], [9, 10.2, 11.1, 12.3], "minimize", 0.95);
    expect(v.gain).toBeCloseTo(0.85, 10);
    expect(v.sd).toBeCloseTo(0.129099, 5);
    expect(v.ci![0]).toBeCloseTo(0.644574, 4);
    expect(v.ci![1]).toBeCloseTo(1.055426, 4);
    expect(v.pairs).toBe(4);
    expect(v.includes_no_improvement).toBe(false);
    const up = verifiedGain([10, 11, 12, 13], [9, 10.2, 11.1, 12.3], "maximize", 0.95);
    expect(up.gain).toBeCloseTo(-0.85, 10);
    expect(up.includes_no_improvement).toBe(true);
  });

  it("says the interval includes no improvement when the final code is no better beyond noise", () => {
    const v = verifiedGain([1.0, 1.2, 0.9, 1.1], [1.05, 1.1, 0.95, 1.05], "minimize", 0.95);
    expect(v.ci![0]).toBeLessThan(0);
    expect(v.includes_no_improvement).toBe(true);
  });

  it("cancels a machine that drifts during the night, where separate means could not", () => {
    // The machine slows by 1 per pair; the final code is 0.5 better, with a little noise.
    const base = [0, 1, 2, 3, 4, 5, 6, 7];
    const final = base.map((b, i) => b - 0.5 + (i % 2 ? 0.02 : -0.02));
    const v = verifiedGain(base, final, "minimize", 0.95);
    expect(v.gain).toBeCloseTo(0.5, 10);
    expect(v.ci![1] - v.ci![0]).toBeLessThan(0.05);
    expect(v.includes_no_improvement).toBe(false);
  });

  it("gives no interval with fewer than two pairs, and an exact one for a deterministic eval", () => {
    const one = verifiedGain([3], [2], "minimize", 0.95);
    expect(one).toEqual({ gain: 1, ci: null, sd: 0, pairs: 1, includes_no_improvement: true });
    expect(verifiedGain([], [], "minimize", 0.95).includes_no_improvement).toBe(true);
    const exact = verifiedGain([3, 3, 3], [2, 2, 2], "minimize", 0.95);
    expect(exact.ci).toEqual([1, 1]);
    expect(exact.includes_no_improvement).toBe(false);
    expect(() => verifiedGain([1, 2], [1], "minimize", 0.95)).toThrow(/2 base runs but 1/);
  });

  it("covers the true gain at about its confidence (simulated, 4,000 nights of 6 pairs)", () => {
    const random = createRandom(11);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    let covered = 0;
    const trials = 4000;
    for (let i = 0; i < trials; i++) {
      const truth = 0.3;
      const base = Array.from({ length: 6 }, () => gauss());
      const final = base.map(() => truth + gauss());
      const { ci } = verifiedGain(base, final, "maximize", 0.9);
      if (ci![0] <= truth && truth <= ci![1]) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.92);
  });

  it("sets beside it the sum of the kept steps' deltas up to the final code, as gains", () => {
    const rows = [
      { iteration: 0, status: "baseline", delta: 0 },
      { iteration: 1, status: "keep", delta: -0.03 },
      { iteration: 2, status: "discard", delta: 0.01 },
      { iteration: 3, status: "simplification", delta: 0.002 },
      { iteration: 4, status: "keep", delta: -0.02 },
    ] as const;
    expect(keptGainSum(rows, "minimize", 4).kept).toBe(3);
    expect(keptGainSum(rows, "minimize", 4).sum).toBeCloseTo(0.048, 12);
    expect(keptGainSum(rows, "minimize", 3).sum).toBeCloseTo(0.028, 12);
    expect(keptGainSum(rows, "maximize", 4).sum).toBeCloseTo(-0.048, 12);
    // #6 kept before #5 (several workers), #5 on top of it: the final code #5 holds both.
    const ahead = [
      ...rows,
      { iteration: 6, status: "keep", delta: -0.01 },
      { iteration: 5, status: "keep", delta: -0.005 },
    ] as const;
    expect(keptGainSum(ahead, "minimize", 5)).toEqual({ sum: expect.closeTo(0.063, 12), kept: 5 });
    expect(keptGainSum(ahead, "minimize", 6).kept).toBe(4);
  });
});
