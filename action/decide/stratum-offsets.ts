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
  const cells: { code: number; stratum: string; mean: number; n: number }[] = [];
  for (const [code, strata] of current) {
    const here = Object.entries(strata)
      .map(([stratum, s]) => ({ stratum, values: (s[metric] ?? []).filter(Number.isFinite) }))
      .filter((x) => x.values.length > 0);
    if (here.length < 2) continue;
    for (const { stratum, values } of here)
      cells.push({
        code,
        stratum,
        mean: values.reduce((a, b) => a + b, 0) / values.length,
        n: values.length,
      });
  }
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
 * The incumbent's runs as they would read on `stratum`: its runs on other strata moved by the
 * difference of the strata's offsets (only strata with an offset). Empty when none can be moved.
 */
export function movedToStratum(
  incumbent: StrataSamples,
  offsets: Record<string, Record<string, number>>,
  stratum: string,
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [from, samples] of Object.entries(incumbent)) {
    if (from === stratum) continue;
    for (const [metric, values] of Object.entries(samples)) {
      const to = offsets[metric]?.[stratum];
      const shift = offsets[metric]?.[from];
      if (to === undefined || shift === undefined) continue;
      out[metric] = [...(out[metric] ?? []), ...values.map((v) => v - shift + to)];
    }
  }
  return out;
}
