import type { ResultEntry } from "./types.ts";

/**
 * The lowest iteration neither on record nor in `taken` (none missing: the one after the last).
 * Rows are in record order, which with several workers is not always iteration order
 * (recordAhead), so a batch stopped with experiments in flight can leave a gap.
 */
export function firstUnrecorded(
  results: readonly ResultEntry[],
  taken: ReadonlySet<number> = new Set(),
): number {
  const recorded = new Set(results.map((r) => r.iteration));
  let i = 0;
  while (recorded.has(i) || taken.has(i)) i++;
  return i;
}

/** The iterations below `end` not on record, lowest first: those begun and still undecided. */
export function unrecordedBelow(results: readonly ResultEntry[], end: number): number[] {
  const recorded = new Set(results.map((r) => r.iteration));
  const out: number[] = [];
  for (let i = firstUnrecorded(results); i < end; i++) if (!recorded.has(i)) out.push(i);
  return out;
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
  return rowsAfter(results, iteration).length;
}

/** The rows recorded after `iteration`'s (all of them when it is not on record). */
export function rowsAfter<T extends Pick<ResultEntry, "iteration">>(
  results: readonly T[],
  iteration: number,
): readonly T[] {
  return results.slice(results.findLastIndex((r) => r.iteration === iteration) + 1);
}

/**
 * The rows recorded up to `iteration`'s, its own included (none when it is not on record): what
 * the record held once `iteration` was decided. A kept row numbered above the incumbent may come
 * before it (recordAhead), so "up to the incumbent" is by place, not by number.
 */
export function rowsThrough<T extends Pick<ResultEntry, "iteration">>(
  results: readonly T[],
  iteration: number,
): readonly T[] {
  return results.slice(0, results.findLastIndex((r) => r.iteration === iteration) + 1);
}
