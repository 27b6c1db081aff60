import { describe, expect, it } from "vitest";
import {
  firstPairAgrees,
  MIN_CRITICAL_T,
  type ScreenGrey,
  sequentialBoundary,
} from "../../action/decide/boundary.ts";
import { comparePaired, PAIR_NOISE_DF } from "../../action/decide/compare.ts";
import { judge, type Policy } from "../../action/decide/judge.ts";
import type { PairedDesign } from "../../action/decide/judgement.ts";
import { type Noise, pooledNoise } from "../../action/decide/noise.ts";
import { pairNoise } from "../../action/decide/pair-noise.ts";
import { mean } from "../../action/decide/stats.ts";
import { movedBar, offsetVariance, stratumOffsets } from "../../action/decide/stratum-offsets.ts";
import type { RemeasureEntry, ResultEntry } from "../../action/ledger/types.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

const policy = (minDelta: number): Policy => ({
  rule: "primary",
  objectives: [{ name: "score", goal: "maximize", minDelta }],
  guards: {},
  confidence: 0.95,
  maxRuns: 5,
  simplification: false,
});

/**
 * One candidate as the engine measures it (evaluate-paired.ts): a screening run against the
 * incumbent's 10 latest runs, then pairs (the screened run with the incumbent's next run first),
 * judged by the real judge. `drift(k)` is added to the k-th run of the night's clock: both sides
 * of a pair see nearly the same machine, the old incumbent runs an earlier one.
 */
function candidate(
  effect: number,
  draw: () => number,
  drift: (clock: number) => number = () => 0,
  design: "screened" | "fresh" = "screened",
  screenAt?: number,
  grey?: ScreenGrey,
  /** false: the pairs judged as if only one run had been screened (the grey zone not modelled). */
  greyModelled = true,
  /**
   * `firstPair`: whether the first pair may keep: where the incumbent's run in it agrees with the
   * bar, and set aside where it does not (`aside`, as the engine); where it agrees, and counted
   * in where it does not (`agrees`, as before 2026-12-06); always; or never (as before that).
   * `step`: added to that incumbent run alone, against the goal (a load spike starting between
   * the first pair's two runs). `reopen`: whether the run after a keep on the first pair reopens
   * it (as the engine: the default).
   */
  opts: {
    firstPair?: "aside" | "agrees" | "always" | "never";
    step?: number;
    /** false: a keep on the first pair stands whatever the run after it reads. */
    reopen?: boolean;
  } = {},
): { kept: boolean; runs: number; unpairedKept: boolean } {
  let clock = 0;
  const run = (truth: number) => truth + draw() + drift(clock++);
  const old = Array.from({ length: 10 }, () => run(0));
  const others = Array.from({ length: 30 }, draw);
  const noise = (): Record<string, Noise> => ({ score: pooledNoise([old, others]) });
  const minDelta = 0.25 * noise().score!.sd;
  const cand: number[] = [];
  const inc: number[] = [];
  let screened = 0;
  // First pairs set aside (0 or 1): left out of the pairs that decide.
  let aside = 0;
  let paired: PairedDesign = { first: "fresh" };
  if (design === "screened") {
    cand.push(run(effect));
    // decide.screen_sd: the first run must beat the incumbent's runs by screenAt run sds; with
    // a grey zone, a first run from grey.from up gets a second, and their mean must reach grey.mean.
    const sd = noise().score!.sd;
    const at = screenAt === undefined ? minDelta : screenAt * sd;
    const screen = judge({
      policy: policy(Math.max(minDelta, grey ? grey.from * sd : at)),
      incumbent: { score: old },
      candidate: { score: cand },
      noise: noise(),
    });
    if (screen.final) return { kept: screen.status === "keep", runs: 1, unpairedKept: false };
    if (grey && cand[0]! - mean(old) < at) {
      cand.push(run(effect));
      const second = judge({
        policy: policy(Math.max(minDelta, grey.mean * sd)),
        incumbent: { score: old },
        candidate: { score: [mean(cand)] },
        noise: noise(),
      });
      if (second.final) return { kept: false, runs: 2, unpairedKept: false };
      screened = 1; // the pairs start at the second run
    }
    inc.push(run(0) - (opts.step ?? 0));
    const agrees = firstPairAgrees((inc[0]! - mean(old)) / noise().score!.sd, old.length);
    const mode = opts.firstPair ?? "aside";
    if (mode === "aside" && !agrees) {
      // Set aside: fresh pairs decide, the first screened at min_delta.
      aside = 1;
    } else
      paired = {
        ...(mode === "always" || (mode !== "never" && agrees) ? { firstPairKeeps: true } : {}),
        first: "screened",
        screenedAgainst: old.length,
        ...(screenAt === undefined ? {} : { screenSd: screenAt }),
        // The boundary is the design's, whichever look this candidate passed on.
        ...(grey && greyModelled ? { screenGrey: grey } : {}),
      };
  }
  const judgePairs = () =>
    judge({
      policy: policy(minDelta),
      incumbent: { score: inc.slice(aside) },
      candidate: { score: cand.slice(screened + aside) },
      noise: noise(),
      paired,
    });
  let j = inc.length > aside ? judgePairs() : null;
  for (;;) {
    while (!j?.final) {
      // Later pairs in random order, as the engine draws them.
      if (draw() < 0) {
        inc.push(run(0));
        cand.push(run(effect));
      } else {
        cand.push(run(effect));
        inc.push(run(0));
      }
      j = judgePairs();
    }
    // Kept on its first pair: the run after the keep reopens it where it reads no better than the
    // bar or the incumbent's run beside it; fresh pairs from it decide (evaluate-paired.ts).
    const onFirst =
      j.status === "keep" && paired.first === "screened" && paired.firstPairKeeps === true;
    if (!onFirst || inc.length !== 1 || aside > 0 || opts.reopen === false) break;
    const after = run(effect);
    if (after > mean(old) && after > inc[0]!) break;
    aside = 1;
    paired = { first: "fresh" };
    cand.push(after);
    inc.push(run(0));
    j = judgePairs();
  }
  // The same runs judged the old way, against the incumbent's earlier runs.
  const unpaired = judge({
    policy: { ...policy(minDelta), maxRuns: cand.length },
    incumbent: { score: old },
    candidate: { score: cand },
    noise: noise(),
  });
  return {
    kept: j.status === "keep",
    runs: cand.length + inc.length,
    unpairedKept: unpaired.final && unpaired.status === "keep",
  };
}

