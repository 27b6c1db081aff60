import type { CacheWriteEntry, ResultEntry } from "./types.ts";

/** What one experiment's code (or something outside autoexp) wrote into one writable cache. */
export interface CacheWriteView {
  /** The cache as isolation.writable declares it. */
  cache: string;
  /** The experiment whose code the runs ran; null for a change outside autoexp, or no row's code. */
  iteration: number | null;
  /** The cache itself changed during a batch, not by a run. */
  outside: boolean;
  /** The runs that wrote there, by log name (none for a change outside). */
  runs: string[];
  /** Entries written, changed or removed: the most one record of them counted. */
  count: number;
  /** Up to 5 of them, relative to the cache. */
  paths: string[];
}

const SHOWN_PATHS = 5;

/**
 * The ledger's cache-write lines, one view per code (or outside change) and cache, in the order
 * they were first recorded. A run's code is named by the row whose commit it ran.
 */
export function cacheWriteViews(
  lines: readonly CacheWriteEntry[],
  results: readonly Pick<ResultEntry, "iteration" | "commit_full">[],
): CacheWriteView[] {
  const byCommit = new Map<string, number>();
  for (const r of results) if (r.commit_full) byCommit.set(r.commit_full, r.iteration);
  const views = new Map<string, CacheWriteView>();
  for (const line of lines) {
    const key = `${line.commit ?? ""}\0${line.cache}`;
    let view = views.get(key);
    if (!view) {
      view = {
        cache: line.cache,
        iteration: line.commit ? (byCommit.get(line.commit) ?? null) : null,
        outside: !line.commit,
        runs: [],
        count: 0,
        paths: [],
      };
      views.set(key, view);
    }
    for (const r of line.runs ?? []) if (!view.runs.includes(r)) view.runs.push(r);
    view.count = Math.max(view.count, line.count);
    for (const p of line.paths)
      if (view.paths.length < SHOWN_PATHS && !view.paths.includes(p)) view.paths.push(p);
  }
  return [...views.values()];
}

/**
 * One sentence per view: "#4 wrote 12 entries into ~/.cache/torch in 3 runs: a, b". `quote`
 * makes the cache's name and the paths (written by an eval, or by whatever changed the cache)
 * safe for the output: Markdown or a terminal.
 */
export function cacheWriteSentences(
  views: readonly CacheWriteView[],
  quote: (text: string) => string,
  max = 10,
): string[] {
  const entries = (n: number) => `${n} ${n === 1 ? "entry" : "entries"}`;
  const listed = (v: CacheWriteView) =>
    `${v.paths.map(quote).join(", ")}${v.count > v.paths.length ? ", …" : ""}`;
  const sentences = views.slice(0, max).map((v) => {
    if (v.outside)
      return `${quote(v.cache)} itself changed during the batch, not by a run (${entries(v.count)}: ${listed(v)}): autoexp copied the change, so the runs after it read the changed cache`;
    const who = v.iteration !== null ? `#${v.iteration}` : `run ${quote(v.runs[0] ?? "?")}`;
    const runs = v.runs.length === 1 ? "1 run" : `${v.runs.length} runs`;
    return `${who} wrote ${entries(v.count)} into ${quote(v.cache)} in ${runs} (put back before the next run): ${listed(v)}`;
  });
  if (views.length > max)
    sentences.push(
      `and ${views.length - max} more (log.jsonl's "cache-write" lines hold them all)`,
    );
  return sentences;
}
