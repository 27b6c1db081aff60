import { describe, expect, it } from "vitest";
import {
  cheapNoise,
  cheapTransfer,
  normalQuantile,
  rankCorrelationInterval,
  ranks,
  spearman,
  TRANSFER_MIN_N,
} from "../../action/decide/transfer.ts";
import { renderCheapEval } from "../../action/ledger/render-cheap-eval.ts";
import type { CheapRecord } from "../../action/ledger/types.ts";

const row = (gain: number, full?: number, of = 0, incumbent: number[] = []) => ({
  cheap: {
    metric: "loss",
    of,
    value: 1,
    incumbent,
    against: 3,
    gain,
    sd: 1,
    threshold: 0.5,
    outcome: "passed",
    seconds: 1,
    ...(full !== undefined ? { full } : {}),
  } as CheapRecord,
});

describe("rank correlation", () => {
  it("gives tied values their average rank", () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it("is 1 for any increasing relation and -1 for a decreasing one", () => {
    const xs = [1, 2, 3, 4, 5, 6];
    expect(
      spearman(
        xs,
        xs.map((x) => x ** 3),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        xs,
        xs.map((x) => -Math.exp(x)),
      ),
    ).toBeCloseTo(-1, 12);
  });

  it("matches the textbook value with ties (Pearson on average ranks)", () => {
    // Ranks x: 1 2 3 4 5; y: 1 2.5 2.5 5 4 -> r = 0.8721
    expect(spearman([1, 2, 3, 4, 5], [1, 3, 3, 6, 5])).toBeCloseTo(0.872082, 5);
  });

  it("is undefined for a constant list or fewer than two pairs", () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1], [2])).toBeNaN();
  });

  it("has the standard normal's quantiles", () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
  });

  it("gives a Fisher-z interval with Bonett-Wright's variance, narrowing with n", () => {
    // rho 0.5, n 20: z 0.5493, se sqrt(1.125 / 17) = 0.2572, 90%: z ± 0.4231 -> 0.1255 to 0.7500
    const [lo, hi] = rankCorrelationInterval(0.5, 20)!;
    expect(lo).toBeCloseTo(Math.tanh(0.549306 - 1.644854 * Math.sqrt(1.125 / 17)), 5);
    expect(hi).toBeCloseTo(Math.tanh(0.549306 + 1.644854 * Math.sqrt(1.125 / 17)), 5);
    expect(lo).toBeCloseTo(0.1255, 3);
    expect(hi).toBeCloseTo(0.75, 3);
    const wide = rankCorrelationInterval(0.5, 8)!;
    expect(wide[1] - wide[0]).toBeGreaterThan(hi - lo);
    expect(rankCorrelationInterval(0.5, 3)).toBeNull();
    const perfect = rankCorrelationInterval(1, 12)!;
    expect(perfect[1]).toBeLessThanOrEqual(1);
    expect(perfect[0]).toBeGreaterThan(0.9);
  });
});

describe("the cheap eval's transfer over a ledger", () => {
  it("keeps screening under TRANSFER_MIN_N candidates with both, however poor", () => {
    const rows = Array.from({ length: TRANSFER_MIN_N - 1 }, (_, i) => row(i, -i));
    const t = cheapTransfer(rows);
    expect(t.n).toBe(TRANSFER_MIN_N - 1);
    expect(t.rho).toBeCloseTo(-1, 12);
    expect(t.stopNow).toBeNull();
    expect(t.state).toBe("screening");
  });

  it("stops once the interval's upper end is under 0.3, and only counts rows with both gains", () => {
    const rows = [
      ...Array.from({ length: TRANSFER_MIN_N }, (_, i) => row(i, -i)),
      row(100), // failed: no full gain
    ];
    const t = cheapTransfer(rows);
    expect(t.n).toBe(TRANSFER_MIN_N);
    expect(t.stopNow).toMatchObject({ n: TRANSFER_MIN_N, rho: -1 });
    expect(t.stopNow!.ci[1]).toBeLessThan(0.3);
    expect(t.stopNow!.reason).toMatch(/^the cheap eval ranks candidates unlike the full eval/);
  });

  it("keeps screening when the interval reaches 0.3, and stays stopped once a row says so", () => {
    // A weak positive relation over 12: rho ~0.3, the upper end well above 0.3.
    const gains = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const fulls = [3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11].map((v, i) => (i % 2 ? v : 13 - v));
    const t = cheapTransfer(gains.map((g, i) => row(g, fulls[i])));
    expect(t.ci![1]).toBeGreaterThan(0.3);
    expect(t.stopNow).toBeNull();
    const stop = { n: 12, rho: -0.5, ci: [-0.8, 0.1] as [number, number], reason: "poor" };
    const after = cheapTransfer([
      ...gains.map((g, i) => row(g, fulls[i])),
      { cheap_stopped: stop },
    ]);
    expect(after.state).toBe("stopped");
    expect(after.stop).toEqual(stop);
    expect(after.stopNow).toBeNull();
    expect(renderCheapEval(after)).toMatch(
      /^Cheap eval \(eval\.screen\): stopped: poor\. Now: rank correlation with the full eval /,
    );
    expect(renderCheapEval(t)).toMatch(
      /^Cheap eval \(eval\.screen\): screening \(stops once 12 or more/,
    );
  });

  it("pools the cheap eval's noise within each incumbent's runs", () => {
    const rows = [row(0, 0, 0, [1, 3]), row(0, 0, 0, [2]), row(0, 0, 5, [10, 14])];
    // Incumbent #0: 1, 3, 2 (ss 2, df 2); #5: 10, 14 (ss 8, df 1): sd sqrt(10 / 3).
    const noise = cheapNoise(rows);
    expect(noise.df).toBe(3);
    expect(noise.sd).toBeCloseTo(Math.sqrt(10 / 3), 12);
  });
});
