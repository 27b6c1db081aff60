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
 * The AUTOEXP_SEED both sides of pair `keys` run with (common random numbers for a harness that
 * seeds its data order and initialisation with it), from the measurement's recorded seed: the
 * same seed gives the same value again. 1 to 2^31 - 1. Pure.
 */
export function pairSeed(seed: number, ...keys: number[]): number {
  let h = (seed ^ 0x5bd1e995) >>> 0;
  for (const k of keys) h = Math.imul(h ^ (k >>> 0), 0x85ebca6b) >>> 0;
  return 1 + Math.floor(createRandom(h)() * (2 ** 31 - 2));
}
