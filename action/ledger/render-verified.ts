import { inertMarkdown } from "../util/markdown-inert.ts";
import { formatDelta, plural } from "./format-score.ts";
import { changeOfGain as change } from "./night-figures.ts";
import type { Goal, VerifiedGain, VerifyEntry } from "./types.ts";

function percent(confidence: number): string {
  return `${Number((confidence * 100).toPrecision(4))}%`;
}

/**
 * Decimals for an interval's half-width: two significant digits when it starts with 1 or 2, one
 * otherwise (the particle physicists' rule), and the centre to as many: no false precision. A
 * centre that would round to nothing gets one more (−0.004 ± 0.033, not ±0.00 ± 0.03: which way
 * the final code moved is the first thing a reader looks for).
 */
function decimalsFor(g: VerifiedGain): number | null {
  if (g.ci === null || g.sd === 0) return null;
  const half = (g.ci[1] - g.ci[0]) / 2;
  const exponent = Math.floor(Math.log10(half));
  const significant = half / 10 ** exponent < 3 ? 2 : 1;
  const d = Math.min(12, Math.max(0, significant - 1 - exponent));
  return g.gain !== 0 && Number(Math.abs(g.gain).toFixed(d)) === 0 ? Math.min(12, d + 1) : d;
}

/** A change with its sign (a real minus), rounded to `decimals` when given. */
function signed(v: number, decimals: number | null): string {
  if (decimals === null) return formatDelta(v);
  const text = Math.abs(v).toFixed(decimals);
  return `${Number(text) === 0 ? "±" : v > 0 ? "+" : "−"}${text}`;
}

/** The interval of a gain as an interval of the change, low end first. */
function interval(g: VerifiedGain, goal: Goal): string {
  if (!g.ci) return "—";
  const d = decimalsFor(g);
  const [lo, hi] = [change(g.ci[0], goal), change(g.ci[1], goal)].sort((a, b) => a - b);
  return `[${signed(lo!, d)}, ${signed(hi!, d)}]`;
}

/** "−0.041 ± 0.006 (95%)": the verified change with its interval's half-width. */
export function formatVerifiedChange(g: VerifiedGain, goal: Goal, confidence: number): string {
  const d = decimalsFor(g);
  const center = signed(change(g.gain, goal), d);
  if (g.ci === null) return `${center} (too few pairs for an interval)`;
  if (d === null) return `${center} exactly (the eval is deterministic)`;
  return `${center} ± ${((g.ci[1] - g.ci[0]) / 2).toFixed(d)} (${percent(confidence)})`;
}

/**
 * "−0.041 ± 0.006 (95%), over 8 pairs": a verified gain as verify, attribute and split all show
 * it, with a note when its interval does not rule out no improvement.
 */
export function formatGainLine(g: VerifiedGain, goal: Goal, confidence: number): string {
  const note = g.includes_no_improvement ? ", not distinguishable from no improvement" : "";
  return `${formatVerifiedChange(g, goal, confidence)}, over ${plural(g.pairs, "pair")}${note}`;
}

/** "holdout: −0.030 ± 0.010 (95%), over 8 pairs", or null without a holdout. */
export function formatHoldoutLine(v: VerifyEntry): string | null {
  if (!v.holdout) return null;
  return `holdout: ${formatVerifiedChange(v.holdout.gain, v.goal, v.confidence)}, over ${plural(v.holdout.gain.pairs, "pair")}`;
}

/** One line: "verified: −0.041 ± 0.006 (95%), over 8 pairs; sum of kept steps −0.052". */
export function formatVerifiedLine(v: VerifyEntry): string {
  const kept = formatDelta(change(v.kept_gain_sum, v.goal));
  return `verified: ${formatVerifiedChange(v.gain, v.goal, v.confidence)}, over ${plural(v.gain.pairs, "pair")}; sum of kept steps ${kept}`;
}

/** What the verify says in plain words when its interval does not exclude "no improvement". */
export function noImprovementNote(v: VerifyEntry): string | null {
  if (!v.gain.includes_no_improvement) return null;
  return v.gain.ci === null
    ? `Not verified: ${plural(v.gain.pairs, "complete pair")} is too few to tell the final code from the base.`
    : `The verified interval includes no improvement: re-measured against the base, the final code is not shown to be better (the kept steps claimed ${formatDelta(change(v.kept_gain_sum, v.goal))}).`;
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
      `| ${label} | ${signed(change(g.gain, v.goal), decimalsFor(g))} | ${interval(g, v.goal)} | ${g.pairs} |`;
    parts.push(
      [
        `| ${v.metric}, final − base | change | ${percent(v.confidence)} interval | pairs |`,
        "|---|--:|---|--:|",
        row("eval (validation)", v.gain),
        row("holdout (never seen by the agent)", v.holdout.gain),
        `| sum of kept steps | ${formatDelta(change(v.kept_gain_sum, v.goal))} | | ${v.kept} kept |`,
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
      `_${plural(v.failures.length, "verify run")} gave no measurement and ${v.failures.length === 1 ? "its pair was" : "their pairs were"} left out (first: pair ${first.pair}, ${first.code} code, ${first.eval}: ${inertMarkdown(first.problem, 200)})._`,
    );
  }
  return parts.join("\n\n");
}
