import { describe, expect, it } from "vitest";
import { checkRule, noOpEvals, powerLines } from "../../action/cli/check-power.ts";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import type { Config } from "../../action/config/schema.ts";
import { firstPairAgrees } from "../../action/decide/boundary.ts";
import { judge, type Policy } from "../../action/decide/judge.ts";
import type { PairedDesign } from "../../action/decide/judgement.ts";
import { pooledNoise } from "../../action/decide/noise.ts";
import { estimatePower, type PowerSettings } from "../../action/decide/power.ts";
import { mean } from "../../action/decide/stats.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

const policy = (minDelta: number): Policy => ({
  rule: "primary",
  objectives: [{ name: "s", goal: "maximize", minDelta }],
  guards: {},
  confidence: 0.95,
  maxRuns: 5,
  simplification: false,
});

/**
 * One candidate measured as evaluate-paired.ts does it, written out apart from power.ts (as
 * test/unit/paired.test.ts's candidate()): a first run screened against 10 incumbent runs at
 * `screenAt` sds, then pairs, judged by the real judge; a keep on the first pair reopened by the
 * run after it.
 */
function direct(effect: number, draw: () => number, screenAt: number) {
  const old = Array.from({ length: 10 }, draw);
  const others = Array.from({ length: 30 }, draw);
  const noise = { s: pooledNoise([old, others]) };
  const sd = noise.s.sd;
  const minDelta = 0.25 * sd;
  const cand = [effect + draw()];
  const screen = judge({
    policy: policy(Math.max(minDelta, screenAt * sd)),
    incumbent: { s: old },
    candidate: { s: cand },
    noise,
  });
  if (screen.final) return { kept: screen.status === "keep", runs: 1 };
  const inc = [draw()];
  // The first pair is a look where the incumbent's run in it agrees with the bar.
  const agrees = firstPairAgrees((inc[0]! - mean(old)) / sd, old.length);
  const paired: PairedDesign = {
    first: "screened",
    screenedAgainst: 10,
    screenSd: screenAt,
    ...(agrees ? { firstPairKeeps: true } : {}),
  };
  const pairs = () =>
    judge({
      policy: policy(minDelta),
      incumbent: { s: inc },
      candidate: { s: cand },
      noise,
      paired,
    });
  let j = pairs();
  while (!j.final) {
    cand.push(effect + draw());
    inc.push(draw());
    j = pairs();
  }
  if (j.status !== "keep" || !agrees || inc.length !== 1)
    return { kept: j.status === "keep", runs: cand.length + inc.length };
  // Kept on its first pair: its run after the keep, no better than the bar or the incumbent's
  // run beside it, reopens it; fresh pairs from that run on decide.
  const after = effect + draw();
  if (after > Math.max(mean(old), inc[0]!)) return { kept: true, runs: 2 };
  const fresh = { c: [after], i: [draw()] };
  const again = () =>
    judge({
      policy: policy(minDelta),
      incumbent: { s: fresh.i },
      candidate: { s: fresh.c },
      noise,
      paired: { first: "fresh" },
    });
  let k = again();
  while (!k.final) {
    fresh.c.push(effect + draw());
    fresh.i.push(draw());
    k = again();
  }
  return { kept: k.status === "keep", runs: 2 + fresh.c.length + fresh.i.length };
}

function directRate(trials: number, seed: number, effect: number, screenAt: number) {
  const draw = gaussian(createRandom(seed));
  let kept = 0;
  let runs = 0;
  for (let i = 0; i < trials; i++) {
    const r = direct(effect, draw, screenAt);
    kept += r.kept ? 1 : 0;
    runs += r.runs;
  }
  return { keepRate: kept / trials, evalsPerCandidate: runs / trials };
}

const unpaired: PowerSettings = {
  incumbentRuns: 5,
  maxRuns: 5,
  confidence: 0.95,
  minDeltaSd: 0.25,
  extraNoiseRuns: 30,
};
const paired = (screenSd: number): PowerSettings => ({
  ...unpaired,
  paired: { first: "screened", screenSd, screenRuns: 10 },
});

