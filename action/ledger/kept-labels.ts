import { CHART_COLORS as C, type ChartPoint } from "./chart-points.ts";
import { px, svgLine, svgText, truncate } from "./svg-elements.ts";
import type { Goal } from "./types.ts";

/** Kept runs labelled at most; past this, those that moved the running best most are. */
export const MAX_LABELS = 30;
const LABEL_CHARS = 42;
const LABEL_SIZE = 11;
/** Rough advance of one character at LABEL_SIZE: enough to keep labels apart and on the page. */
const CHAR_W = 6.1;
/** The band a label needs across its baseline: ascent, descent and a gap. */
const LABEL_BAND = 14;

export interface KeptLabel {
  /** The point, and where the text starts (slid off the point when crowded). */
  px: number;
  py: number;
  ax: number;
  ay: number;
  text: string;
  /** Degrees, as SVG's rotate() takes them. */
  angle: number;
}

/** The kept runs to label: all of them, or the MAX_LABELS that moved the running best most. */
export function chooseLabelled(kept: readonly ChartPoint[]): ChartPoint[] {
  if (kept.length <= MAX_LABELS) return [...kept];
  const gain = (p: ChartPoint, i: number) => {
    const before = i > 0 ? kept[i - 1]!.score : null;
    return before === null || p.score === null ? Infinity : Math.abs(p.score - before);
  };
  const chosen = new Set(
    kept
      .map((p, i) => ({ p, g: gain(p, i) }))
      .sort((a, b) => b.g - a.g || a.p.iteration - b.p.iteration)
      .slice(0, MAX_LABELS)
      .map((e) => e.p),
  );
  return kept.filter((p) => chosen.has(p));
}

/**
 * Labels slanted away from the trend, as in progress.png: up and to the right when lower is
 * better. The labels are parallel, so two collide when their bands across the slant overlap and
 * so do their extents along it; a crowded label slides across the slant, away from the earlier
 * one, and a thin leader ties it to its point. Text that would leave `box` is shortened.
 */
export function placeKeptLabels(
  kept: readonly ChartPoint[],
  at: (p: ChartPoint) => { x: number; y: number },
  goal: Goal,
  box: { top: number; right: number; bottom: number },
): KeptLabel[] {
  const angle = goal === "minimize" ? -30 : 30;
  const rad = (angle * Math.PI) / 180;
  const u = [Math.cos(rad), Math.sin(rad)] as const; // along the text
  const n = [Math.sin(rad), -Math.cos(rad)] as const; // towards the top of the glyphs
  const placed: (KeptLabel & { s: number; len: number; d: number })[] = [];
  for (const p of kept) {
    const { x, y } = at(p);
    const [ax, ay] = [x + 7, goal === "minimize" ? y - 7 : y + 14];
    const room = Math.min(
      (box.right - ax) / u[0],
      u[1] < 0 ? (ay - box.top) / -u[1] : (box.bottom - ay) / u[1],
    );
    const label = truncate(
      p.description,
      Math.max(12, Math.min(LABEL_CHARS, Math.floor(room / CHAR_W))),
    );
    const len = Array.from(label).length * CHAR_W;
    const s = ax * u[0] + ay * u[1];
    const d0 = ax * n[0] + ay * n[1];
    let d = d0;
    for (let pass = 0; pass <= placed.length; pass++) {
      const hit = placed.find(
        (q) => Math.abs(q.d - d) < LABEL_BAND && s < q.s + q.len && q.s < s + len,
      );
      if (!hit) break;
      d = d >= hit.d ? hit.d + LABEL_BAND : hit.d - LABEL_BAND;
    }
    placed.push({
      px: x,
      py: y,
      ax: ax + (d - d0) * n[0],
      ay: ay + (d - d0) * n[1],
      text: label,
      angle,
      s,
      len,
      d,
    });
  }
  return placed.map(({ s: _s, len: _len, d: _d, ...label }) => label);
}

/** A label, with a white halo so it reads over grey points, and its leader when it was slid. */
export function renderKeptLabel(l: KeptLabel): string {
  const moved = Math.hypot(l.ax - l.px, l.ay - l.py) > 12;
  const leader = moved
    ? `${svgLine(l.px, l.py, l.ax, l.ay, C.best, 0.75, 'stroke-opacity="0.6"')}\n`
    : "";
  const style = `stroke="${C.background}" stroke-width="3" paint-order="stroke" transform="rotate(${l.angle} ${px(l.ax)} ${px(l.ay)})"`;
  return `${leader}${svgText(l.ax, l.ay, l.text, LABEL_SIZE, C.best, style)}`;
}
