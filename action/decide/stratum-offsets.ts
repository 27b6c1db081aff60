import type { StrataSamples } from "./strata.ts";

/**
 * How much each stratum (device kind or worker) reads above the others on the same code, from
 * every experiment measured on two or more strata (the incumbents, whose pairs ran on several
 * workers): the additive model mean(code, stratum) = level(code) + offset(stratum), fitted by
 * weighted alternating means. Offsets are relative (they average 0 over the strata fitted); a
 * stratum no code connects to the others is absent. Used only to screen a candidate's first run
 * on a worker where the incumbent has no runs yet (evaluate.ts): an error here costs runs or
 * power, never a keep, which pairs decide. Pure.
 */
export function stratumOffsets(
  current: ReadonlyMap<number, StrataSamples>,
  metrics: readonly string[],
): Record<string, Record<string, number>> {
  return Object.fromEntries(metrics.map((m) => [m, offsetsOf(current, m)]));
}

function offsetsOf(
  current: ReadonlyMap<number, StrataSamples>,
  metric: string,
): Record<string, number> {
  const cells = linkingCells(current, metric).flatMap(({ code, strata }) =>
    strata.map(({ stratum, values }) => ({
      code,
      stratum,
      mean: values.reduce((a, b) => a + b, 0) / values.length,
      n: values.length,
    })),
  );
  if (cells.length === 0) return {};
  const offset = new Map<string, number>(cells.map((c) => [c.stratum, 0]));
  const level = new Map<number, number>();
  for (let round = 0; round < 50; round++) {
    const byCode = new Map<number, { sum: number; n: number }>();
    for (const c of cells) {
      const a = byCode.get(c.code) ?? { sum: 0, n: 0 };
      a.sum += c.n * (c.mean - offset.get(c.stratum)!);
      a.n += c.n;
      byCode.set(c.code, a);
    }
    for (const [code, a] of byCode) level.set(code, a.sum / a.n);
    const byStratum = new Map<string, { sum: number; n: number }>();
    for (const c of cells) {
      const a = byStratum.get(c.stratum) ?? { sum: 0, n: 0 };
      a.sum += c.n * (c.mean - level.get(c.code)!);
      a.n += c.n;
      byStratum.set(c.stratum, a);
    }
    const centre = [...byStratum.values()].reduce((s, a) => s + a.sum / a.n, 0) / byStratum.size;
    for (const [stratum, a] of byStratum) offset.set(stratum, a.sum / a.n - centre);
  }
  return Object.fromEntries(offset);
}

/**
 * The codes that link strata, each with its finite runs on `metric` by stratum: those measured on
 * two or more strata (the cells both the offsets and their variance are fitted on).
 */
function linkingCells(
  current: ReadonlyMap<number, StrataSamples>,
  metric: string,
): { code: number; strata: { stratum: string; values: number[] }[] }[] {
  const out: { code: number; strata: { stratum: string; values: number[] }[] }[] = [];
  for (const [code, samples] of current) {
    const strata = Object.entries(samples)
      .map(([stratum, s]) => ({ stratum, values: (s[metric] ?? []).filter(Number.isFinite) }))
      .filter((x) => x.values.length > 0);
    if (strata.length >= 2) out.push({ code, strata });
  }
  return out;
}

/**
 * How well the night's offsets (stratumOffsets) know the difference between two strata: the
 * variance of (offset of `to`) − (offset of `from`) as fitted, in units of one run's variance
 * (weighted least squares on the same cells: code levels eliminated, the offsets' information
 * matrix summed over the codes measured on two or more strata). Infinity where no code connects
 * them, 0 from a stratum to itself.
 */
export function offsetVariance(
  current: ReadonlyMap<number, StrataSamples>,
  metric: string,
): (from: string, to: string) => number {
  const strata: string[] = [];
  const index = (s: string) => {
    const i = strata.indexOf(s);
    if (i >= 0) return i;
    strata.push(s);
    return strata.length - 1;
  };
  const codes = linkingCells(current, metric).map(({ strata: here }) => ({
    at: here.map((x) => index(x.stratum)),
    n: here.map((x) => x.values.length),
  }));
  const k = strata.length;
  const info = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  // Which strata the codes connect (union-find): offsets compare only within a component.
  const root = strata.map((_, i) => i);
  const find = (i: number): number => {
    while (root[i] !== i) i = root[i]!;
    return i;
  };
  for (const { at, n } of codes) {
    const total = n.reduce((a, b) => a + b, 0);
    for (let a = 0; a < at.length; a++) {
      info[at[a]!]![at[a]!]! += n[a]!;
      for (let b = 0; b < at.length; b++) info[at[a]!]![at[b]!]! -= (n[a]! * n[b]!) / total;
      root[find(at[a]!)] = find(at[0]!);
    }
  }
  const memo = new Map<string, number>();
  return (from, to) => {
    if (from === to) return 0;
    const i = strata.indexOf(from);
    const j = strata.indexOf(to);
    if (i < 0 || j < 0 || find(i) !== find(j)) return Number.POSITIVE_INFINITY;
    const key = `${i} ${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    // On the component, M + J/size is invertible and agrees with M's pseudo-inverse on contrasts.
    const part = strata.map((_, x) => x).filter((x) => find(x) === find(i));
    const a = part.map((r) => part.map((c) => info[r]![c]! + 1 / part.length));
    const b = part.map((x) => (x === j ? 1 : 0) - (x === i ? 1 : 0));
    const x = solve(a, b);
    const v = x.reduce((s, xi, r) => s + xi * b[r]!, 0);
    memo.set(key, v);
    return v;
  };
}

/** Solves a x = b by Gaussian elimination with partial pivoting (a small, invertible system). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, r) => [...row, b[r]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, r) => row[n]! / row[r]!);
}

/**
 * The incumbent's bar as it would read on `stratum`, where it has none there: on each metric,
 * from the one other stratum whose bar says most once moved (its runs' worth with the offsets'
 * uncertainty added: 1 / (1/n + variance), offsetVariance), its mean moved by the strata's
 * offsets, standing for that many runs (at least 1). One stratum, not all of them: the levels a
 * keep leaves on several strata share the error of its gain. Empty where no offset connects them.
 */
export function movedBar(
  bars: StrataSamples,
  offsets: Record<string, Record<string, number>>,
  variances: Record<string, (from: string, to: string) => number>,
  stratum: string,
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const metrics = new Set(Object.values(bars).flatMap((s) => Object.keys(s)));
  for (const metric of metrics) {
    const to = offsets[metric]?.[stratum];
    const variance = variances[metric];
    if (to === undefined || !variance) continue;
    let best: { mean: number; worth: number } | null = null;
    for (const [from, samples] of Object.entries(bars)) {
      const values = (samples[metric] ?? []).filter(Number.isFinite);
      const shift = offsets[metric]?.[from];
      if (from === stratum || values.length === 0 || shift === undefined) continue;
      const worth = 1 / (1 / values.length + variance(from, stratum));
      if (!(worth > 0) || (best && best.worth >= worth)) continue;
      best = { mean: values.reduce((a, b) => a + b, 0) / values.length - shift + to, worth };
    }
    if (best)
      out[metric] = Array.from({ length: Math.max(1, Math.round(best.worth)) }, () => best.mean);
  }
  return out;
}
