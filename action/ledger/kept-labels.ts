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
  /** The point, and where the text starts (or ends, `anchor: "end"`). */
  px: number;
  py: number;
  ax: number;
  ay: number;
  text: string;
  /** Degrees, as SVG's rotate() takes them: 0 for a label laid flat. */
  angle: number;
  anchor: "start" | "end";
  /** Slid off its place by a crowded neighbour: a thin leader ties it to its point. */
  leader: boolean;
}

/** A slanted label with room for fewer characters than this (and than its text) is laid flat. */
const MIN_SLANTED = 20;
/** The fewest characters a label is cut to before it is left out. */
const MIN_CUT = 12;
/** Where an agent's description names the edit: " (train.js:9)"; the first thing cut. */
const LOCATION = /\s+\([^()]*:\d+\)$/;

/** The description in at most `max` characters: its trailing location goes first, then its end. */
export function fitLabel(description: string, max: number): string {
  const whole = truncate(description, Number.MAX_SAFE_INTEGER);
  if (Array.from(whole).length <= max) return whole;
  return truncate(whole.replace(LOCATION, ""), max);
}

/** The kept runs to label: all of them, or the MAX_LABELS that moved the running best most. */
export function chooseLabelled(kept: readonly ChartPoint[]): ChartPoint[] {
  if (kept.length <= MAX_LABELS) return [...kept];
  // Each keep's move against the keep before it in the record (a keep recorded ahead of
  // experiments begun before it was kept before them).
  const decided = [...kept].sort((a, b) => a.place - b.place);
  const gain = (p: ChartPoint, i: number) => {
    const before = i > 0 ? decided[i - 1]!.score : null;
    return before === null || p.score === null ? Infinity : Math.abs(p.score - before);
  };
  const chosen = new Set(
    decided
      .map((p, i) => ({ p, g: gain(p, i) }))
      .sort((a, b) => b.g - a.g || a.p.iteration - b.p.iteration)
      .slice(0, MAX_LABELS)
      .map((e) => e.p),
  );
  return kept.filter((p) => chosen.has(p));
}

