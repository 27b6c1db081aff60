import type { ParsedLog } from "./log-jsonl.ts";
import type { ResultEntry } from "./types.ts";

/**
 * The re-check queue: keeps of parallel lines that another line's record displaced when they
 * were published (see github/merge-records.ts), in ledger order, less those an experiment has
 * re-checked since (`recheck_of`). Derived from the ledger alone, so a batch killed mid-re-check
 * finds the item still queued and redoes it. Pure.
 */
export function recheckQueue(log: Pick<ParsedLog, "results">): ResultEntry[] {
  const done = new Set<number>();
  for (const r of log.results) if (r.recheck_of !== undefined) done.add(r.recheck_of);
  return log.results.filter(
    (r) => r.recheck === "queued" && r.commit_full && !done.has(r.iteration),
  );
}
