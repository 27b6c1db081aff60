/**
 * Round tick values within [lo, hi]: steps of 1, 2 or 5 times a power of ten (at least
 * `minStep`), the finest such step that gives at most `max` ticks.
 */
export function niceTicks(lo: number, hi: number, max: number, minStep = 0): number[] {
  if (!(hi > lo)) return [lo];
  for (let power = 10 ** Math.floor(Math.log10((hi - lo) / max)); ; power *= 10) {
    for (const m of [1, 2, 5]) {
      const step = m * power;
      if (step < minStep) continue;
      // The epsilon keeps 0.3 / 0.1 = 2.9999999999999996 from losing a tick at the edge.
      const [a, b] = [Math.ceil(lo / step - 1e-9), Math.floor(hi / step + 1e-9)];
      if (b - a + 1 > max) continue;
      const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
      return Array.from({ length: b - a + 1 }, (_, i) => Number(((a + i) * step).toFixed(digits)));
    }
  }
}

/** The decimals that show every tick exactly and alike: 0.97, 0.975 -> 3. */
export function tickDecimals(ticks: readonly number[]): number {
  let digits = 0;
  while (digits < 20 && ticks.some((t) => Number(t.toFixed(digits)) !== t)) digits++;
  return digits;
}
