import { describe, expect, it } from "vitest";
import {
  cheapNoise,
  cheapTransfer,
  normalQuantile,
  rankCorrelationInterval,
  ranks,
  spearman,
  TRANSFER_MIN_N,
  TRANSFER_STOP_LEVEL,
  transferUpperBound,
} from "../../action/decide/transfer.ts";
import { renderCheapEval } from "../../action/ledger/render-cheap-eval.ts";
import type { CheapRecord } from "../../action/ledger/types.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

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

  it("stops once the 80% upper bound is under 0.3, and only counts rows with both gains", () => {
    const rows = [
      ...Array.from({ length: TRANSFER_MIN_N }, (_, i) => row(i, -i)),
      row(100), // failed: no full gain
    ];
    const t = cheapTransfer(rows);
    expect(t.n).toBe(TRANSFER_MIN_N);
    expect(t.stopNow).toMatchObject({ n: TRANSFER_MIN_N, rho: -1 });
    expect(t.stopNow!.ci[1]).toBeLessThan(0.3);
    expect(t.stopNow!.reason).toMatch(
      /^the cheap eval ranks candidates unlike the full eval: .* its 80% upper bound -[\d.]+ under 0\.3;/,
    );
  });

  it("stops on the 80% upper bound where the 90% interval still reaches 0.3", () => {
    const gains = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    const fulls = [6, 2, 9, 5, 3, 7, 10, 1, 4, 8];
    const t = cheapTransfer(gains.map((g, i) => row(g, fulls[i])));
    expect(t.n).toBe(10);
    expect(t.ci![1]).toBeGreaterThan(0.3);
    expect(transferUpperBound(t.rho, 10)!).toBeLessThan(0.3);
    expect(t.stopNow).toMatchObject({ n: 10 });
  });

  it("keeps screening when the bound reaches 0.3, and stays stopped once a row says so", () => {
    // A weak positive relation over 12: rho ~0.3, the upper bound well above 0.3.
    const gains = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const fulls = [3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11].map((v, i) => (i % 2 ? v : 13 - v));
    const t = cheapTransfer(gains.map((g, i) => row(g, fulls[i])));
    expect(t.ci![1]).toBeGreaterThan(0.3);
    expect(transferUpperBound(t.rho, 12)!).toBeGreaterThan(0.3);
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
      /^Cheap eval \(eval\.screen\): screening \(stops once 8 or more candidates have both and the correlation's 80% upper bound is under 0\.3\)/,
    );
  });

  // The rule looked at after every pair, as autoexp does, on seeded bivariate normal pairs whose
  // Spearman rho is `rho` (Pearson 2 sin(pi rho / 6)): the pair it first stops at, or null.
  const firstStop = (rho: number, seed: number, horizon: number): number | null => {
    const r = 2 * Math.sin((Math.PI * rho) / 6);
    const z = gaussian(createRandom(seed));
    const rows: ReturnType<typeof row>[] = [];
    for (let n = 1; n <= horizon; n++) {
      const x = z();
      rows.push(row(x, r * x + Math.sqrt(1 - r * r) * z()));
      if (cheapTransfer(rows).stopNow) return n;
    }
    return null;
  };

  it("stops an unrelated cheap eval (rho 0) within 20 candidates in most simulations", () => {
    const stops = Array.from({ length: 200 }, (_, s) => firstStop(0, 1000 + s, 20));
    const at = stops.filter((n): n is number => n !== null);
    // bench/transfer-model.ts: about 81% by 20 (the 90% interval's upper end from 12: 47%).
    expect(at.length / 200).toBeGreaterThan(0.7);
    expect(Math.min(...at)).toBe(TRANSFER_MIN_N);
  });

  it("rarely stops a cheap eval that ranks well (rho 0.8) within 40 candidates", () => {
    const stops = Array.from({ length: 200 }, (_, s) => firstStop(0.8, 5000 + s, 40));
    expect(stops.filter((n) => n !== null).length / 200).toBeLessThan(0.05);
  });

  it("has a one-sided 80% upper bound by Fisher's z with Bonett and Wright's variance", () => {
    expect(TRANSFER_STOP_LEVEL).toBe(0.8);
    // rho 0, n 8: z 0, se sqrt(1 / 5), 80%: 0.841621 * 0.447214 = 0.376384 -> tanh 0.3595
    expect(transferUpperBound(0, 8)!).toBeCloseTo(Math.tanh(0.841621 * Math.sqrt(1 / 5)), 5);
    expect(transferUpperBound(0, 8)!).toBeCloseTo(0.3595, 3);
    // Under the 90% interval's upper end (a 95% one-sided bound), above rho.
    expect(transferUpperBound(0.5, 20)!).toBeLessThan(rankCorrelationInterval(0.5, 20)![1]);
    expect(transferUpperBound(0.5, 20)!).toBeGreaterThan(0.5);
    expect(transferUpperBound(0.5, 3)).toBeNull();
  });

  it("pools the cheap eval's noise within each incumbent's runs", () => {
    const rows = [row(0, 0, 0, [1, 3]), row(0, 0, 0, [2]), row(0, 0, 5, [10, 14])];
    // Incumbent #0: 1, 3, 2 (ss 2, df 2); #5: 10, 14 (ss 8, df 1): sd sqrt(10 / 3).
    const noise = cheapNoise(rows);
    expect(noise.df).toBe(3);
    expect(noise.sd).toBeCloseTo(Math.sqrt(10 / 3), 12);
  });
});
