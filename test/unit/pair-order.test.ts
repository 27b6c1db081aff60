import { describe, expect, it } from "vitest";
import { drawOrderSeed, firstSideFirst } from "../../action/engine/pair-order.ts";

describe("firstSideFirst", () => {
  it("gives the same order for the same seed and pair, whoever asks and when", () => {
    const orders = (seed: number) =>
      Array.from({ length: 64 }, (_, p) => firstSideFirst(seed, p + 1));
    expect(orders(12345)).toEqual(orders(12345));
    expect(orders(12345)).not.toEqual(orders(12346));
    expect(firstSideFirst(9, 3, 2)).toBe(firstSideFirst(9, 3, 2));
  });

  it("draws either side first about half the time, over seeds and over pairs", () => {
    let first = 0;
    for (let seed = 1; seed <= 200; seed++)
      for (let pair = 1; pair <= 10; pair++) if (firstSideFirst(seed, pair)) first++;
    expect(first / 2000).toBeGreaterThan(0.45);
    expect(first / 2000).toBeLessThan(0.55);
    // Keys are not interchangeable: change 2's pair 1 is not change 1's pair 2.
    const swapped = Array.from(
      { length: 100 },
      (_, s) => firstSideFirst(s, 1, 2) === firstSideFirst(s, 2, 1),
    );
    expect(swapped.some((same) => !same)).toBe(true);
  });

  it("draws fresh seeds that --seed can give back (whole numbers >= 1)", () => {
    const seeds = Array.from({ length: 20 }, drawOrderSeed);
    expect(seeds.every((s) => Number.isInteger(s) && s >= 1)).toBe(true);
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });
});
