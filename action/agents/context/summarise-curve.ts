import { fmt } from "./fmt.ts";
import type { CurveSeries } from "./parse-curves.ts";

/** A curve in a few figures: where it started, its quartiles, where it ended, its low, its shape. */
export interface CurveSummary {
  name: string;
  /** What x counts (`step`, `iter`, `epoch`, or `line` when the run printed no step). */
  x: string;
  count: number;
  /** Start, the quartiles and the end (by position in the series). */
  points: { x: number; y: number }[];
  /** The lowest finite value and where it was first reached; null when none was finite. */
  min: { x: number; y: number } | null;
  /** In plain words: "falling, flat from step 140 (10% in)", "diverged at step 1200 (NaN)". */
  shape: string;
}

/** Windows of smoothing per series: enough to see a trend through step-to-step noise. */
const WINDOWS = 20;
/** Within this share of its whole range of the final level, a curve is flat. */
const BAND = 0.05;

/** Summarises one series for a prompt: a handful of points, its minimum, and its shape. */
export function summariseCurve(series: CurveSeries): CurveSummary {
  const { xs, ys } = series;
  const n = ys.length;
  const points = [0, 0.25, 0.5, 0.75, 1].map((q) => {
    const i = Math.round(q * (n - 1));
    return { x: xs[i]!, y: ys[i]! };
  });
  let min: { x: number; y: number } | null = null;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(ys[i]) && (min === null || ys[i]! < min.y)) min = { x: xs[i]!, y: ys[i]! };
  }
  const bad = ys.findIndex((y) => !Number.isFinite(y));
  const finite = bad < 0 ? n : bad;
  const before = describeShape(xs.slice(0, finite), ys.slice(0, finite), series.x);
  const shape =
    bad < 0
      ? before
      : [
          `diverged at ${series.x} ${fmtX(xs[bad]!)} (${ys[bad]})`,
          before ? `before that: ${before}` : "",
        ]
          .filter(Boolean)
          .join("; ");
  return { name: series.name, x: series.x, count: n, points, min, shape };
}

/** The shape of a finite series in words, judged on a smoothed copy so noise is not a trend. */
function describeShape(xs: readonly number[], ys: readonly number[], xName: string): string {
  const n = ys.length;
  if (n < 3) return "";
  const s = smooth(ys, Math.max(1, Math.round(n / WINDOWS)));
  let lo = 0;
  let hi = 0;
  for (let i = 1; i < n; i++) {
    if (s[i]! < s[lo]!) lo = i;
    if (s[i]! > s[hi]!) hi = i;
  }
  const range = s[hi]! - s[lo]!;
  const first = s[0]!;
  const last = s[n - 1]!;
  // Step-to-step noise (the median jump), as it is left after smoothing.
  const window = Math.max(1, Math.round(n / WINDOWS));
  const noise =
    (median(ys.slice(1).map((y, i) => Math.abs(y - ys[i]!))) * 1.05) / Math.sqrt(window);
  if (range <= 1e-12 * Math.max(1, Math.abs(first)) || range < 6 * noise) {
    return "flat throughout (moves within its noise)";
  }
  const span = xs[n - 1]! - xs[0]!;
  const at = (i: number) =>
    `${xName} ${fmtX(xs[i]!)}${span > 0 ? ` (${Math.round((100 * (xs[i]! - xs[0]!)) / span)}% in)` : ""}`;
  // A falling curve (a loss) or a rising one (an accuracy), by which way it first moved far: a
  // loss that fell, then rose past its start, is a loss that diverged, not a rising curve.
  const far = s.findIndex((y) => Math.abs(y - first) > 0.25 * range);
  const falling = s[far]! < first;
  const [verb, moving, extreme, best] = falling
    ? (["fell", "falling", "lowest", lo] as const)
    : (["rose", "rising", "highest", hi] as const);
  const gain = Math.abs(first - s[best]!);
  const givenBack = Math.abs(last - s[best]!);
  if (givenBack > 0.2 * gain && best < n - 1) {
    const crossed = falling ? last > first : last < first;
    return crossed
      ? `diverged after ${at(best)}: ${verb} to its ${extreme} there, then went back past where it started`
      : `${verb} to its ${extreme} at ${at(best)}, then went back ${Math.round((100 * givenBack) / gain)}% of the way`;
  }
  const band = BAND * range;
  const late = s[Math.floor(0.8 * (n - 1))]!;
  if (Math.abs(late - last) > band && (falling ? last < late : last > late)) {
    return `still ${moving} at the end`;
  }
  let flat = n - 1;
  while (flat > 0 && Math.abs(s[flat - 1]! - last) <= band) flat--;
  return `${moving}, flat from ${at(flat)}`;
}

/** A centred moving mean over `window` points (shorter at the ends). */
function smooth(ys: readonly number[], window: number): number[] {
  const half = Math.floor(window / 2);
  const prefix = [0];
  for (const y of ys) prefix.push(prefix.at(-1)! + y);
  return ys.map((_, i) => {
    const a = Math.max(0, i - half);
    const b = Math.min(ys.length, i + half + 1);
    return (prefix[b]! - prefix[a]!) / (b - a);
  });
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** An x as the prompt shows it: a step as an integer, an epoch as a short decimal. */
export function fmtX(x: number): string {
  return Number.isInteger(x) ? String(x) : fmt(x);
}
