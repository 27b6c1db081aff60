/**
 * The model behind bench/greedy.ts, shared by the bench, its eval and its agent (the eval and the
 * agent import it from a copy beside them, so the noise autoexp's eval prints is the noise the
 * greedy simulation draws): seeded noise, true effects sized from karpathy's results.tsv, the
 * proposal plan of a night, and karpathy's greedy loop simulated.
 *
 * Units: the true gain is in milli-bpb (1e-3 val_bpb), the unit karpathy's deltas come in
 * (his H100 night went 0.997900 -> 0.969686: 28.2 milli-bpb). The eval prints
 * `val_bpb: 0.9979 - (truth + noise) / 1000`, goal minimize, as karpathy's train.py does.
 */

/**
 * mulberry32, as action/util/random.ts: a copy, since the eval and the agent import this file from
 * a copy beside them in the night's repository, where nothing of autoexp's can be imported.
 */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One 32-bit seed from several integers (FNV-1a over their decimal text). */
export function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const c of parts.join("/")) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export type NoiseKind = "gaussian" | "t3";

/**
 * The n-th noise draw of a night (sd 1): Gaussian, or Student t with 3 df scaled to sd 1 (heavy
 * tails: a 4-sd run is ~50x likelier than under Gaussian noise of the same sd).
 */
export function noiseAt(seed: number, n: number, kind: NoiseKind): number {
  const r = random(mix(seed, n));
  const u = () => {
    let x = 0;
    while (x === 0) x = r();
    return x;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const z = gauss();
  if (kind === "gaussian") return z;
  const chi = gauss() ** 2 + gauss() ** 2 + gauss() ** 2;
  return z / Math.sqrt(chi / 3) / Math.sqrt(3);
}

/** Where a night's proposals draw their true effects from (milli-bpb, + is better). */
export interface EffectPool {
  helpful: number[];
  harmful: number[];
  /** Shares of proposals that help and that do exactly nothing (the rest harm). */
  helpfulShare: number;
  neutralShare: number;
  /** The median helpful effect: "effect" in effect/noise. */
  effect: number;
}

/**
 * True effects sized from a karpathy results.tsv, taken at face value: each row's improvement
 * over the best so far. Keeps give the helpful effects; discards within `neutralBelow` milli-bpb
 * of the best count as changes that do nothing (his "random seed 42 to 137", which cannot help,
 * measured 0.69 worse: a discard that small is within his noise), the other discards as harmful
 * with their measured size. Crashes are left out (autoexp and greedy both discard them).
 */
export function effectPool(tsv: string, neutralBelow = 1): EffectPool {
  const rows = tsv
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split("\t"));
  let best = Number(rows[0]![1]);
  const helpful: number[] = [];
  const harmful: number[] = [];
  let neutral = 0;
  for (const r of rows.slice(1)) {
    if (r[3] === "crash") continue;
    const value = Number(r[1]);
    const gain = Math.round((best - value) * 1e6) / 1e3;
    if (r[3] === "keep") {
      helpful.push(gain);
      best = value;
    } else if (gain > -neutralBelow) neutral++;
    else harmful.push(gain);
  }
  const n = helpful.length + harmful.length + neutral;
  const sorted = [...helpful].sort((a, b) => a - b);
  return {
    helpful,
    harmful,
    helpfulShare: helpful.length / n,
    neutralShare: neutral / n,
    effect: sorted[Math.floor(sorted.length / 2)]!,
  };
}

/** A night's proposals in order: each a true effect drawn from the pool (seeded). */
export function makePlan(pool: EffectPool, seed: number, length: number): number[] {
  const r = random(mix(seed, 0xe11ec7));
  const pick = (xs: number[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length }, () => {
    const u = r();
    if (u < pool.helpfulShare) return pick(pool.helpful);
    if (u < pool.helpfulShare + pool.neutralShare) return 0;
    return pick(pool.harmful);
  });
}

export interface GreedyNight {
  trueGain: number;
  reportedGain: number;
  candidates: number;
  kept: number;
  /** Kept changes whose true effect is zero or negative. */
  badKeeps: number;
}

/**
 * karpathy's loop: the baseline run once, then each proposal run once and kept when it measures
 * better than the best measured so far (which it then becomes). `runs` eval runs in all, the
 * baseline's included; run n draws noiseAt(seed, n), as autoexp's eval's n-th run does.
 */
export function greedyNight(
  plan: number[],
  sigma: number,
  seed: number,
  kind: NoiseKind,
  runs: number,
): GreedyNight {
  let truth = 0;
  const base = sigma * noiseAt(seed, 0, kind);
  let best = base;
  const out = { trueGain: 0, reportedGain: 0, candidates: 0, kept: 0, badKeeps: 0 };
  for (let n = 1; n < runs; n++) {
    const effect = plan[n - 1]!;
    const measured = truth + effect + sigma * noiseAt(seed, n, kind);
    out.candidates++;
    if (measured > best) {
      best = measured;
      truth += effect;
      out.kept++;
      if (effect <= 0) out.badKeeps++;
    }
  }
  out.trueGain = truth;
  out.reportedGain = best - base;
  return out;
}
