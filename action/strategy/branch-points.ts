import {
  type BranchPointEntry,
  type Goal,
  judgedAgainst,
  KEPT,
  type RemeasureEntry,
  type ResultEntry,
} from "../ledger/types.ts";

/** The re-measures on record and the metric whose runs give a point's paired gap. */
export interface MeasuredBeside {
  remeasures: readonly RemeasureEntry[];
  metric: string;
}

/**
 * The best few points on record to propose from besides the incumbent: earlier incumbents
 * (kept), the candidates not kept that came closest (discards, undecided ones among them), and
 * the keeps of a parallel matrix line that another line displaced (`line`: the code that line
 * reached, judged on its own line only), each with its gap to the incumbent as measured. A point
 * re-measured in pairs beside this incumbent (engine/branch-remeasure.ts) has the mean of its runs
 * there less the incumbent's runs beside them (`paired`, with the number of pairs); else a point
 * whose own row was measured in pairs with this incumbent's runs (its row's delta, `paired`); any
 * other, its mean less the incumbent's (`unpaired`: runs made at different times, or a first run
 * screened out). A point whose code failed when re-measured beside this incumbent is not offered.
 * Best gain first, the latest on a tie; one point per content (the incumbent's own content
 * never). Pure.
 */
export function branchPoints(
  rows: readonly ResultEntry[],
  incumbent: { iteration: number; score: number },
  goal: Goal,
  count: number,
  measured: MeasuredBeside = { remeasures: [], metric: "score" },
): BranchPointEntry[] {
  const sign = goal === "maximize" ? 1 : -1;
  const incumbentKey = rows.find((r) => r.iteration === incumbent.iteration)?.content_key;
  const beside = pairedBeside(measured, incumbent.iteration);
  // The incumbent's runs paired with a candidate's, by that candidate.
  const ownPairs = new Map<number, number>();
  for (const m of measured.remeasures)
    if (m.paired_with !== undefined && m.iteration === incumbent.iteration)
      ownPairs.set(
        m.paired_with,
        (ownPairs.get(m.paired_with) ?? 0) + (m.samples[measured.metric]?.length ?? 0),
      );
  const byContent = new Map<string, BranchPointEntry>();
  const against = judgedAgainst(rows);
  for (const [i, r] of rows.entries()) {
    const judged = against[i];
    const isKept = KEPT.has(r.status) && r.score !== null;
    if (r.iteration === incumbent.iteration || r.score === null || !r.commit_full) continue;
    if (!isKept && r.status !== "discard") continue;
    if (r.content_key !== undefined && r.content_key === incumbentKey) continue;
    const fresh = beside.get(r.iteration);
    if (fresh && fresh.pairs === 0) continue; // it failed beside the incumbent
    // Its own pairs count without a first run screened in (the row's delta leaves that out).
    const own =
      !isKept && judged === incumbent.iteration && r.delta !== null
        ? Math.max(0, (ownPairs.get(r.iteration) ?? 0) - (r.screen ? 1 : 0))
        : 0;
    const base = {
      iteration: r.iteration,
      commit: r.commit_full,
      kind: isKept
        ? ("kept" as const)
        : r.recheck === "queued"
          ? ("line" as const)
          : ("near-miss" as const),
    };
    const point: BranchPointEntry = fresh
      ? { ...base, gain: sign * fresh.gap, measured: "paired", pairs: fresh.pairs }
      : own > 0
        ? { ...base, gain: sign * r.delta!, measured: "paired", pairs: own }
        : { ...base, gain: sign * (r.score - incumbent.score), measured: "unpaired" };
    const key = r.content_key ?? `#${r.iteration}`;
    const seen = byContent.get(key);
    if (!seen || point.gain >= seen.gain) byContent.set(key, point);
  }
  return [...byContent.values()]
    .sort((a, b) => b.gain - a.gain || b.iteration - a.iteration)
    .slice(0, count);
}

/**
 * Each point's runs beside incumbent `incumbent` (re-measure lines with `beside`): how many
 * pairs, and the mean of its runs there less the incumbent's runs beside them (in the metric's
 * units, not signed as a gain; 0 with no pairs). Pairs are matched in order, line by line: a
 * run whose other side did not run (the point failed) is left out. Pure.
 */
export function pairedBeside(
  measured: MeasuredBeside,
  incumbent: number,
): Map<number, { pairs: number; gap: number }> {
  const sides = new Map<number, { point: number[][]; incumbent: number[][] }>();
  for (const m of measured.remeasures) {
    if (m.beside?.incumbent !== incumbent) continue;
    const at = sides.get(m.beside.point) ?? { point: [], incumbent: [] };
    sides.set(m.beside.point, at);
    const runs = m.samples[measured.metric] ?? [];
    if (m.iteration === m.beside.point) at.point.push(runs);
    else if (m.iteration === incumbent) at.incumbent.push(runs);
  }
  const out = new Map<number, { pairs: number; gap: number }>();
  for (const [point, at] of sides) {
    let pairs = 0;
    let sum = 0;
    for (let i = 0; i < Math.min(at.point.length, at.incumbent.length); i++) {
      const p = at.point[i]!;
      const q = at.incumbent[i]!;
      for (let k = 0; k < Math.min(p.length, q.length); k++) {
        sum += p[k]! - q[k]!;
        pairs++;
      }
    }
    out.set(point, { pairs, gap: pairs > 0 ? sum / pairs : 0 });
  }
  return out;
}
