import type { ParsedLog } from "./log-jsonl.ts";

/** Entries of every kind in a ledger (0 for none). */
export function countEntries(log: ParsedLog | null): number {
  return log
    ? log.results.length +
        log.batches.length +
        log.remeasures.length +
        log.verifies.length +
        (log.attributes?.length ?? 0) +
        (log.splits?.length ?? 0) +
        (log.config ? 1 : 0)
    : 0;
}

/** Whether ledger `a`'s results are the first results of `b` (same numbers, same statuses). */
export function isPrefix(a: ParsedLog, b: ParsedLog): boolean {
  return a.results.every(
    (r, i) => b.results[i]?.iteration === r.iteration && b.results[i]?.status === r.status,
  );
}
