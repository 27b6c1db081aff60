import {
  CHART_COLORS as C,
  type ChartData,
  type ChartPoint,
  chartData,
  nameAhead,
  nameOffScale,
  plainNumber,
} from "./chart-points.ts";
import { formatPercent, formatScore } from "./format-score.ts";
import { chooseLabelled, placeKeptLabels, renderKeptLabel } from "./kept-labels.ts";
import { niceTicks, tickDecimals } from "./nice-ticks.ts";
import { experimentsText, nightFigures } from "./night-figures.ts";
import type { LedgerView } from "./summarize.ts";
import {
  escapeXml,
  px,
  svgCross,
  svgDot,
  svgGroup,
  svgLine,
  svgText,
  svgTriangle,
} from "./svg-elements.ts";

const W = 1200;
const H = 660;
const PLOT = { left: 84, right: 1164, top: 96, bottom: 586 };
const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";
export const MAX_X_TICKS = 12;
const MAX_Y_TICKS = 8;

type Scale = (v: number) => number;

/**
 * progress.svg in the manner of karpathy/autoresearch's progress.png: every run a point (grey
 * discarded, red × failed), kept runs green and labelled with their description, the running
 * best a step line, over the same robust y-range as the Mermaid chart (runs beyond it sit on
 * the edge as a triangle, named). A standalone SVG file; pure and deterministic.
 */
