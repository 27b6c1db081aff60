import { createRandom, gaussian } from "../util/random.ts";
import { judge } from "./judge.ts";
import type { Judgement } from "./judgement.ts";
import { pooledNoise } from "./noise.ts";

export interface PowerSettings {
  incumbentRuns: number;
  maxRuns: number;
  confidence: number;
  /** min_delta in noise units (0.5 with confirmation). */
  minDeltaSd: number;
  /** Replicate runs behind the noise estimate, besides the incumbent's. */
  extraNoiseRuns?: number;
}

/**
 * The share of candidates with a true effect of `effectSd` noise units that the rule keeps, and
 * the eval runs each costs, by seeded simulation with Gaussian noise. `autoexp check` uses it to
 * say which effects an eval can resolve.
 */
export function estimatePower(
  effectSd: number,
  settings: PowerSettings,
  trials = 2000,
  seed = 1,
): { keepRate: number; evalsPerCandidate: number } {
  const random = createRandom(seed);
  const gauss = gaussian(random);
  let kept = 0;
  let evals = 0;
  for (let t = 0; t < trials; t++) {
    const incumbent = Array.from({ length: settings.incumbentRuns }, gauss);
    const extra = Array.from({ length: settings.extraNoiseRuns ?? 0 }, gauss);
    const before = pooledNoise([incumbent, extra]);
    const candidate: number[] = [];
    let j: Judgement;
    do {
      candidate.push(effectSd + gauss());
      // As in the engine: the candidate's own runs join the noise estimate.
      const noise = pooledNoise([incumbent, extra, candidate]);
      j = judge({
        policy: {
          rule: "primary",
          objectives: [{ name: "m", goal: "maximize", minDelta: settings.minDeltaSd * before.sd }],
          guards: {},
          confidence: settings.confidence,
          maxRuns: settings.maxRuns,
          simplification: false,
        },
        incumbent: { m: incumbent },
        candidate: { m: candidate },
        noise: { m: noise },
      });
    } while (!j.final);
    kept += j.status === "keep" ? 1 : 0;
    evals += candidate.length;
  }
  return { keepRate: kept / trials, evalsPerCandidate: evals / trials };
}

/** The smallest effect (in noise units, to 0.25) kept at least `target` of the time. */
export function detectableEffect(settings: PowerSettings, target = 0.8): number | null {
  for (let e = 0.5; e <= 6; e += 0.25) {
    if (estimatePower(e, settings, 800).keepRate >= target) return e;
  }
  return null;
}