describe("estimatePower simulates the paired rule (decide.paired)", () => {
  it("matches a direct simulation with the real judge at the low screen and at 2 sd", () => {
    for (const screen of [0.25, 2]) {
      const est = estimatePower(2, paired(screen), 2000, 3);
      const ref = directRate(2000, 4, 2, screen);
      // 2,000 trials each: a rate near 0.5-0.85 is known to about ±1.1% (one se).
      expect(Math.abs(est.keepRate - ref.keepRate), `screen ${screen}`).toBeLessThan(0.045);
      expect(Math.abs(est.evalsPerCandidate - ref.evalsPerCandidate)).toBeLessThan(0.25);
    }
    const low = estimatePower(2, paired(0.25), 2000, 5).keepRate;
    const high = estimatePower(2, paired(2), 2000, 5).keepRate;
    expect(low).toBeGreaterThan(0.7);
    expect(low).toBeLessThan(0.9);
    expect(high).toBeLessThan(low - 0.15);
  });

  it("pairs from the first run keep at most 1 - confidence: the trial's runs count once in the boundary", () => {
    // The noise a trial is judged on holds its own runs (evaluate-paired.ts), pooled again with
    // their differences. With the boundary told the differences' degrees of freedom only came
    // with the trial, 244 of 20,000 no-ops were kept at 0.99 (1.22%), where 200 are allowed.
    const fresh: PowerSettings = {
      incumbentRuns: 3,
      maxRuns: 10,
      confidence: 0.99,
      minDeltaSd: 0.25,
      extraNoiseRuns: 18,
      paired: { first: "fresh" },
    };
    // 20,000 trials: 200 keeps due at 1%, known to about ±14.
    expect(estimatePower(0, fresh, 20_000, 4242).keepRate).toBeLessThanOrEqual(0.0105);
  });

  it("keeps at most 5.5% of candidates that do nothing, at every screen", () => {
    for (const screen of [0.25, 1, 2]) {
      const r = estimatePower(0, paired(screen), 4000, 6);
      expect(r.keepRate, `screen ${screen}`).toBeLessThan(0.055);
    }
  });

  it("simulates a screen's second look: at most 5.5% of no-ops kept, more +2 sd changes than one look", () => {
    const grey = (screenSd: number, from: number, mean: number): PowerSettings => ({
      ...unpaired,
      paired: { first: "screened", screenSd, screenRuns: 10, grey: { from, mean } },
    });
    const zero = estimatePower(0, grey(1.5, 0.5, 1.25), 4000, 9);
    expect(zero.keepRate).toBeLessThan(0.055);
    // A no-op in the zone costs its second run: more runs than one look at the same screen.
    expect(zero.evalsPerCandidate).toBeGreaterThan(
      estimatePower(0, paired(1.5), 4000, 9).evalsPerCandidate + 0.2,
    );
    const two = estimatePower(2, grey(1.5, 0.5, 1.25), 2000, 10).keepRate;
    const one = estimatePower(2, paired(1.5), 2000, 10).keepRate;
    expect(two - one).toBeGreaterThan(0.05);
  });

  it("counts the incumbent's runs beside a candidate in its eval runs", () => {
    // A +6 sd change passes the screen and is kept on its first pair (2 runs, 1 the incumbent's),
    // on two (4 runs) where the incumbent's run in it left the bar, about 1 time in 20.
    const sure = estimatePower(6, paired(0.25), 500, 7);
    expect(sure.keepRate).toBeGreaterThan(0.99);
    expect(sure.evalsPerCandidate).toBeGreaterThan(2.02);
    expect(sure.evalsPerCandidate).toBeLessThan(2.3);
    // Unpaired, the same change costs the candidate's 2 runs only.
    expect(estimatePower(6, unpaired, 500, 7).evalsPerCandidate).toBeCloseTo(2, 1);
    // Most no-ops stop at their first run behind a 2 sd screen.
    expect(estimatePower(0, paired(2), 1000, 8).evalsPerCandidate).toBeLessThan(1.3);
  });
});

