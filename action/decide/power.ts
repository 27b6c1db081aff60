import { createRandom, gaussian } from "../util/random.ts";
import { firstPairAgrees, type ScreenGrey } from "./boundary.ts";
import { judge, type Policy } from "./judge.ts";
import type { Judgement, PairedDesign } from "./judgement.ts";
import { pooledNoise } from "./noise.ts";
import { atLeast } from "./screen-choice.ts";
import { mean } from "./stats.ts";

/**
 * How candidates are measured in pairs (decide.paired), as evaluate-paired.ts runs them.
 * `screened`: the first run is screened against `screenRuns` of the incumbent's runs at `screenSd`
 * run sds (never under min_delta), with `grey` a second run for a first run in the grey zone
 * (decide/screen-choice.ts, ScreenDesign), then pairs beside fresh incumbent runs. `fresh`: pairs
 * from the first run (no incumbent runs to screen against, or a folder the runs share).
 */
export type PowerPairs =
  | { first: "screened"; screenSd: number; screenRuns: number; grey?: ScreenGrey }
  | { first: "fresh" };

export interface PowerSettings {
  /** The incumbent's runs an unpaired candidate is judged against (decide.baseline_runs). */
  incumbentRuns: number;
  maxRuns: number;
  confidence: number;
  /** min_delta in noise units (0.25 with confirmation and min_delta auto). */
  minDeltaSd: number;
  /** Replicate runs behind the noise estimate, besides the incumbent's. */
  extraNoiseRuns?: number;
  /** Measured in pairs (decide.paired); absent: against the incumbent's earlier runs. */
  paired?: PowerPairs;
}

export interface Power {
  /** The share of candidates kept. */
  keepRate: number;
  /** Eval runs per candidate, the incumbent's runs beside it included. */
  evalsPerCandidate: number;
}

/**
 * The share of candidates with a true effect of `effectSd` noise units that the rule keeps, and
 * the eval runs each costs, by seeded simulation with Gaussian noise and the real judge: paired
 * (`settings.paired`) or unpaired, as the config selects. `autoexp check` uses it to say which
 * effects an eval can resolve.
 */
export function estimatePower(
  effectSd: number,
  settings: PowerSettings,
  trials = 2000,
  seed = 1,
): Power {
  const gauss = gaussian(createRandom(seed));
  let kept = 0;
  let evals = 0;
  for (let t = 0; t < trials; t++) {
    const r = settings.paired
      ? pairedTrial(effectSd, settings, settings.paired, gauss)
      : unpairedTrial(effectSd, settings, gauss);
    kept += r.kept ? 1 : 0;
    evals += r.runs;
  }
  return { keepRate: kept / trials, evalsPerCandidate: evals / trials };
}

interface Trial {
  kept: boolean;
  runs: number;
}

const policyFor = (settings: PowerSettings, minDelta: number): Policy => ({
  rule: "primary",
  objectives: [{ name: "m", goal: "maximize", minDelta }],
  guards: {},
  confidence: settings.confidence,
  maxRuns: settings.maxRuns,
  simplification: false,
});

/** The rule before pairs: the candidate's runs against the incumbent's earlier runs. */
function unpairedTrial(effectSd: number, settings: PowerSettings, gauss: () => number): Trial {
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
      policy: policyFor(settings, settings.minDeltaSd * before.sd),
      incumbent: { m: incumbent },
      candidate: { m: candidate },
      noise: { m: noise },
    });
  } while (!j.final);
  return { kept: j.status === "keep", runs: candidate.length };
}

/**
 * One candidate as evaluate-paired.ts measures it: the screened first run judged against the
 * incumbent's recent runs with min_delta raised to the screen, then pairs (the screened run with
 * the incumbent's next run first, a look where that run agrees with the bar, set aside where it
 * does not) judged on their differences, the screen in the design so the boundary accounts for
 * it, a keep on the first pair reopened by the run after it. The noise pools every group, the
 * candidate's and the pairs' included, as the engine's does.
 */
