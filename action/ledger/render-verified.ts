import { formatDelta, formatScore } from "./format-score.ts";
import type { Goal, VerifiedGain, VerifyEntry } from "./types.ts";

/** A gain (positive = better) as a change in metric units, the sign the metric moves. */
function change(gain: number, goal: Goal): number {
  return goal === "minimize" ? -gain : gain;
}

function percent(confidence: number): string {
  return `${Number((confidence * 100).toPrecision(4))}%`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The interval of a gain as an interval of the change, low end first. */
function interval(ci: [number, number], goal: Goal): string {
  const [lo, hi] = [change(ci[0], goal), change(ci[1], goal)].sort((a, b) => a - b);
  return `[${formatScore(lo)}, ${formatScore(hi)}]`;
}

/** "−0.041 ± 0.006 (95%)": the verified change with its interval's half-width. */
export function formatVerifiedChange(g: VerifiedGain, goal: Goal, confidence: number): string {
  const center = formatDelta(change(g.gain, goal)) || "0";
  if (g.ci === null) return `${center} (too few pairs for an interval)`;
  if (g.sd === 0) return `${center} exactly (the eval is deterministic)`;
  return `${center} ± ${formatScore((g.ci[1] - g.ci[0]) / 2)} (${percent(confidence)})`;
}

/** One line: "verified: −0.041 ± 0.006 (95%), over 8 pairs; sum of kept steps −0.052". */
export function formatVerifiedLine(v: VerifyEntry): string {
  const kept = formatDelta(change(v.kept_gain_sum, v.goal)) || "0";
  return `verified: ${formatVerifiedChange(v.gain, v.goal, v.confidence)}, over ${plural(v.gain.pairs, "pair")}; sum of kept steps ${kept}`;
}

/** What the verify says in plain words when its interval does not exclude "no improvement". */
export function noImprovementNote(v: VerifyEntry): string | null {
  if (!v.gain.includes_no_improvement) return null;
  return v.gain.ci === null
    ? `Not verified: ${plural(v.gain.pairs, "complete pair")} is too few to tell the final code from the base.`
    : `The verified interval includes no improvement: re-measured against the base, the final code is not shown to be better (the kept steps claimed ${formatDelta(change(v.kept_gain_sum, v.goal)) || "0"}).`;
}

/**
 * The verified figure as the dashboard and the PR lead with it: the line, a plain warning when
 * the interval includes no improvement, failed runs, and with a holdout the validation and holdout
 * gains side by side.
 */
export function renderVerified(v: VerifyEntry): string {
  const parts = [`**${formatVerifiedLine(v)}**`];
  const note = noImprovementNote(v);
  if (note) parts.push(`> [!WARNING]\n> ${note}`);
  if (v.holdout) {
    const row = (label: string, g: VerifiedGain) =>
      `| ${label} | ${formatDelta(change(g.gain, v.goal)) || "0"} | ${g.ci ? interval(g.ci, v.goal) : "—"} | ${g.pairs} |`;
    parts.push(
      [
        `| ${v.metric}, final − base | change | ${percent(v.confidence)} interval | pairs |`,
        "|---|--:|---|--:|",
        row("eval (validation)", v.gain),
        row("holdout (never seen by the agent)", v.holdout.gain),
        `| sum of kept steps | ${formatDelta(change(v.kept_gain_sum, v.goal)) || "0"} | | ${plural(v.kept, "kept")} |`,
      ].join("\n"),
    );
    if (!v.gain.includes_no_improvement && v.holdout.gain.includes_no_improvement)
      parts.push(
        "> [!WARNING]\n> The gain on the eval does not show on the holdout: the kept changes may fit the eval rather than the task.",
      );
  }
  if (v.failures?.length) {
    const first = v.failures[0]!;
    parts.push(
      `_${plural(v.failures.length, "verify run")} gave no measurement and ${v.failures.length === 1 ? "its pair was" : "their pairs were"} left out (first: pair ${first.pair}, ${first.code} code, ${first.eval}: ${first.problem.replace(/\s+/g, " ").slice(0, 200)})._`,
    );
  }
  return parts.join("\n\n");
}
