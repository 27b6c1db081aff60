import { describe, expect, it } from "vitest";
import { mean, normalUpperTail, tQuantileUpper, tUpperTail } from "../../action/decide/stats.ts";

describe("statistics", () => {
  it("matches Student's t table values", () => {
    // one-sided 5% critical values: df 1 6.314, df 4 2.132, df 10 1.812, df 30 1.697
    expect(tUpperTail(6.314, 1)).toBeCloseTo(0.05, 4);
    expect(tUpperTail(2.132, 4)).toBeCloseTo(0.05, 4);
    expect(tUpperTail(1.812, 10)).toBeCloseTo(0.05, 4);
    expect(tUpperTail(1.697, 30)).toBeCloseTo(0.05, 4);
    expect(tUpperTail(-2.132, 4)).toBeCloseTo(0.95, 4);
    expect(tUpperTail(0, 7)).toBeCloseTo(0.5, 10);
    expect(tQuantileUpper(0.025, 4)).toBeCloseTo(2.776, 3);
    expect(tQuantileUpper(0.0125, 38)).toBeCloseTo(2.334, 2);
  });
  it("gives runs that agree their value as their mean, with no rounding residue", () => {
    const runs = [0.0417, 0.0417, 0.0417];
    expect(runs.reduce((a, b) => a + b) / runs.length).not.toBe(0.0417);
    expect(mean(runs)).toBe(0.0417);
    expect(mean([1, 2])).toBe(1.5);
    expect(mean([])).toBeNaN();
  });

  it("matches the normal distribution", () => {
    expect(normalUpperTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalUpperTail(-1.644854)).toBeCloseTo(0.95, 6);
    expect(tUpperTail(1.644854, Number.POSITIVE_INFINITY)).toBeCloseTo(0.05, 6);
  });
});
