// A change that beat the incumbent it was made for, re-applied onto the one a keep elsewhere put in
// its place, measured there as evaluate-paired.ts does (screen.won_against): its first run is
// measured but not screened, the incumbent runs beside it, the first pair is a look where that
// incumbent run agrees with the bar (decide/boundary.ts, firstPairAgrees) and is set aside where it does not
// (fresh pairs then), pairs until the real judge decides, a keep on the first pair reopened by
// the run after it. By seeded simulation with Gaussian noise of sd 1, the noise known from the
// night's other runs (df 50). Used by test/unit/retrial.test.ts and bench/retrial.ts.
import { firstPairAgrees } from "../../action/decide/boundary.ts";
import { judge, type Policy } from "../../action/decide/judge.ts";
import type { PairedDesign } from "../../action/decide/judgement.ts";
import { pooledNoise } from "../../action/decide/noise.ts";
import { mean } from "../../action/decide/stats.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

/** The runs the bar holds (SCREEN_RUNS at most) and min_delta (run sds), as the defaults give. */
const BAR_RUNS = 3;
const MIN_DELTA = 0.25;

/** The design the engine gives a re-trial: its first run measured but not screened. */
export const UNSCREENED_RETRIAL = {
  first: "screened",
  screenedAgainst: BAR_RUNS,
  unscreened: true,
  firstPairKeeps: true,
} as const;

export interface Retried {
  /** The share of re-trials kept. */
  keepRate: number;
  /** Eval runs per re-trial, the incumbent's included. */
  runs: number;
}

/**
 * Re-trials of a change whose true gain over the new incumbent is `effect` run sds, their pairs
 * judged with `design` where the first pair may keep (the design the engine gives them).
 */
export function retrials(
  effect: number,
  design: PairedDesign & { first: "screened" },
  opts: { trials: number; seed: number; maxRuns?: number; confidence?: number },
): Retried {
  const gauss = gaussian(createRandom(opts.seed));
  const policy: Policy = {
    rule: "primary",
    objectives: [{ name: "m", goal: "maximize", minDelta: MIN_DELTA }],
    guards: {},
    confidence: opts.confidence ?? 0.95,
    maxRuns: opts.maxRuns ?? 5,
    simplification: false,
  };
  let kept = 0;
  let runs = 0;
  for (let t = 0; t < opts.trials; t++) {
    const night = Array.from({ length: 25 }, () => [gauss(), gauss(), gauss()]);
    const bar = Array.from({ length: BAR_RUNS }, gauss);
    const cand = [effect + gauss()];
    const inc = [gauss()];
    const noise = () => ({ m: pooledNoise([...night, bar, cand, inc]) });
    let aside = 0;
    let used: PairedDesign = design;
    if (!firstPairAgrees((inc[0]! - mean(bar)) / noise().m.sd, bar.length)) {
      aside = 1;
      used = { first: "fresh" };
    }
    const judgePairs = () =>
      judge({
        policy,
        incumbent: { m: inc.slice(aside) },
        candidate: { m: cand.slice(aside) },
        noise: noise(),
        paired: used,
      });
    let j = aside ? null : judgePairs();
    for (;;) {
      while (!j?.final) {
        cand.push(effect + gauss());
        inc.push(gauss());
        j = judgePairs();
      }
      if (j.status !== "keep" || used.first !== "screened" || inc.length !== 1) break;
      // Kept on its first pair: reopened where its run after the keep reads no better than the
      // bar or the incumbent's run beside it (engine/paired-screen.ts, reopenedBy).
      const after = effect + gauss();
      if (after > Math.max(mean(bar), inc[0]!)) break;
      aside = 1;
      used = { first: "fresh" };
      cand.push(after);
      inc.push(gauss());
      j = judgePairs();
    }
    kept += j.status === "keep" ? 1 : 0;
    runs += cand.length + inc.length;
  }
  return { keepRate: kept / opts.trials, runs: runs / opts.trials };
}