export function renderProgressSvg(view: LedgerView): string {
  const title = `${view.title}: ${view.metric} ${headline(view)}`;
  const data = chartData(view);
  const body = data
    ? renderPlot(data, view)
    : [svgText(PLOT.left, 200, "Fewer than two scored runs: nothing to plot yet.", 16, C.muted)];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" font-family="${FONT}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="${C.background}"/>`,
    svgText(PLOT.left, 34, title, 20, C.text, 'font-weight="600"'),
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function renderPlot(data: ChartData, view: LedgerView): string[] {
  const iterations = data.points.map((p) => p.iteration);
  const [first, last] = [Math.min(...iterations), Math.max(...iterations)];
  const pad = Math.max(0.5, (last - first) * 0.01);
  const x: Scale = (i) =>
    PLOT.left + ((i - first + pad) / (last - first + 2 * pad)) * (PLOT.right - PLOT.left);
  const y: Scale = (v) =>
    PLOT.top +
    ((data.hi - Math.min(data.hi, Math.max(data.lo, v))) / (data.hi - data.lo)) *
      (PLOT.bottom - PLOT.top);
  const of = (kind: ChartPoint["kind"]) => data.points.filter((p) => p.kind === kind);
  const [kept, discarded, failed] = [of("kept"), of("discarded"), of("failed")];
  // An off-scale run is drawn once, as its triangle on the edge.
  const onScale = (p: ChartPoint) => !data.offScale.includes(p);
  const direction = data.goal === "minimize" ? "lower" : "higher";
  const figures = nightFigures(view);
  const note = footnote(data);
  const labels = placeKeptLabels(
    chooseLabelled(kept),
    (p) => ({ x: x(p.iteration), y: y(p.score!) }),
    data.goal,
    { top: 70, right: W - 6, bottom: PLOT.bottom - 2, left: PLOT.left + 4 },
  );
  return [
    svgText(
      PLOT.left,
      60,
      `${experimentsText(figures.experiments)} · ${figures.kept} kept · ${failed.length} failed · ${direction} is better`,
      14,
      C.muted,
    ),
    // The baseline is drawn as a kept point, but it is not a kept experiment (night-figures.ts).
    svgGroup("legend", legend(figures.kept, discarded.length, failed.length, data)),
    ...axes(data, first, last, x, y),
    svgGroup("running-best", [stepLine(data.points, x, y, last)]),
    // Labels before the runs: a label's halo (its white outline, which keeps it readable over the
    // line) hid the discarded runs under it; every run is drawn over the labels.
    svgGroup("labels", labels.map(renderKeptLabel)),
    svgGroup(
      "discarded",
      discarded
        .filter(onScale)
        .flatMap((p) =>
          p.score === null
            ? []
            : [svgDot(x(p.iteration), y(p.score), 3.5, C.run, 'fill-opacity="0.75"')],
        ),
    ),
    // A failure without a score sits just above the x-axis, where nothing else is drawn.
    svgGroup(
      "failed",
      failed
        .filter(onScale)
        .map((p) => svgCross(x(p.iteration), p.score === null ? PLOT.bottom - 8 : y(p.score))),
    ),
    svgGroup(
      "off-scale",
      data.offScale.flatMap((p) => offScaleMark(p, x(p.iteration), data)),
    ),
    svgGroup(
      "kept",
      kept.map((p) => svgDot(x(p.iteration), y(p.score!), 5.5, C.kept, 'stroke="#ffffff"')),
    ),
    note ? svgText(PLOT.left, H - 14, note, 13, C.muted) : "",
  ].filter(Boolean);
}

/** What the plot cannot show by itself: runs off the scale, keeps recorded ahead. */
function footnote(data: ChartData): string {
  const off =
    data.offScale.length > 0
      ? `Off the scale, drawn at the edge: ${nameOffScale(data.offScale)}.`
      : "";
  return [off, nameAhead(data.points)].filter(Boolean).join(" ");
}

function headline(view: LedgerView): string {
  const { baseline, best, changePercent: pct } = nightFigures(view);
  if (baseline === null) return "(no baseline yet)";
  if (best === null) return `baseline ${formatScore(baseline)}`;
  return `baseline ${formatScore(baseline)} → best ${formatScore(best)}${formatPercent(pct)}`;
}

function axes(data: ChartData, first: number, last: number, x: Scale, y: Scale): string[] {
  const yTicks = niceTicks(data.lo, data.hi, MAX_Y_TICKS);
  const digits = tickDecimals(yTicks);
  const xTicks = niceTicks(first, last, MAX_X_TICKS, 1);
  const cy = (PLOT.top + PLOT.bottom) / 2;
  return [
    svgGroup(
      "y-axis",
      yTicks.flatMap((v) => [
        svgLine(PLOT.left, y(v), PLOT.right, y(v), C.grid, 1),
        svgText(PLOT.left - 8, y(v) + 4, v.toFixed(digits), 12, C.muted, 'text-anchor="end"'),
      ]),
    ),
    svgGroup(
      "x-axis",
      xTicks.flatMap((i) => [
        svgLine(x(i), PLOT.bottom, x(i), PLOT.bottom + 5, C.muted, 1),
        svgText(x(i), PLOT.bottom + 20, String(i), 12, C.muted, 'text-anchor="middle"'),
      ]),
    ),
    svgGroup("frame", [
      svgLine(PLOT.left, PLOT.top, PLOT.left, PLOT.bottom, C.muted, 1),
      svgLine(PLOT.left, PLOT.bottom, PLOT.right, PLOT.bottom, C.muted, 1),
      svgText(
        (PLOT.left + PLOT.right) / 2,
        PLOT.bottom + 44,
        "experiment",
        13,
        C.muted,
        'text-anchor="middle"',
      ),
      svgText(
        22,
        cy,
        data.metric,
        13,
        C.muted,
        `text-anchor="middle" transform="rotate(-90 22 ${px(cy)})"`,
      ),
    ]),
  ];
}

function legend(kept: number, discarded: number, failed: number, off: ChartData): string[] {
  const items: [string, (cx: number, cy: number) => string][] = [
    [`discarded (${discarded})`, (cx, cy) => svgDot(cx, cy, 4, C.run)],
    [`kept (${kept}) and baseline`, (cx, cy) => svgDot(cx, cy, 5.5, C.kept, 'stroke="#ffffff"')],
    ["running best", (cx, cy) => svgLine(cx - 9, cy, cx + 9, cy, C.best, 2.5)],
    [`failed (${failed})`, (cx, cy) => svgCross(cx, cy)],
  ];
  const offScale = off.offScale.length;
  const up = off.offScale.some((p) => p.score! > off.hi);
  if (offScale > 0)
    items.push([`off the scale (${offScale})`, (cx, cy) => svgTriangle(cx, cy, up ? -1 : 1)]);
  const out: string[] = [];
  let cx = PLOT.right;
  // Right-aligned: laid out from the last item leftwards, with an estimate of each label's width.
  for (const [label, mark] of items.reverse()) {
    cx -= label.length * 7 + 34;
    out.push(mark(cx + 10, 56), svgText(cx + 24, 61, label, 13, C.text));
  }
  return out;
}

/** The best kept so far as a step: flat until a keep, then straight down (or up) to it. */
function stepLine(points: readonly ChartPoint[], x: Scale, y: Scale, last: number): string {
  let d = "";
  let prev: number | null = null;
  for (const p of points) {
    if (p.best === null || p.best === prev) continue;
    d +=
      prev === null
        ? `M${px(x(p.iteration))},${px(y(p.best))}`
        : `H${px(x(p.iteration))}V${px(y(p.best))}`;
    prev = p.best;
  }
  return d
    ? `<path d="${d}H${px(x(last))}" fill="none" stroke="${C.best}" stroke-width="2.5" stroke-linejoin="round"/>`
    : "";
}

function offScaleMark(p: ChartPoint, cx: number, data: ChartData): string[] {
  const above = p.score! > data.hi;
  const cy = above ? PLOT.top + 6 : PLOT.bottom - 6;
  return [
    svgTriangle(cx, cy, above ? -1 : 1),
    svgText(cx + 8, cy + 4, `#${p.iteration}: ${plainNumber(p.score!)}`, 11, C.muted),
  ];
}
