/** Formats a metric value with enough digits to see small deltas. */
export function formatScore(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return Math.abs(v) >= 1000
    ? v.toFixed(1)
    : v
        .toPrecision(6)
        .replace(/(\.\d*?)0+$/, "$1")
        .replace(/\.$/, "");
}

/** A change with its sign: +0.01, −0.02 (a real minus), ±0. */
export function formatDelta(v: number | null | undefined, against?: number): string {
  if (v === null || v === undefined) return "";
  // Judged against an earlier incumbent (it moved on meanwhile): the delta is to that one.
  const to = against === undefined ? "" : ` vs #${against}`;
  return `${v > 0 ? "+" : v < 0 ? "−" : "±"}${formatScore(Math.abs(v))}${to}`;
}

/** " (−12.34%)": the change baseline → best in percent, with its sign; "" when unknown. */
export function formatPercent(pct: number | null): string {
  if (pct === null) return "";
  const text = Math.abs(pct).toFixed(2);
  return ` (${Number(text) === 0 ? "±" : pct > 0 ? "+" : "−"}${text}%)`;
}

/** "1 pair", "3 pairs": a count with its word. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
