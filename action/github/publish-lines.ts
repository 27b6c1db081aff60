import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Handoff, readHandoff } from "./handoff.ts";
import { type PublishOptions, type PublishResult, publish } from "./publish.ts";

/** One line's handoff in a matrix's publish folder (one subfolder per shard's artifact). */
export interface LineHandoff {
  dir: string;
  handoff: Handoff;
}

/** The handoffs in the subfolders of `dir` (download-artifact's layout for a pattern), by name. */
export async function findLineHandoffs(dir: string): Promise<LineHandoff[]> {
  const names = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: LineHandoff[] = [];
  for (const entry of names
    .filter((e) => e.isDirectory())
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const handoff = await readHandoff(join(dir, entry.name));
    if (handoff) found.push({ dir: join(dir, entry.name), handoff });
  }
  return found;
}

/**
 * The lines in the order they are published: the best incumbent first (by the goal its ledger
 * records), so it is the one that moves the branch; ties and lines without a score keep their
 * folder order. Pure.
 */
export function bestFirst(lines: readonly LineHandoff[]): LineHandoff[] {
  const rank = (l: LineHandoff) => {
    const best = l.handoff.best;
    if (!best) return Number.POSITIVE_INFINITY;
    return best.goal === "minimize" ? best.score : -best.score;
  };
  return lines
    .map((l, i) => ({ l, i }))
    .sort((a, b) => rank(a.l) - rank(b.l) || a.i - b.i)
    .map((x) => x.l);
}

/**
 * Publishes the lines of a matrix run of one tag: the best line first (it fast-forwards or
 * creates the branch), then each other line on top of it, its experiments numbered after the
 * remote's and its keeps queued for a re-check against the winner (github/merge-records.ts).
 * Every line's experiments and refs reach the remote; none is dropped.
 */
export async function publishLines(
  lines: readonly LineHandoff[],
  options: Omit<PublishOptions, "handoff">,
): Promise<{ line: LineHandoff; result: PublishResult }[]> {
  const log = options.log ?? (() => {});
  const done: { line: LineHandoff; result: PublishResult }[] = [];
  const ordered = bestFirst(lines);
  for (const [i, line] of ordered.entries()) {
    const best = line.handoff.best;
    log(
      `line ${i + 1} of ${ordered.length} (${line.dir}): ${line.handoff.experiments} experiment(s)${best ? `, best ${best.score}` : ""}${i === 0 ? ", the best: published first" : ", published on top of the best; its keeps are queued for a re-check"}`,
    );
    done.push({ line, result: await publish({ ...options, handoff: line.dir }) });
  }
  return done;
}