function rate(
  trials: number,
  seed: number,
  effect: number,
  drift?: (clock: number) => number,
  design?: "screened" | "fresh",
  screenAt?: number,
  grey?: ScreenGrey,
  greyModelled?: boolean,
  opts?: Parameters<typeof candidate>[7],
) {
  const draw = gaussian(createRandom(seed));
  let kept = 0;
  let unpaired = 0;
  let runs = 0;
  for (let i = 0; i < trials; i++) {
    const r = candidate(effect, draw, drift, design, screenAt, grey, greyModelled, opts);
    kept += r.kept ? 1 : 0;
    unpaired += r.unpairedKept ? 1 : 0;
    runs += r.runs;
  }
  return { kept: kept / trials, unpaired: unpaired / trials, runs: runs / trials };
}

describe("paired measurement (decide.paired)", () => {
  it("keeps at most 5% of candidates that do nothing, screened or fresh, and uses most of it", () => {
    for (const design of ["screened", "fresh"] as const) {
      const r = rate(4000, 11, 0, undefined, design);
      // 4,000 trials: known to about ±0.35%.
      expect(r.kept, design).toBeLessThan(0.055);
      expect(r.kept, design).toBeGreaterThan(0.015);
    }
  });

  it("a higher screen (decide.screen_sd) keeps no more no-ops, spends fewer runs on them, and never keeps on pairs under a standard error", () => {
    const at = (screen: number | undefined) => rate(4000, 21, 0, undefined, "screened", screen);
    const low = at(undefined);
    for (const screen of [1, 1.5, 2]) {
      const r = at(screen);
      // The boundary for this screen: still at most 5% of no-ops kept (±0.35%).
      expect(r.kept, `screen ${screen}`).toBeLessThan(0.055);
      expect(r.runs, `screen ${screen}`).toBeLessThan(low.runs);
    }
    // Behind a 2 sd screen the simulation alone would allow any t: the floor still asks for 1.
    expect(
      sequentialBoundary({
        incumbentRuns: 10,
        df: 50,
        maxRuns: 5,
        alpha: 0.05,
        screenSd: 2 / Math.SQRT2,
        paired: "screened",
      }),
    ).toBe(MIN_CRITICAL_T);
    // A +2 sd change passes a 1 sd screen about 83% of the time, a 2 sd one about half.
    const power = (screen: number) => rate(2000, 22, 2, undefined, "screened", screen).kept;
    expect(power(1)).toBeGreaterThan(0.7);
    expect(power(2)).toBeLessThan(power(1));
  });

  it("a grey zone under the screen (a second look on two runs' mean) keeps at most 5% of no-ops and gains power", () => {
    const designs: [number, ScreenGrey][] = [
      [1.5, { from: 1, mean: 1.25 }],
      [1.5, { from: 0.5, mean: 1.25 }],
      [1, { from: 0.25, mean: 0.75 }],
    ];
    for (const [at, grey] of designs) {
      const label = `screen ${at}, grey ${JSON.stringify(grey)}`;
      const zero = rate(4000, 31, 0, undefined, "screened", at, grey);
      // The boundary accounts for both screened runs' selection (±0.35%)...
      expect(zero.kept, label).toBeLessThan(0.055);
      // ...and does not over-correct: most of the 5% is used.
      expect(zero.kept, label).toBeGreaterThan(0.02);
      // A +2 sd change whose first run fell short in the zone gets its second chance.
      const two = rate(2000, 32, 2, undefined, "screened", at, grey);
      const one = rate(2000, 32, 2, undefined, "screened", at);
      expect(two.kept - one.kept, label).toBeGreaterThan(0.05);
    }
    // Judged with the boundary of one look at the screen instead, the same rule on the same draws
    // keeps more no-ops than it may: the second look's selection is real, and modelled.
    const modelled = rate(4000, 31, 0, undefined, "screened", 1, designs[2]![1]);
    const unmodelled = rate(4000, 31, 0, undefined, "screened", 1, designs[2]![1], false);
    expect(unmodelled.kept).toBeGreaterThan(0.05);
    expect(unmodelled.kept - modelled.kept).toBeGreaterThan(0.008);
  });

  it("a keep on the first pair, where the incumbent's run in it agrees with the bar: at most 5% of no-ops kept at every screen, and a +2 sd change kept on fewer runs", () => {
    const designs: [number, ScreenGrey | undefined][] = [
      [0.25, undefined],
      [1.5, undefined],
      [1.5, { from: 0.5, mean: 1.25 }],
    ];
    for (const [at, grey] of designs) {
      const label = `screen ${at}, grey ${JSON.stringify(grey)}`;
      // Always allowed (the boundary's own case), and allowed where the run agrees, the pair
      // counted in (as before) or set aside (the engine's) where it does not.
      for (const firstPair of ["always", "agrees", "aside"] as const) {
        const zero = rate(4000, 41, 0, undefined, "screened", at, grey, true, { firstPair });
        expect(zero.kept, `${label}, ${firstPair}`).toBeLessThan(0.055);
      }
      // Proof that the first pair keeps: a +2 sd change costs fewer runs than on two pairs.
      const now = rate(2000, 42, 2, undefined, "screened", at, grey, true);
      const before = rate(2000, 42, 2, undefined, "screened", at, grey, true, {
        firstPair: "never",
      });
      expect(before.runs - now.runs, label).toBeGreaterThan(0.2);
      expect(now.kept, label).toBeGreaterThan(before.kept - 0.03);
    }
  });

  it("a step between the first pair's two runs does not fool the rule: the pair is set aside", () => {
    // The incumbent's run in the first pair reads 3 sd worse (a load spike starting after the
    // screened run): that pair alone says +3 sd for a change that does nothing.
    const step = (firstPair: "aside" | "agrees" | "never") =>
      rate(8000, 51, 0, undefined, "screened", 1.5, undefined, true, { firstPair, step: 3 }).kept;
    const never = step("never");
    // The attack works on the rule before keeps on a first pair (two pairs, one fooled, carry
    // half its step): over 5% of no-ops kept (±0.25%).
    expect(never).toBeGreaterThan(0.06);
    // Counted in where the incumbent's run left the bar, it works as well.
    expect(step("agrees")).toBeGreaterThan(0.06);
    // Set aside, fresh pairs decide: at most 5% (±0.25%).
    expect(step("aside")).toBeLessThan(0.055);
  });

  it("keeps a +2 sd change at least 80% of the time, on about 5 runs beside the incumbent", () => {
    const r = rate(2000, 12, 2);
    expect(r.kept).toBeGreaterThan(0.8);
    expect(r.runs).toBeLessThan(6);
  });

  it("a machine that speeds up does not make a no-op look better: pairs cancel it", () => {
    // 0.3 sd better per run: the candidate's runs stand well above the incumbent's older runs.
    const drift = (clock: number) => 0.3 * clock;
    const r = rate(3000, 13, 0, drift);
    // The attack ran: judged against the incumbent's earlier runs, most no-ops would be kept.
    expect(r.unpaired).toBeGreaterThan(0.5);
    // Paired, each pair's incumbent run is as late as its candidate run: no more false keeps.
    expect(r.kept).toBeLessThan(0.055);
  });

  it("compares the mean paired difference in the goal's direction", () => {
    const noise: Noise = { sd: 1, df: 40, robustSd: null };
    const min = comparePaired(
      { name: "t", goal: "minimize", minDelta: 0 },
      [10, 20, 30],
      [9, 19.5, 29],
      noise,
      undefined,
    );
    expect(min.gain).toBeCloseTo(2.5 / 3, 12);
    expect(min.nC).toBe(3);
    expect(min.nI).toBe(3);
    expect(min.paired).toBe(true);
    // The spread of the differences about their mean (drift 10 per pair is not noise) and twice
    // the run variance (40 df), pooled.
    const own = [1, 0.5, 1].reduce((s, d) => s + (d - 2.5 / 3) ** 2, 0);
    expect(min.sd).toBeCloseTo(Math.sqrt((2 * 40 + own) / 42), 12);
    const max = comparePaired(
      { name: "t", goal: "maximize", minDelta: 0 },
      [10, 20, 30],
      [9, 19.5, 29],
      noise,
      undefined,
    );
    expect(max.gain).toBeCloseTo(-2.5 / 3, 12);
  });

  it("uses the night's paired spread once it has enough degrees of freedom", () => {
    const noise: Noise = { sd: 1, df: 40, robustSd: null };
    const tight: Noise = { sd: 0.1, df: PAIR_NOISE_DF, robustSd: null };
    const o = { name: "s", goal: "maximize" as const, minDelta: 0 };
    const young = comparePaired(o, [0, 0], [1, 1], noise, { ...tight, df: PAIR_NOISE_DF - 1 });
    const fed = comparePaired(o, [0, 0], [1, 1], noise, tight);
    expect(young.sd).toBeCloseTo(Math.sqrt(2), 1);
    expect(fed.sd).toBeCloseTo(Math.sqrt((0.01 * PAIR_NOISE_DF) / (PAIR_NOISE_DF + 1)), 12);
  });

  it("pools paired differences from the ledger: each candidate's runs against its incumbent runs", () => {
    const row = (iteration: number, score: number[]) =>
      ({ iteration, samples: { score } }) as unknown as ResultEntry;
    const beside = (paired_with: number, score: number[]): RemeasureEntry => ({
      type: "remeasure",
      iteration: 0,
      after: paired_with - 1,
      reason: "concurrent",
      reset: false,
      samples: { score },
      eval_seconds: 0,
      timestamp: "",
      paired_with,
    });
    const topUp = ({ paired_with: _, ...m }: RemeasureEntry): RemeasureEntry => ({
      ...m,
      reason: "top-up",
    });
    const log = {
      results: [row(0, [9, 9]), row(1, [5, 7, 6]), row(2, [3]), row(3, [1, 1])],
      remeasures: [
        beside(1, [4, 4, 4]),
        beside(2, [2]),
        // A top-up of the incumbent, not a side of any pairs: not a difference.
        topUp(beside(3, [0, 0])),
      ],
    };
    // Only #1 has two or more pairs: differences 1, 3, 2 about their mean 2: ss 2, df 2.
    expect(pairNoise(log, ["score"]).score).toEqual({ sd: 1, df: 2, robustSd: null });
    // Screened (its first run screened, then the incumbent beside it): the first pair is left
    // out, chosen by the screen. #4's pairs are (8, 2), (7, 4), (9, 4): differences 3, 5 count.
    // After a second look (#5: first runs 0 and 8, the second in the first pair), pairs start
    // at the second run: (8, 2) out, (6, 4), (10, 4): differences 2, 6.
    const screened = (iteration: number, score: number[], second: boolean) =>
      ({
        iteration,
        samples: { score },
        screen: { at: 1, z: 1, against: 5, ...(second ? { second: 1 } : {}) },
      }) as unknown as ResultEntry;
    const withScreened = {
      results: [...log.results, screened(4, [8, 7, 9], false), screened(5, [0, 8, 6, 10], true)],
      remeasures: [...log.remeasures, beside(4, [2, 4, 4]), beside(5, [2, 4, 4])],
    };
    // ss 2 (#1) + 2 (3, 5 about 4) + 8 (2, 6 about 4) = 12 over df 2 + 1 + 1.
    expect(pairNoise(withScreened, ["score"]).score).toEqual({
      sd: Math.sqrt(12 / 4),
      df: 4,
      robustSd: null,
    });
  });
});

