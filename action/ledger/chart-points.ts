import { quantile } from "../decide/stats.ts";
import { isEvaluated, type LedgerView } from "./summarize.ts";
import { FAILURES, type Goal, KEPT, type Status } from "./types.ts";

/** The colours both charts use, so the Mermaid chart and progress.svg read the same way. */
export const CHART_COLORS = {
  background: "#ffffff",
  text: "#24292f",
  muted: "#57606a",
  grid: "#eaeef2",
  run: "#8c959f",
  best: "#1a7f37",
  kept: "#2da44e",
  failed: "#cf222e",
} as const;

/** How a run is drawn: kept (the incumbent moved), discarded, or failed (crash, timeout, guard). */
export type PointKind = "kept" | "discarded" | "failed";

export interface ChartPoint {
  /** Its experiment number: where it stands on the x-axis. */
  iteration: number;
  /** The measured score; null when the run measured nothing (a crash, a timeout). */
  score: number | null;
  kind: PointKind;
  /**
   * The best kept score once every experiment up to this one was decided. Rows are in experiment
   * order but for one case: with several workers a keep may be recorded ahead of experiments begun
   * before it (steps.ts, recordAhead). Read so, the best only moves forward, and such a keep lifts
   * it from the first experiment it went ahead of (`ahead`), not from its own number.
   */
  best: number | null;
  /** A keep recorded ahead of experiments begun before it: the first of them. */
  ahead?: number;
  /** Its place in the record (the order decided). */
  place: number;
  status: string;
  description: string;
}

/** What both charts draw: every run worth a mark, and one y-range that outliers do not stretch. */
export interface ChartData {
  metric: string;
  goal: Goal;
  /** Runs with a score or a failure, by experiment number (no_change and duplicates are not runs). */
  points: ChartPoint[];
  /** The y-range, padded; scores outside it are drawn at the edge and named. */
  lo: number;
  hi: number;
  /** Scored runs outside [lo, hi]. */
  offScale: ChartPoint[];
}

// guard_fail is measured but broke a guard: a failure to the eye, though not to the budget.
const FAILED = new Set<string>([...FAILURES, "guard_fail"]);

/** The points and the robust y-range of a view; null when fewer than two runs have a score. */
export function chartData(view: LedgerView): ChartData | null {
  // By experiment number, each with its place in the record.
  const byNumber = view.rows
    .map((row, place) => ({ row, place }))
    .sort((a, b) => a.row.iteration - b.row.iteration);
  // The last place on record once every experiment up to this one was decided, and the first
  // experiment at which each place was reached.
  let latest = -1;
  const reachedAt = new Map<number, number>();
  const points: ChartPoint[] = [];
  for (const { row, place } of byNumber) {
    for (let p = latest + 1; p <= place; p++) reachedAt.set(p, row.iteration);
    latest = Math.max(latest, place);
    const scored = isEvaluated(row);
    if (!scored && !FAILED.has(row.status)) continue;
    const kind: PointKind = FAILED.has(row.status)
      ? "failed"
      : KEPT.has(row.status as Status) && scored
        ? "kept"
        : "discarded";
    const from = reachedAt.get(place)!;
    points.push({
      iteration: row.iteration,
      score: scored ? row.score : null,
      kind,
      best: view.rows[latest]!.best,
      ...(kind === "kept" && from < row.iteration ? { ahead: from } : {}),
      place,
      status: row.status,
      description: row.description,
    });
  }
  const scores = points.flatMap((p) => (p.score === null ? [] : [p.score]));
  if (scores.length < 2) return null;
  const anchors = points.flatMap((p) => (p.best === null ? [] : [p.best]));
  if (view.baseline !== null) anchors.push(view.baseline);
  if (view.best?.score !== null && view.best?.score !== undefined) anchors.push(view.best.score);
  const { lo, hi } = robustRange(scores, anchors);
  return {
    metric: view.metric,
    goal: view.goal,
    points,
    lo,
    hi,
    offScale: points.filter((p) => p.score !== null && (p.score < lo || p.score > hi)),
  };
}

/**
 * The y-range that shows the bulk of the runs and the whole running best (the anchors), padded.
 * A run is left outside when it lies beyond Tukey's fences, 1.5 spreads past the quartiles, where
 * the spread is the larger of the runs' interquartile range and the progress made: one broken run
 * three times the rest then cannot flatten the progress, while ordinary bad runs stay in view.
 */
export function robustRange(
  scores: readonly number[],
  anchors: readonly number[] = [],
): { lo: number; hi: number } {
  const sorted = [...scores].filter(Number.isFinite).sort((a, b) => a - b);
  const fixed = anchors.filter(Number.isFinite);
  if (sorted.length === 0 && fixed.length === 0) return { lo: 0, hi: 1 };
  let lo = Math.min(...fixed, Infinity);
  let hi = Math.max(...fixed, -Infinity);
  if (sorted.length > 0) {
    const q1 = quantile(sorted, 0.25);
    const q3 = quantile(sorted, 0.75);
    const spread = Math.max(q3 - q1, Number.isFinite(hi - lo) ? hi - lo : 0);
    const inside = sorted.filter((v) => v >= q1 - 1.5 * spread && v <= q3 + 1.5 * spread);
    lo = Math.min(lo, ...inside);
    hi = Math.max(hi, ...inside);
  }
  const pad = (hi - lo) * 0.06 || Math.abs(hi) * 0.01 || 1;
  return { lo: lo - pad, hi: hi + pad };
}

const PLAIN = new Intl.NumberFormat("en-US", { useGrouping: false, maximumSignificantDigits: 6 });

/** Six significant digits, never in exponent notation (Mermaid's grammar reads no exponents). */
export function plainNumber(v: number): string {
  return PLAIN.format(v);
}

/** The first `max` points named, then how many more: "#89 (3.21585), #90 (4) and 2 more". */
function nameSome(
  points: readonly ChartPoint[],
  max: number,
  name: (p: ChartPoint) => string,
): string {
  const more = points.length - max;
  return `${points.slice(0, max).map(name).join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

/** Names off-scale runs for a caption: "#89 (3.21585)", at most `max`, then how many more. */
export function nameOffScale(points: readonly ChartPoint[], max = 5): string {
  return nameSome(points, max, (p) => `#${p.iteration} (${plainNumber(p.score!)})`);
}

/**
 * Keeps recorded ahead of experiments begun before them, for a caption: "Kept ahead of
 * experiments begun before it, so the best line rises from the first of them: #5 (from #3)", at
 * most `max` named; "" when there are none.
 */
export function nameAhead(points: readonly ChartPoint[], max = 5): string {
  const ahead = points.filter((p) => p.ahead !== undefined);
  if (ahead.length === 0) return "";
  const named = nameSome(ahead, max, (p) => `#${p.iteration} (from #${p.ahead})`);
  return `Kept ahead of experiments begun before ${ahead.length === 1 ? "it" : "them"}, so the best line rises from the first of them: ${named}.`;
}
