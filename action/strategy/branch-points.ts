import { type BranchPointEntry, type Goal, KEPT, type ResultEntry } from "../ledger/types.ts";

/**
 * The best few points on record to propose from besides the incumbent: earlier incumbents
 * (kept) and the candidates not kept that came closest (discards, undecided ones among them),
 * each with its gap to the incumbent as measured. A point whose own runs were paired with this
 * incumbent's (judged against it) has that gap (`paired`); any other, its mean less the
 * incumbent's (`unpaired`: runs made at different times). Best gain first, the latest on a tie;
 * one point per content (the incumbent's own content never). Pure.
 */
export function branchPoints(
  rows: readonly ResultEntry[],
  incumbent: { iteration: number; score: number },
  goal: Goal,
  count: number,
): BranchPointEntry[] {
  const sign = goal === "maximize" ? 1 : -1;
  const incumbentKey = rows.find((r) => r.iteration === incumbent.iteration)?.content_key;
  const byContent = new Map<string, BranchPointEntry>();
  // The incumbent each row was judged against: its own `against`, else the one of its record.
  let current: number | null = null;
  for (const r of rows) {
    const judgedAgainst = r.against ?? current;
    const isKept = KEPT.has(r.status) && r.score !== null;
    if (isKept) current = r.iteration;
    if (r.iteration === incumbent.iteration || r.score === null || !r.commit_full) continue;
    if (!isKept && r.status !== "discard") continue;
    if (r.content_key !== undefined && r.content_key === incumbentKey) continue;
    const paired = !isKept && judgedAgainst === incumbent.iteration && r.delta !== null;
    const point: BranchPointEntry = {
      iteration: r.iteration,
      commit: r.commit_full,
      kind: isKept ? "kept" : "near-miss",
      gain: paired ? sign * r.delta! : sign * (r.score - incumbent.score),
      measured: paired ? "paired" : "unpaired",
    };
    const key = r.content_key ?? `#${r.iteration}`;
    const seen = byContent.get(key);
    if (!seen || point.gain >= seen.gain) byContent.set(key, point);
  }
  return [...byContent.values()]
    .sort((a, b) => b.gain - a.gain || b.iteration - a.iteration)
    .slice(0, count);
}
