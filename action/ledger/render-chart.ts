import {
  CHART_COLORS,
  type ChartData,
  chartData,
  nameAhead,
  nameOffScale,
  plainNumber,
} from "./chart-points.ts";
import type { LedgerView } from "./summarize.ts";

/** More points than this are resampled: the chart's text stays small enough for a PR body. */
export const MAX_CHART_POINTS = 200;
/** Up to this many experiments the x-axis names each one; beyond, Mermaid picks ~10 ticks. */
const MAX_CATEGORY_LABELS = 12;

// Mermaid's default xychart palette starts with #ECECFF, invisible on white; the colours and a
// white card are set explicitly so both series read in GitHub's light and dark themes alike.
const INIT = {
  theme: "base",
  themeVariables: {
    xyChart: {
      backgroundColor: CHART_COLORS.background,
      titleColor: CHART_COLORS.text,
      legendTextColor: CHART_COLORS.text,
      xAxisLabelColor: CHART_COLORS.muted,
      xAxisTitleColor: CHART_COLORS.muted,
      xAxisTickColor: CHART_COLORS.muted,
      xAxisLineColor: CHART_COLORS.muted,
      yAxisLabelColor: CHART_COLORS.muted,
      yAxisTitleColor: CHART_COLORS.muted,
      yAxisTickColor: CHART_COLORS.muted,
      yAxisLineColor: CHART_COLORS.muted,
      plotColorPalette: `${CHART_COLORS.run}, ${CHART_COLORS.best}`,
    },
  },
  xyChart: { width: 900, height: 420, showLegend: true },
};

/** The two lines of the chart, sampled at evenly spaced experiment numbers `from`..`to`. */
export interface ChartSeries {
  from: number;
  to: number;
  /** Every scored run, clamped to the range; runs without a score are bridged linearly. */
  runs: number[];
  /** The best kept score so far (a step at each keep). */
  best: number[];
  /** True when there were more experiments than samples. */
  resampled: boolean;
}

/**
 * A Mermaid xychart-beta GitHub renders itself: every scored run (grey) and the best kept so far
 * (green) over a robust y-range, with a caption naming the colours and any run off the scale.
 */
export function renderChart(view: LedgerView): string {
  const data = chartData(view);
  if (!data) return "";
  const s = chartSeries(data);
  const count = s.to - s.from + 1;
  const xAxis =
    count <= MAX_CATEGORY_LABELS
      ? `[${s.runs.map((_, i) => `"${s.from + i}"`).join(", ")}]`
      : `${s.from} --> ${s.to}`;
  const direction = data.goal === "minimize" ? "lower is better" : "higher is better";
  return [
    "```mermaid",
    `%%{init: ${JSON.stringify(INIT)}}%%`,
    "xychart-beta",
    `  title "${quoteSafe(view.metric)} per experiment"`,
    `  x-axis "experiment" ${xAxis}`,
    `  y-axis "${quoteSafe(view.metric)} (${direction})" ${plainNumber(data.lo)} --> ${plainNumber(data.hi)}`,
    `  line "every run" [${s.runs.map(plainNumber).join(", ")}]`,
    `  line "best so far" [${s.best.map(plainNumber).join(", ")}]`,
    "```",
    "",
    renderChartCaption(data, s),
  ].join("\n");
}

/** The line under the chart: which colour is which, what is missing, what is off the scale. */
export function renderChartCaption(
  data: ChartData,
  s: Pick<ChartSeries, "resampled" | "from" | "to">,
): string {
  const parts = [
    `Grey: every scored run${s.resampled ? ` (resampled to ${MAX_CHART_POINTS} points)` : ""}; green: the best kept so far.`,
  ];
  // Every experiment in range without a score is bridged: a crash or a timeout, and a duplicate
  // or no_change (not a run of its own), so the caption names them all.
  const scored = new Set(data.points.filter((p) => p.score !== null).map((p) => p.iteration));
  const bridged: string[] = [];
  for (let i = s.from; i <= s.to; i++) if (!scored.has(i)) bridged.push(`#${i}`);
  if (bridged.length > 0) {
    const named =
      bridged.length > 5
        ? `${bridged.slice(0, 5).join(", ")} and ${bridged.length - 5} more`
        : bridged.join(", ");
    parts.push(
      `The grey line bridges ${named}, without a score of ${bridged.length === 1 ? "its" : "their"} own (crash, timeout, duplicate, no change).`,
    );
  }
  const above = data.offScale.filter((p) => p.score! > data.hi);
  const below = data.offScale.filter((p) => p.score! < data.lo);
  if (above.length > 0) parts.push(`Off the scale, drawn at the top edge: ${nameOffScale(above)}.`);
  if (below.length > 0)
    parts.push(`Off the scale, drawn at the bottom edge: ${nameOffScale(below)}.`);
  const ahead = nameAhead(data.points);
  if (ahead) parts.push(ahead);
  return `<sub>${parts.join(" ")}</sub>`;
}

/** Samples both lines at evenly spaced experiment numbers, as Mermaid spaces a line's values. */
export function chartSeries(data: ChartData, max = MAX_CHART_POINTS): ChartSeries {
  const scored = data.points.filter((p) => p.score !== null);
  const from = scored[0]!.iteration;
  const to = scored.at(-1)!.iteration;
  const n = Math.min(to - from + 1, max);
  const clamp = (v: number) => Math.min(data.hi, Math.max(data.lo, v));
  const runs: number[] = [];
  const best: number[] = [];
  let j = 0; // scored[j] is the last scored run at or before t
  let k = 0; // data.points[k] is the last run at or before t
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? from : from + ((to - from) * i) / (n - 1);
    while (j + 1 < scored.length && scored[j + 1]!.iteration <= t) j++;
    while (k + 1 < data.points.length && data.points[k + 1]!.iteration <= t) k++;
    const a = scored[j]!;
    const b = scored[Math.min(j + 1, scored.length - 1)]!;
    const [va, vb] = [clamp(a.score!), clamp(b.score!)];
    const w = b.iteration === a.iteration ? 0 : (t - a.iteration) / (b.iteration - a.iteration);
    runs.push(va + (vb - va) * w);
    best.push(clamp(data.points[k]!.best ?? va));
  }
  return { from, to, runs, best, resampled: n < to - from + 1 };
}

/** Mermaid's strings end at the first double quote and cannot escape one. */
function quoteSafe(text: string): string {
  return text.replace(/["\r\n]/g, "'");
}
