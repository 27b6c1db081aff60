import type { Comparison } from "./compare.ts";
import { fmt } from "./fmt.ts";

/** Why a candidate that is not better by min_delta was discarded. */
export function notBetter(c: Comparison, minDelta: number): string {
  if (c.gain <= 0)
    return `not better (${c.name} ${c.gain === 0 ? "unchanged" : `worse by ${fmt(-c.gain)}`})`;
  return `improved by ${fmt(c.gain)}, not more than min_delta ${fmt(minDelta)}`;
}
