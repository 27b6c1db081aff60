import type { CacheWriteEntry } from "../ledger/types.ts";

/** One run, as the ledger names it: its log name and the commit whose code it ran. */
export interface RunRef {
  name: string;
  commit: string;
}

/** Paths a ledger line shows; the count says how many there were. */
const SHOWN = 5;

/**
 * What runs wrote into the declared writable caches, gathered as each slot's copies are put
 * back and held until the ledger takes it: one line per code and cache, and one line the first
 * time a cache itself is seen changed during the batch (every slot's copy sees that change, and
 * a cache another program keeps writing would say so after every run).
 */
export class CacheWrites {
  #byCode = new Map<string, { cache: string; run: RunRef; runs: string[]; paths: Set<string> }>();
  #outside: { cache: string; paths: readonly string[] }[] = [];
  #told = new Set<string>();

  /** `run` changed, added or removed `paths` in its copy of `cache` (now put back). */
  ran(cache: string, run: RunRef, paths: readonly string[]): void {
    if (paths.length === 0) return;
    const key = `${run.commit}\0${cache}`;
    let entry = this.#byCode.get(key);
    if (!entry) {
      entry = { cache, run, runs: [], paths: new Set() };
      this.#byCode.set(key, entry);
    }
    if (!entry.runs.includes(run.name)) entry.runs.push(run.name);
    for (const p of paths) entry.paths.add(p);
  }

  /** `cache` itself gained, lost or changed `paths` since a copy was made: said once a batch. */
  changed(cache: string, paths: readonly string[]): void {
    if (paths.length === 0 || this.#told.has(cache)) return;
    this.#told.add(cache);
    this.#outside.push({ cache, paths });
  }

  /** The lines not yet recorded, and forgets them. */
  take(timestamp: string): CacheWriteEntry[] {
    const lines: CacheWriteEntry[] = [
      ...this.#outside.map(({ cache, paths }) => ({
        type: "cache-write" as const,
        cache,
        count: paths.length,
        paths: paths.slice(0, SHOWN),
        timestamp,
      })),
      ...[...this.#byCode.values()].map(({ cache, run, runs, paths }) => ({
        type: "cache-write" as const,
        cache,
        commit: run.commit,
        runs,
        count: paths.size,
        paths: [...paths].sort().slice(0, SHOWN),
        timestamp,
      })),
    ];
    this.#byCode.clear();
    this.#outside = [];
    return lines;
  }
}
