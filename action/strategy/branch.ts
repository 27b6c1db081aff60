import { EVALUATED, KEPT } from "../ledger/types.ts";
import { type Arm, rewardOf, ucb1 } from "./bandit.ts";
import { branchPoints, type MeasuredBeside, pairedBeside } from "./branch-points.ts";
import { revisitable } from "./revisit.ts";
import {
  type BranchChoice,
  type BranchMeasure,
  ON_INCUMBENT,
  type Strategy,
  type StrategyState,
} from "./strategy.ts";

/**
 * Leave a plateau instead of stopping: once `stall` experiments in a row have not been kept,
 * the agent proposes from up to `points` branch points (branchPoints) as well as from the
 * incumbent, and UCB1 shares the proposals among them by each one's gain per proposal since the
 * last keep (bandit.ts). With `pairs` (strategy.remeasure), the point the bandit picks is first
 * measured in that many pairs beside the incumbent when its gap to it was not (toMeasure: the
 * engine runs them before that proposal begins), then the pick is made again on that paired gap:
 * a lucky recorded score does not pass for a frontier, and only points about to be proposed on
 * cost runs. A proposal on a point carries that point's code; it is judged against the incumbent
 * and kept only when it beats it. A keep ends the stall: the next proposals climb from the new
 * incumbent.
 *
 * UCB1 rather than Thompson sampling: it is deterministic, so the same record gives the same
 * pick whatever the timing (a draw would need a seed per experiment to keep that), and it tries
 * every point once before it trusts a mean.
 *
 * Revisits: a discard judged against an incumbent since replaced (revisit.ts) may be judged
 * again, its change re-applied onto the incumbent. One arm stands for them all (its pull: the
 * best such discard then), so the bandit weighs revisiting against the points by what revisits
 * gained; each discard is revisited at most once.
 */
export function branchStrategy(settings: {
  stall: number;
  points: number;
  /** Pairs a picked point is measured in beside the incumbent (strategy.remeasure); absent: 0. */
  pairs?: number;
}): Strategy {
  const pairs = settings.pairs ?? 0;
  const pick = (state: StrategyState): BranchChoice => {
    const { rows, incumbent, goal, scale } = state;
    const since = sinceLastKeep(rows);
    if (since.length < settings.stall) return ON_INCUMBENT;
    const points = branchPoints(rows, incumbent, goal, settings.points, measuredOf(state));
    const revisiting = state.revisiting ?? [];
    const revisit = revisitable(rows, incumbent.iteration, goal, new Set(revisiting))[0];
    if (points.length === 0 && !revisit) return ON_INCUMBENT;
    const sign = goal === "maximize" ? 1 : -1;
    // The points in rank order, then one arm for revisits (its pull: the best discard eligible
    // now), the incumbent last: an arm not yet tried goes first.
    const arms: Arm<Key>[] = [
      ...points.map((p) => ({ key: p.iteration, pulls: 0, reward: 0 })),
      ...(revisit ? [{ key: REVISIT as Key, pulls: 0, reward: 0 }] : []),
      { key: null, pulls: 0, reward: 0 },
    ];
    const armOf = new Map<Key, Arm<Key>>(arms.map((a) => [a.key, a]));
    for (const r of since) {
      const arm = armOf.get(r.revisit_of !== undefined ? REVISIT : (r.proposed_on ?? null));
      if (!arm) continue; // a point no longer among the best, or no revisit left
      arm.pulls++;
      const scored = EVALUATED.has(r.status) && r.status !== "duplicate" && r.delta !== null;
      arm.reward += rewardOf(scored ? sign * r.delta! : null, scale);
    }
    // A proposal in flight counts as one that gained nothing, until it is decided.
    for (const on of state.pending) {
      const arm = armOf.get(on);
      if (arm) arm.pulls++;
    }
    const revisitArm = armOf.get(REVISIT);
    if (revisitArm) revisitArm.pulls += revisiting.length;
    const { pick } = ucb1(arms);
    const stalled = `no keep in the last ${since.length} experiments (strategy.stall ${settings.stall})`;
    const figures =
      pick.pulls === 0
        ? `not yet ${pick.key === REVISIT ? "tried" : "proposed on"} since the last keep`
        : `UCB1: mean reward ${pick.mean.toFixed(2)} over ${pick.pulls} ${pick.key === REVISIT ? "revisit" : "proposal"}(s), bound ${pick.bound.toFixed(2)}`;
    if (pick.key === REVISIT) {
      const r = revisit!;
      const gain = r.gain === null ? "no delta" : `${change(r.gain, sign)} against it`;
      return {
        on: null,
        why: `${stalled}: revisiting #${r.iteration} (discarded against #${r.against}, ${gain}; the incumbent is now #${incumbent.iteration}; ${figures})`,
        points,
        revisit: r,
      };
    }
    if (pick.key === null)
      return {
        on: null,
        why: `${stalled}: proposing on the incumbent #${incumbent.iteration}, ahead of the branch points (${figures})`,
        points,
      };
    const point = points.find((p) => p.iteration === pick.key)!;
    const gap = `${change(point.gain, sign)} against the incumbent #${incumbent.iteration}, ${point.measured === "paired" ? `measured beside it${point.pairs ? ` in ${point.pairs} pair${point.pairs > 1 ? "s" : ""}` : ""}` : "its mean less the incumbent's, measured at different times"}`;
    const why = `${stalled}: proposing on #${point.iteration} (${point.kind === "kept" ? "an earlier incumbent" : point.kind === "line" ? "a parallel line's displaced keep" : "a near-miss"}, ${gap}; ${figures})`;
    return { on: point, why, points };
  };
  return {
    name: "branch",
    revisits: true,
    pick,
    toMeasure(state: StrategyState): BranchMeasure | null {
      if (pairs === 0) return null;
      const { on } = pick(state);
      if (!on || on.measured === "paired") return null;
      // At most `points` measured beside one incumbent (one stall): a point measured falls to its
      // true gap and a new one-run discard may take its place as an untried arm, picked at once;
      // past the bound it is proposed on as recorded (`unpaired`, and said so).
      const measured = pairedBeside(measuredOf(state), state.incumbent.iteration).size;
      return measured < settings.points ? { point: on, pairs } : null;
    },
  };
}

/** The rows recorded since the last keep. */
function sinceLastKeep(rows: StrategyState["rows"]): StrategyState["rows"] {
  return rows.slice(rows.findLastIndex((r) => KEPT.has(r.status) && r.score !== null) + 1);
}

function measuredOf(state: StrategyState): MeasuredBeside {
  return { remeasures: state.remeasures ?? [], metric: state.metric ?? "score" };
}

/** The bandit's arms: a branch point's experiment, revisits, or the incumbent (null). */
const REVISIT = "revisit";
type Key = number | null | typeof REVISIT;

/**
 * A gap given as a gain (positive: better), said as the metric's own change, the way the kept
 * table's Δ is (`sign`: +1 when the goal is maximize, -1 when minimize), with better or worse.
 */
function change(gain: number, sign: number): string {
  const delta = sign * gain;
  const size = Number(Math.abs(delta).toPrecision(3));
  return `${delta >= 0 ? "+" : "−"}${size} (${gain >= 0 ? "better" : "worse"})`;
}