function config(extra: string): Config {
  const parsed = parseConfigText(`name: p
target: [t.txt]
eval:
  command: node eval.js
  metrics:
    loss: { goal: minimize }
${extra}`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

describe("autoexp check's power figures follow the config's rule", () => {
  it("simulates pairs with a screen unless decide.paired is off, eval.repeats is over 1, or runs share a folder", () => {
    const auto = checkRule(config(""), 0.25);
    expect(auto.settings.paired).toEqual({ first: "screened", screenSd: 0.25, screenRuns: 10 });
    expect(auto.screens).toEqual([0.25, 2]);
    expect(checkRule(config("decide: { screen_sd: 1 }"), 0.25).screens).toEqual([1]);
    // The screen never sits under min_delta.
    expect(checkRule(config("decide: { screen_sd: 0.1 }"), 0.5).screens).toEqual([0.5]);
    expect(checkRule(config("decide: { paired: false }"), 0.25).settings.paired).toBeUndefined();
    const repeats = config("");
    expect(
      checkRule({ ...repeats, eval: { ...repeats.eval, repeats: 3 } }, 0.25).settings.paired,
    ).toBeUndefined();
    expect(checkRule(config("isolation: { shared: [/tmp] }"), 0.25).settings.paired).toEqual({
      first: "fresh",
    });
  });

  it("says both ends of decide.screen_sd auto, and one figure for a fixed screen", () => {
    const c = config("");
    const [mde, effect] = powerLines(c, checkRule(c, 0.25), 0.1, "loss", 0.2);
    expect(mde!.text).toMatch(
      /^improvements autoexp keeps 80% of the time: about 2 sd = 0\.2 in loss at the starting screen, 3 sd = 0\.3 if the night's proposals push the screen to 2 sd \(decide\.screen_sd: auto; to hold it at the starting screen all night, set decide\.screen_sd: 0\.25\)/,
    );
    expect(effect!.text).toMatch(
      /^an improvement of 0\.2 is 2\.00 sd: autoexp would keep it about (\d+)% of the time at the starting screen, (\d+)% if the night's proposals push the screen to 2 sd \(decide\.screen_sd: auto; to hold it at the starting screen all night, set decide\.screen_sd: 0\.25\): fine$/,
    );
    const [, low, high] = effect!.text.match(/about (\d+)%.*?, (\d+)%/)!.map(Number);
    expect(low).toBeGreaterThanOrEqual(80);
    expect(high).toBeLessThan(low! - 15);
    expect(effect!.power).toMatchObject({
      rule: "paired",
      at: [{ screenSd: 0.25 }, { screenSd: 2 }],
    });
    const second = config(
      "decide: { screen_sd: { at: 1.5, second_look: { from: 0.5, mean: 1.25 } } }",
    );
    const rule = checkRule(second, 0.25);
    expect(rule.settings.paired).toMatchObject({ screenSd: 1.5, grey: { from: 0.5, mean: 1.25 } });
    const [, withSecond] = powerLines(second, rule, 0.1, "loss", 0.2);
    expect(withSecond!.text).toMatch(
      /keep it about \d+% of the time with the screen at 1\.5 sd and a second run from 0\.5 sd \(the two runs' mean at 1\.25 sd\) \(decide\.screen_sd\): /,
    );
    const fixed = config("decide: { screen_sd: 1 }");
    const [, one] = powerLines(fixed, checkRule(fixed, 0.25), 0.1, "loss", 0.2);
    expect(one!.text).toMatch(
      /keep it about \d+% of the time with the screen at 1 sd \(decide\.screen_sd\): /,
    );
    // Paired, a candidate that changes nothing costs more than its own run: pairs beside it.
    expect(noOpEvals(checkRule(c, 0.25))).toBeGreaterThan(2);
  });
});
