/** One metric as a run printed it over and over: its values, and where each was printed. */
export interface CurveSeries {
  name: string;
  /** What `xs` counts: the line's own step (`step`, `iter`, `epoch`...) or, without one, `line`. */
  x: string;
  xs: number[];
  ys: number[];
}

/** A name printed fewer times than this is a summary line, not a curve. */
export const MIN_POINTS = 5;
/** Lines longer than this are not progress lines (a dumped tensor, a minified blob). */
const MAX_LINE = 2000;
/** Names tracked per log: a log that prints thousands of distinct names is not a curve. */
const MAX_NAMES = 64;
/** Points per series: a flood of prints still parses in bounded memory. */
const MAX_POINTS = 200_000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape byte is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;
const NAME = String.raw`[A-Za-z_][\w./-]{0,39}`;
// 12,345 (tok/sec) before plain numbers, so the comma is read as a thousands separator.
const NUMBER = String.raw`[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|NaN|inf|Inf|infinity|Infinity)`;
const UNIT = "(?:%|[A-Za-zµ]{1,3}(?:/[A-Za-z]{1,3})?)?";
// `loss: 3.45`, `loss=3.45`, `'loss': 3.45` (a Python dict), `"loss": 3.45` (JSON), anywhere in a
// line; `time=00:01:23` is not a number.
const PAIR = new RegExp(
  String.raw`(?<![\w./-])['"]?(${NAME})['"]?\s*[:=]\s*(${NUMBER})${UNIT}(?![\w.:])`,
  "g",
);
// nanoGPT's `iter 100: loss 2.3456, time 12.3ms` and karpathy's `step 00100 (12.3%)`: a segment
// that is only a name (up to three words) and a number, a unit, a note in parentheses.
const SPACED = new RegExp(
  String.raw`^(${NAME}(?:\s+${NAME}){0,2})\s+(${NUMBER})${UNIT}\s*(?:\([^()]*\))?$`,
);
const SEGMENTS = /[|;\t]|,(?!\d{3}(?!\d))|:\s+(?=[A-Za-z_])/;
const FRAME = /^(?:File "|at\s+\S+\s+\()/;
const X_NAMES = new Set([
  "step",
  "steps",
  "iter",
  "iters",
  "iteration",
  "it",
  "epoch",
  "global_step",
  "update",
  "round",
]);

/**
 * The metrics a run printed repeatedly (a training curve): every `name: value`, `name=value` and
 * `name value` pair on every line (progress bars' carriage returns split lines), grouped by name,
 * each point placed at the line's step when the line prints one (`step`, `iter`, `epoch`, the
 * first of them), else at the count of metric lines so far. Names printed fewer than MIN_POINTS
 * times, or always with the same value, are left out. Never throws on odd bytes.
 */
export function parseCurves(text: string): CurveSeries[] {
  const points = new Map<string, { axis: string; x: number; y: number }[]>();
  let ordinal = 0;
  for (const raw of text.replace(ANSI, "").split(/\r\n|\r|\n/)) {
    if (raw.length > MAX_LINE) continue;
    const line = raw.trim();
    // A traceback's frames (`File "x.py", line 50, in f`) repeat, but are not a curve.
    if (line === "" || FRAME.test(line)) continue;
    const pairs = pairsOf(line);
    if (pairs.length === 0) continue;
    ordinal++;
    const xPair = pairs.find((p) => X_NAMES.has(p.name.toLowerCase()));
    const axis = xPair ? xPair.name.toLowerCase() : "line";
    const x = xPair ? xPair.value : ordinal;
    for (const p of pairs) {
      // `line` is the axis of lines without a step, never a metric.
      if (p === xPair || p.name === "line") continue;
      let list = points.get(p.name);
      if (!list) {
        if (points.size >= MAX_NAMES) continue;
        list = [];
        points.set(p.name, list);
      }
      if (list.length < MAX_POINTS) list.push({ axis, x, y: p.value });
    }
  }
  const series: CurveSeries[] = [];
  for (const [name, list] of points) {
    // The axis most of its points have: a stray line printing the name without a step is dropped.
    const counts = new Map<string, number>();
    for (const p of list) counts.set(p.axis, (counts.get(p.axis) ?? 0) + 1);
    const axis = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const kept = list.filter((p) => p.axis === axis);
    if (kept.length < MIN_POINTS || kept.every((p) => Object.is(p.y, kept[0]!.y))) continue;
    series.push({ name, x: axis, xs: kept.map((p) => p.x), ys: kept.map((p) => p.y) });
  }
  return series;
}

/** The name/value pairs of one line, in the order they appear. */
function pairsOf(line: string): { name: string; value: number; at: number }[] {
  const out: { name: string; value: number; at: number }[] = [];
  for (const m of line.matchAll(PAIR))
    out.push({ name: m[1]!, value: toNumber(m[2]!), at: m.index });
  let at = 0;
  for (const segment of line.split(SEGMENTS)) {
    const trimmed = segment.trim();
    if (trimmed !== "" && !/[:=]/.test(trimmed)) {
      const m = SPACED.exec(trimmed);
      if (m) out.push({ name: m[1]!.replace(/\s+/g, " "), value: toNumber(m[2]!), at });
    }
    at += segment.length + 1;
  }
  return out.sort((a, b) => a.at - b.at);
}

function toNumber(text: string): number {
  const t = text.toLowerCase().replace(/^\+/, "").replace(/,/g, "");
  if (t === "nan" || t === "-nan") return Number.NaN;
  if (t === "inf" || t === "infinity") return Number.POSITIVE_INFINITY;
  if (t === "-inf" || t === "-infinity") return Number.NEGATIVE_INFINITY;
  return Number(t);
}
