/** Small, dependency-free statistics for deciding under noise. Every function is pure. */

export function mean(values: readonly number[]): number {
  let sum = 0;
  let same = true;
  for (const v of values) {
    sum += v;
    same &&= v === values[0];
  }
  // Runs that agree have their value as their mean: 5 runs of 0.0417 summed and divided give
  // 0.041699999999999994, which a deterministic eval's next run of 0.0417 would "improve" on.
  return same && values.length > 0 ? values[0]! : sum / values.length;
}

/** Whether every value is the same (true for none or one). */
export function agree(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

/** Sum of squared deviations from the mean. */
export function sumSquares(values: readonly number[]): number {
  // Runs that agree exactly have no spread: their mean, rounded, would leave some (5e-33 on seven
  // runs of 0.13765), and the demo's deterministic eval on two workers was kept "better by 0.01201
  // (150900000000000 sd, p = 0, 2 vs 7 runs)": a t-test on rounding error, not min_delta.
  if (agree(values)) return 0;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return ss;
}

/** Mean and sample standard deviation (0 for fewer than two values). */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  if (values.length < 2) return { mean: mean(values), sd: 0 };
  return { mean: mean(values), sd: Math.sqrt(sumSquares(values) / (values.length - 1)) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile of sorted values, interpolated linearly (R's type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const below = sorted[Math.floor(at)]!;
  const above = sorted[Math.ceil(at)]!;
  return below + (above - below) * (at - Math.floor(at));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised incomplete beta I_x(a, b), by its continued fraction (modified Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  f = d;
  for (let m = 1; m <= 300; m++) {
    for (const step of [0, 1]) {
      const num =
        step === 0
          ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
          : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      const delta = c * d;
      f *= delta;
      if (step === 1 && Math.abs(delta - 1) < 1e-15) return (front * f) / a;
    }
  }
  return (front * f) / a;
}

/** P(T > t) for Student's t with `df` degrees of freedom (df = Infinity: the normal). */
export function tUpperTail(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 0 : 1;
  if (!Number.isFinite(df) || df > 1e7) return normalUpperTail(t);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** The t value with P(T > t) = p, by bisection on tUpperTail. */
export function tQuantileUpper(p: number, df: number): number {
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (tUpperTail(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(Z > z) for the standard normal (complementary error function, Numerical Recipes erfc). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}