function pairedTrial(
  effectSd: number,
  settings: PowerSettings,
  pairs: PowerPairs,
  gauss: () => number,
): Trial {
  const old = Array.from({ length: pairs.first === "screened" ? pairs.screenRuns : 0 }, gauss);
  const extra = Array.from({ length: settings.extraNoiseRuns ?? 0 }, gauss);
  const minDelta = settings.minDeltaSd * pooledNoise([old, extra]).sd;
  const cand: number[] = [];
  const inc: number[] = [];
  const noise = () => ({ m: pooledNoise([old, extra, cand, inc]) });
  let design: PairedDesign = { first: "fresh" };
  let screened = 0;
  // First pairs set aside (0 or 1): left out of the pairs that decide.
  let aside = 0;
  if (pairs.first === "screened") {
    cand.push(effectSd + gauss());
    const n = noise();
    const { at, grey } = atLeast(
      { at: pairs.screenSd, ...(pairs.grey ? { grey: pairs.grey } : {}) },
      settings.minDeltaSd,
    );
    const screen = judge({
      policy: policyFor(settings, Math.max(minDelta, (grey ? grey.from : at) * n.m.sd)),
      incumbent: { m: old },
      candidate: { m: cand },
      noise: n,
    });
    if (screen.final) return { kept: screen.status === "keep", runs: 1 };
    if (grey && cand[0]! - mean(old) < at * n.m.sd) {
      // In the grey zone: a second run, and the two runs' mean decides (paired-screen.ts).
      cand.push(effectSd + gauss());
      const n2 = noise();
      const second = judge({
        policy: policyFor(settings, Math.max(minDelta, grey.mean * n2.m.sd)),
        incumbent: { m: old },
        candidate: { m: [mean(cand)] },
        noise: n2,
      });
      if (second.final) return { kept: false, runs: 2 };
      screened = 1;
    }
    inc.push(gauss());
    // The first pair keeps where the incumbent's run in it agrees with the bar (boundary.ts, firstPairAgrees);
    // where it does not, the pair is set aside and fresh pairs decide (evaluate-paired.ts).
    if (firstPairAgrees((inc[0]! - mean(old)) / noise().m.sd, old.length))
      design = {
        first: "screened",
        screenedAgainst: old.length,
        screenSd: at,
        ...(grey ? { screenGrey: grey } : {}),
        firstPairKeeps: true,
      };
    else aside = 1;
  }
  const judgePairs = () =>
    judge({
      policy: policyFor(settings, minDelta),
      incumbent: { m: inc.slice(aside) },
      candidate: { m: cand.slice(screened + aside) },
      noise: noise(),
      paired: design,
    });
  let j = inc.length > aside ? judgePairs() : null;
  for (;;) {
    while (!j?.final) {
      if (inc.length - aside >= settings.maxRuns)
        throw new Error("judge gave no final decision within max_runs pairs");
      // Which side runs first does not matter without drift.
      cand.push(effectSd + gauss());
      inc.push(gauss());
      j = judgePairs();
    }
    // Kept on its first pair: its run after the keep reopens it where it reads no better than
    // the bar or the incumbent's run beside it (engine/paired-screen.ts, reopenedBy); that pair
    // is set aside, and fresh pairs from that run on decide.
    if (j.status !== "keep" || design.first !== "screened" || aside > 0 || inc.length !== 1) break;
    const after = effectSd + gauss();
    if (after > Math.max(mean(old), inc[0]!)) break;
    aside = 1;
    design = { first: "fresh" };
    cand.push(after);
    inc.push(gauss());
    j = judgePairs();
  }
  return { kept: j.status === "keep", runs: cand.length + inc.length };
}

/** The smallest effect (in noise units, to 0.25) kept at least `target` of the time. */
export function detectableEffect(settings: PowerSettings, target = 0.8): number | null {
  for (let e = 0.5; e <= 6; e += 0.25) {
    if (estimatePower(e, settings, 800).keepRate >= target) return e;
  }
  return null;
}
