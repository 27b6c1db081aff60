import { randomInt } from "node:crypto";
import { createRandom } from "../util/random.ts";

/** A fresh seed for the order of a measurement's pairs (recorded as `order_seed`). */
export function drawOrderSeed(): number {
  return randomInt(1, 2 ** 31);
}

/**
 * Whether the first side of pair `pair` runs first (verify: base before final; attribute: final
 * before without), drawn from `seed` and the pair's keys alone: the same seed gives the same
 * order whichever worker runs the pair and whenever. So that an eval cannot tell a pair's sides
 * apart by where they fall in the sequence of runs. Pure.
 */
export function firstSideFirst(seed: number, ...keys: number[]): boolean {
  let h = seed >>> 0;
  for (const k of keys) h = Math.imul(h ^ (k >>> 0), 0x9e3779b1) >>> 0;
  return createRandom(h)() < 0.5;
}

/**
 * The AUTOEXP_SEED both sides of one pair run with (common random numbers for a harness that
 * seeds its data order and initialisation with it): drawn afresh for each pair (`key`), never
 * derived from the order's seed, which an eval could otherwise search for from the value it sees
 * and so learn which side it is. The same key gives the same seed within one measurement.
 */
export function pairSeeds(): (key: string) => number {
  const drawn = new Map<string, number>();
  return (key) => {
    let seed = drawn.get(key);
    if (seed === undefined) {
      seed = randomInt(1, 2 ** 31);
      drawn.set(key, seed);
    }
    return seed;
  };
}
