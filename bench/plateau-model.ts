/**
 * The landscape behind bench/plateau.ts, shared by the bench, its eval and its unit test (the eval
 * imports it from a copy beside it in the night's repository, so it imports nothing of autoexp's
 * but greedy-model.ts, copied with it).
 *
 * The target is `train.py`, a training script's hyperparameter block; the true score is a gain
 * f(knobs) in milli-bpb over the start point (+ is better; the eval prints
 * `val_bpb: 0.9979 - (f + noise) / 1000`, goal minimize, karpathy's contract). The unit of f is
 * the effect: a helpful one-knob change is worth about 1 (noise sd = 1 / level).
 *
 * Knobs, as log2 of their ratio to the start (x = log2(value / start)):
 *   l = LR / 0.004, b = BATCH / 64, w = WARMUP / 200, d = DEPTH / 8, v = WEIGHT_DECAY / 0.1,
 *   g = GRAD_CLIP / 1.0; EVAL_EVERY does nothing (moves of it are no-ops); SEED is excluded by the
 *   search agent.
 *
 * `plateau` (local optima a one-knob climber stalls in):
 *   ridge   min(b, 2) - 2.5 |l - b/2|    a bigger batch helps only with the LR scaled by
 *                                         sqrt(batch): together (b +1, l +0.5) +1; b alone -0.25,
 *                                         l alone -2.5 per doubling: a sharp ridge, no crawl along it
 *   warmup  -0.3 w (w > 0), w (w < 0)    a longer warmup costs a little, a shorter one more
 *   depth   d > 0: 2 min(d, 1.5) - 2 max(0, d - 1.5) once w >= 0.9 (warmup ~1.9x), else -3 d;
 *           d < 0: 1.5 d                 deeper helps only after the warmup is long enough
 *   decay   bump(v, 1.5, 1)              separable: WEIGHT_DECAY x2 is +1.5
 *   clip    bump(g, 1, -1)               separable: GRAD_CLIP /2 is +1
 *   where bump(x, a, o) = a (1 - ((x - o) / o)^2): 0 at the start, its best a at x = o.
 *   Optimum 7.23 (b 2, l 1, w 0.9, d 1.5, v 1, g -1); a noiseless one-knob climber from the start
 *   ends at 2.5 (decay and clip): every other single move loses, and the two ways up start with a
 *   small loss (BATCH x2: -0.25; WARMUP x2: -0.3), the near-misses a search that leaves a plateau
 *   can start from.
 * `smooth` (separable: a one-knob climber reaches the optimum): bump(x, a, o) per knob,
 *   (a, o) = l (1, 1), b (1, 1), w (0.5, 0.5), d (1.5, 1.5), v (1.5, 1), g (1, -1). Optimum 6.5.
 */

export type Landscape = "plateau" | "smooth";
export const LANDSCAPES: readonly Landscape[] = ["plateau", "smooth"];

export interface Knobs {
  LR: number;
  BATCH: number;
  WARMUP: number;
  DEPTH: number;
  WEIGHT_DECAY: number;
  GRAD_CLIP: number;
  EVAL_EVERY: number;
}

export const START: Knobs = {
  LR: 0.004,
  BATCH: 64,
  WARMUP: 200,
  DEPTH: 8,
  WEIGHT_DECAY: 0.1,
  GRAD_CLIP: 1.0,
  EVAL_EVERY: 250,
};

/** The best true gain there is (the optimum above). */
export const OPTIMUM: Record<Landscape, number> = { plateau: 7.23, smooth: 6.5 };

/** The target file at the start: the knobs as a training script's constants. */
export function startScript(): string {
  return `# train.py (bench/plateau.ts): the hyperparameters of a small GPT
SEED = 42
LR = 0.004
BATCH = 64
WARMUP = 200
DEPTH = 8
WEIGHT_DECAY = 0.1
GRAD_CLIP = 1.0
EVAL_EVERY = 250

def train():
    pass  # the eval reads the constants above
`;
}

/** The knobs a script sets (a missing or unreadable one stays at its start value). */
export function readKnobs(text: string): Knobs {
  const knobs = { ...START };
  for (const name of Object.keys(START) as (keyof Knobs)[]) {
    const m = new RegExp(`^${name}\\s*=\\s*([-+0-9.eE]+)\\s*$`, "m").exec(text);
    const v = m ? Number(m[1]) : Number.NaN;
    if (Number.isFinite(v)) knobs[name] = v;
  }
  return knobs;
}

/** log2 of a knob's ratio to its start; -10 for a value <= 0 (far off, harmful). */
const at = (k: Knobs, name: keyof Knobs) => (k[name] > 0 ? Math.log2(k[name] / START[name]) : -10);

const bump = (x: number, a: number, o: number) => a * (1 - ((x - o) / o) ** 2);

/** The true gain of a configuration over the start, in milli-bpb (+ is better). */
export function trueGain(landscape: Landscape, k: Knobs): number {
  const l = at(k, "LR");
  const b = at(k, "BATCH");
  const w = at(k, "WARMUP");
  const d = at(k, "DEPTH");
  const v = at(k, "WEIGHT_DECAY");
  const g = at(k, "GRAD_CLIP");
  const decay = bump(v, 1.5, 1);
  const clip = bump(g, 1, -1);
  if (landscape === "smooth")
    return bump(l, 1, 1) + bump(b, 1, 1) + bump(w, 0.5, 0.5) + bump(d, 1.5, 1.5) + decay + clip;
  const ridge = Math.min(b, 2) - 2.5 * Math.abs(l - b / 2);
  const warmup = w > 0 ? -0.3 * w : w;
  const warm = w >= 0.9;
  const depth = d > 0 ? (warm ? 2 * Math.min(d, 1.5) - 2 * Math.max(0, d - 1.5) : -3 * d) : 1.5 * d;
  return ridge + warmup + depth + decay + clip;
}

/** A configuration's key for its noise draws: the same code draws the same k-th noise. */
export function knobKey(k: Knobs): string {
  return (Object.keys(START) as (keyof Knobs)[]).map((n) => `${n}=${k[n]}`).join(",");
}
