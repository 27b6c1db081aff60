/** A number as the prompt shows it: 5 significant digits, 4 (toPrecision) from 1000 up or under 0.001. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1000 || a < 0.001 ? x.toPrecision(4) : String(Number(x.toPrecision(5)));
}
