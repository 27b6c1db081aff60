import type { ResultEntry } from "./types.ts";

/** The lowest iteration not on record (none missing: the one after the last). */
export function firstUnrecorded(results: readonly ResultEntry[]): number {
  const recorded = new Set(results.map((r) => r.iteration));
  let i = 0;
  while (recorded.has(i)) i++;
  return i;
}

/** Whether `iteration`'s row was recorded at or after row index `from` (after a candidate began). */
export function recordedSince(
  results: readonly ResultEntry[],
  iteration: number,
  from: number,
): boolean {
  const at = results.findIndex((r) => r.iteration === iteration);
  return at >= from;
}

/**
 * How many rows were recorded after `iteration`'s (all of them when it is not on record). Rows
 * are in record order, which with several workers is not always iteration order (recordAhead).
 */
export function rowsSince(
  results: readonly Pick<ResultEntry, "iteration">[],
  iteration: number,
): number {
  const at = results.findLastIndex((r) => r.iteration === iteration);
  return results.length - 1 - at;
}