/** Where a label's text may go: the plot's top, right, bottom and left edges (SVG units). */
export interface LabelBox {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** Tries, in label bands, off a crowded label's place: away from the trend first. */
const SLIDES = [0, 1, -1, 2, -2, 3, -3, 4, 5, 6];
const FLAT_SLIDES = [0, 1, 2, 3, 4];

/**
 * Labels slanted away from the trend, as in progress.png: up and to the right when lower is
 * better. A point too near the edge for a slanted label (the last keeps of a night, a baseline on
 * the axis) gets one laid flat on the empty side of the running best (under it when lower is
 * better: nothing is drawn there), running left, or right where there is more room. A label that
 * would cover one already placed slides across its slant (or further into that empty side), and a
 * thin leader ties it to its point; one that finds no free place on the page is left out (its
 * point stays, and the kept table names it). Text that would leave `box` is shortened, its
 * location first.
 */
export function placeKeptLabels(
  kept: readonly ChartPoint[],
  at: (p: ChartPoint) => { x: number; y: number },
  goal: Goal,
  box: LabelBox,
): KeptLabel[] {
  const angle = goal === "minimize" ? -30 : 30;
  const placed: Quad[] = [];
  const labels: KeptLabel[] = [];
  for (const p of kept) {
    const { x, y } = at(p);
    const wanted = Array.from(fitLabel(p.description, LABEL_CHARS)).length;
    const least = Math.min(wanted, MIN_SLANTED);
    const slants = SLIDES.map((k) => ({ t: slanted(p.description, x, y, angle, k, box), least }));
    const flats = FLAT_SLIDES.map((k) => ({ t: flat(p.description, x, y, goal, k, box), least }));
    // Slanted; flat first where the page's edge leaves no room to slant; else slanted, cut short.
    const edge = Array.from(slants[0]!.t?.text ?? "").length < least;
    const tries = [
      ...(edge ? [...flats, ...slants] : [...slants, ...flats]),
      ...slants.map(({ t }) => ({ t, least: Math.min(wanted, MIN_CUT) })),
    ];
    const fits = tries.find(
      ({ t, least }) =>
        t !== null &&
        Array.from(t.text).length >= least &&
        inside(t.quad, box) &&
        !placed.some((q) => overlap(q, t.quad)),
    )?.t;
    if (!fits) continue;
    placed.push(fits.quad);
    labels.push(fits.label);
  }
  return labels;
}

/** Four corners, in order round the rectangle a label's glyphs fill. */
type Quad = readonly (readonly [number, number])[];
type Try = { label: KeptLabel; quad: Quad; text: string } | null;

/** A slanted label slid `k` bands across its slant, its text as long as the page allows there. */
function slanted(
  description: string,
  x: number,
  y: number,
  angle: number,
  k: number,
  box: LabelBox,
): Try {
  const rad = (angle * Math.PI) / 180;
  const u = [Math.cos(rad), Math.sin(rad)] as const; // along the text
  const n = [Math.sin(rad), -Math.cos(rad)] as const; // towards the top of the glyphs
  const ax = x + 7 + k * LABEL_BAND * n[0];
  const ay = (angle < 0 ? y - 7 : y + 14) + k * LABEL_BAND * n[1];
  const room = Math.min(
    (box.right - ax) / u[0],
    u[1] < 0 ? (ay - box.top) / -u[1] : (box.bottom - ay) / u[1],
  );
  const chars = Math.min(LABEL_CHARS, Math.floor(room / CHAR_W));
  if (chars < 1) return null;
  const text = fitLabel(description, chars);
  const label = { px: x, py: y, ax, ay, text, angle, anchor: "start", leader: k !== 0 } as const;
  return { label, quad: quadOf(label), text };
}

/** A label laid flat `k` bands off its point, on the running best's empty side. */
function flat(
  description: string,
  x: number,
  y: number,
  goal: Goal,
  k: number,
  box: LabelBox,
): Try {
  const away = goal === "minimize" ? 1 : -1;
  const [left, right] = [x - 9 - box.left, box.right - x - 9];
  const wanted = Array.from(fitLabel(description, LABEL_CHARS)).length * CHAR_W;
  const anchor = left >= wanted || left >= right ? "end" : "start";
  const chars = Math.min(LABEL_CHARS, Math.floor((anchor === "end" ? left : right) / CHAR_W));
  if (chars < 1) return null;
  const text = fitLabel(description, chars);
  const ay = (away > 0 ? y + 17 : y - 9) + away * k * LABEL_BAND;
  const ax = anchor === "end" ? x - 9 : x + 9;
  const label = { px: x, py: y, ax, ay, text, angle: 0, anchor, leader: k !== 0 } as const;
  return { label, quad: quadOf(label), text };
}

/** The rectangle a label's glyphs fill (CHAR_W a character, ascent and descent of LABEL_SIZE). */
function quadOf(l: KeptLabel): Quad {
  const rad = (l.angle * Math.PI) / 180;
  const u = [Math.cos(rad), Math.sin(rad)];
  const n = [Math.sin(rad), -Math.cos(rad)];
  const len = Array.from(l.text).length * CHAR_W;
  const [from, to] = l.anchor === "end" ? [-len, 0] : [0, len];
  const [down, up] = [-0.3 * LABEL_SIZE, 0.9 * LABEL_SIZE];
  return [
    [from, down],
    [to, down],
    [to, up],
    [from, up],
  ].map(([a, b]) => [l.ax + a! * u[0]! + b! * n[0]!, l.ay + a! * u[1]! + b! * n[1]!] as const);
}

function inside(q: Quad, box: LabelBox): boolean {
  return q.every(([x, y]) => x >= box.left && x <= box.right && y >= box.top && y <= box.bottom);
}

/** Whether two rectangles overlap (separating axes: each one's two edge directions). */
function overlap(a: Quad, b: Quad): boolean {
  const axes = [a, b].flatMap((q) =>
    [0, 1].map((i) => [q[i + 1]![0] - q[i]![0], q[i + 1]![1] - q[i]![1]] as const),
  );
  return axes.every(([ax, ay]) => {
    const pa = a.map(([x, y]) => x * ax + y * ay);
    const pb = b.map(([x, y]) => x * ax + y * ay);
    return Math.max(...pa) > Math.min(...pb) && Math.max(...pb) > Math.min(...pa);
  });
}

/** A label, with a white halo so it reads over grey points, and its leader when it was slid. */
export function renderKeptLabel(l: KeptLabel): string {
  const leader = l.leader
    ? `${svgLine(l.px, l.py, l.ax, l.ay, C.best, 0.75, 'stroke-opacity="0.6"')}\n`
    : "";
  const turn = l.angle === 0 ? "" : ` transform="rotate(${l.angle} ${px(l.ax)} ${px(l.ay)})"`;
  const end = l.anchor === "end" ? ' text-anchor="end"' : "";
  const style = `stroke="${C.background}" stroke-width="3" paint-order="stroke"${turn}${end}`;
  return `${leader}${svgText(l.ax, l.ay, l.text, LABEL_SIZE, C.best, style)}`;
}