describe("stratum offsets: screening a first run where the incumbent has no runs yet", () => {
  it("fits each stratum's offset from code measured on several strata, and moves runs by it", () => {
    // Two codes: A ran on workers 0 and 1, B on workers 1 and 2. Worker k reads 3k higher.
    const current = new Map([
      [0, { "worker 0": { s: [10, 10.2] }, "worker 1": { s: [13.1, 12.9] } }],
      [4, { "worker 1": { s: [15, 15] }, "worker 2": { s: [18, 18] } }],
      // Measured on one worker only: says nothing of offsets.
      [5, { "worker 3": { s: [100] } }],
    ]);
    const offsets = stratumOffsets(current, ["s"]);
    expect(Object.keys(offsets.s!).sort()).toEqual(["worker 0", "worker 1", "worker 2"]);
    expect(offsets.s!["worker 1"]! - offsets.s!["worker 0"]!).toBeCloseTo(2.9, 6);
    expect(offsets.s!["worker 2"]! - offsets.s!["worker 1"]!).toBeCloseTo(3, 6);
    // Code B's bar on workers 1 and 2, as it would read on worker 0 (never measured there): from
    // worker 1's (two runs, one code away from worker 0), not worker 2's (three, two codes away).
    const variances = { s: offsetVariance(current, "s") };
    const bars = { "worker 1": { s: [15, 15] }, "worker 2": { s: [18, 18, 18] } };
    const moved = movedBar(bars, offsets, variances, "worker 0");
    const worth = 1 / (1 / 2 + variances.s("worker 1", "worker 0"));
    expect(worth).toBeLessThan(1 / (1 / 3 + variances.s("worker 2", "worker 0")) + 1);
    expect(moved.s!.length).toBe(Math.round(worth));
    expect(Number(moved.s![0]!.toFixed(6))).toBe(12.1);
    // A stratum no code connects to the others gets nothing to screen against.
    expect(variances.s("worker 1", "worker 3")).toBe(Number.POSITIVE_INFINITY);
    expect(movedBar({ "worker 1": { s: [15] } }, offsets, variances, "worker 3")).toEqual({});
  });

  it("knows how well it knows the offsets: the variance it gives is the fit's, over many nights", () => {
    // One code on two strata: the difference of two means, exactly.
    const two = offsetVariance(new Map([[0, { a: { s: [1, 2, 3] }, b: { s: [4] } }]]), "s");
    expect(two("a", "b")).toBeCloseTo(1 / 3 + 1, 12);
    expect(two("b", "a")).toBeCloseTo(1 / 3 + 1, 12);
    expect(two("a", "a")).toBe(0);
    // Four workers 1.5 apart, codes each measured on two to four of them with one to three runs
    // (sd 1): over 4,000 simulated nights, each offset difference's spread about the truth is
    // what offsetVariance says it is (within 6%), and the fit is unbiased.
    const random = createRandom(7);
    const noise = gaussian(random);
    const design = Array.from({ length: 12 }, (_, c) =>
      [0, 1, 2, 3]
        .filter((w) => w === c % 4 || random() < 0.4)
        .map((w) => ({ w, n: 1 + Math.floor(random() * 3) })),
    ).filter((cells) => cells.length >= 2);
    const pairs = [
      [0, 3],
      [1, 2],
      [0, 1],
    ] as const;
    const errors = pairs.map(() => [] as number[]);
    let claimed: number[] = [];
    for (let night = 0; night < 4000; night++) {
      const current = new Map(
        design.map((cells, c) => [
          c,
          Object.fromEntries(
            cells.map(({ w, n }) => [
              `worker ${w}`,
              { s: Array.from({ length: n }, () => 5 * c + 1.5 * w + noise()) },
            ]),
          ),
        ]),
      );
      const offsets = stratumOffsets(current, ["s"]).s!;
      pairs.forEach(([i, j], k) => {
        errors[k]!.push(offsets[`worker ${j}`]! - offsets[`worker ${i}`]! - 1.5 * (j - i));
      });
      if (night === 0) {
        const variance = offsetVariance(current, "s");
        claimed = pairs.map(([i, j]) => variance(`worker ${i}`, `worker ${j}`));
      }
    }
    pairs.forEach((_, k) => {
      const e = errors[k]!;
      expect(Math.abs(mean(e))).toBeLessThan(0.05);
      const spread = mean(e.map((x) => x * x));
      expect(spread / claimed[k]!).toBeGreaterThan(0.94);
      expect(spread / claimed[k]!).toBeLessThan(1.06);
    });
  });
});
