import { describe, expect, it } from "vitest";
import {
  candidatesLeft,
  chooseScreen,
  fitEffects,
  HISTORY_WINDOW,
  MIN_HISTORY,
  PER_RUN_SLACK,
  SCREENS,
  type ScreenDesign,
  type ScreenPoint,
  SEVERAL_WORKERS_SLACK,
  screenCurve,
  screenDesigns,
  slackFor,
} from "../../action/decide/screen-choice.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

const settings = { maxRuns: 5, alpha: 0.05, minDelta: 0.25, screenRuns: 10 };

/** First runs of `n` proposals whose true effects (run sds) are drawn by `effect`. */
function firstRuns(n: number, seed: number, effect: (u: number) => number): ScreenPoint[] {
  const random = createRandom(seed);
  const gauss = gaussian(random);
  return Array.from({ length: n }, () => ({
    z: effect(random()) + gauss() + gauss() / Math.sqrt(10),
    against: 10,
  }));
}

/** karpathy's nights, roughly: a fifth help (a few by a lot), half do nothing, the rest harm. */
const sparse = (u: number) => (u < 0.05 ? 8 : u < 0.2 ? 2 : u < 0.65 ? 0 : -4);
/** Most proposals help a little. */
const dense = (u: number) => (u < 0.8 ? 1 : 0);

/** bench/noise's plan: 61% of proposals do nothing, 30% gain 2 sd, 9% harm by 2 sd. */
const benchNoise = () => firstRuns(165, 7, (u) => (u < 100 / 165 ? 0 : u < 150 / 165 ? 2 : -2));

/** Every design's true gain kept and eval runs spent per proposal, under the fit to `history`. */
function rateDesigns(history: ScreenPoint[]) {
  const weights = fitEffects(history);
  return screenDesigns(0.25).map((design) => {
    const curve = screenCurve(design, settings);
    let gain = 0;
    let runs = 0;
    weights.forEach((w, j) => {
      gain += w * curve.keep[j]! * (-12 + j * 0.5);
      runs += w * curve.runs[j]!;
    });
    return { design, gain, runs, perRun: gain / runs, perProposal: gain };
  });
}

/** The rating of the design `choice` is. */
function ratingOf(rated: ReturnType<typeof rateDesigns>, choice: ScreenDesign) {
  return rated.find(
    (r) =>
      r.design.at === choice.at &&
      r.design.grey?.from === choice.grey?.from &&
      r.design.grey?.mean === choice.grey?.mean,
  )!;
}

describe("the screen chosen from the night's first runs (decide.screen_sd: auto)", () => {
  it("is min_delta's until there are enough first runs, and says so", () => {
    const c = chooseScreen(firstRuns(MIN_HISTORY - 1, 1, sparse), settings);
    expect(c.at).toBe(0.25);
    expect(c.why).toContain(`${MIN_HISTORY - 1} of ${MIN_HISTORY} first runs`);
    // A larger min_delta is the lowest screen.
    expect(chooseScreen([], { ...settings, minDelta: 0.6 }).at).toBe(0.6);
  });

  it("recovers the distribution of true effects behind noisy first runs", () => {
    const w = fitEffects(firstRuns(600, 2, (u) => (u < 0.7 ? 0 : 3)));
    const grid = (j: number) => -12 + j * 0.5;
    const mass = (lo: number, hi: number) =>
      w.reduce((s, x, j) => s + (grid(j) >= lo && grid(j) <= hi ? x : 0), 0);
    expect(mass(-1, 1)).toBeGreaterThan(0.6);
    expect(mass(2, 4)).toBeGreaterThan(0.2);
    expect(mass(-12, -1.5) + mass(5, 22)).toBeLessThan(0.06);
  });

  it("chooses by the night's proposals, and the choice pays in gain per eval run", () => {
    const high = chooseScreen(firstRuns(60, 3, sparse), settings);
    const low = chooseScreen(firstRuns(60, 4, dense), settings);
    // The chooser as it ran before keeps on a first pair: there where a first run gets its second
    // look follows the gains' size.
    const before = { ...settings, firstPairKeeps: false, perRunSlack: 0.1 };
    const common = chooseScreen(
      firstRuns(60, 6, (u) => (u < 0.5 ? 3 : 0)),
      before,
    );
    expect(high.at).toBeGreaterThanOrEqual(1);
    // Where the gains proposed are large (half gain 3 sd), a first run needs less to get its
    // second look than where they are small (1 sd, nearly all).
    const small = chooseScreen(firstRuns(60, 4, dense), before);
    expect(common.grey?.from ?? common.at).toBeLessThan(small.grey?.from ?? small.at);
    // The choice pays: more true gain per eval run than at min_delta's screen.
    for (const c of [high, low]) expect(c.perRun!.chosen).toBeGreaterThan(c.perRun!.lowest * 1.1);
    expect(high.why).toMatch(/chosen from 60 first runs \(about \d+% of proposals help\)/);
  });

  it("takes more slack on several workers, where a re-applied candidate is screened twice", () => {
    const history = benchNoise();
    const rated = rateDesigns(history);
    const perProposal = (d: ScreenDesign) => ratingOf(rated, d).perProposal;
    const one = chooseScreen(history, { ...settings, perRunSlack: slackFor(1) });
    const four = chooseScreen(history, { ...settings, perRunSlack: slackFor(4) });
    expect(slackFor(1)).toBe(PER_RUN_SLACK);
    expect(slackFor(2)).toBe(SEVERAL_WORKERS_SLACK);
    // On bench/noise's plan the several workers' design keeps more of each candidate's gain.
    expect(perProposal(four)).toBeGreaterThan(perProposal(one) * 1.05);
  });

  it("keeps the most gain per proposal among the designs near the most gain per eval run", () => {
    const history = benchNoise();
    const rated = rateDesigns(history);
    const choice = chooseScreen(history, settings);
    const chosen = ratingOf(rated, choice);
    const most = Math.max(...rated.map((r) => r.perRun));
    expect(chosen.perRun).toBeGreaterThanOrEqual((1 - PER_RUN_SLACK) * most);
    for (const r of rated.filter((x) => x.perRun >= (1 - PER_RUN_SLACK) * most))
      expect(chosen.perProposal).toBeGreaterThanOrEqual(r.perProposal);
    // On bench/noise's plan that is a two-look design, and it keeps more per proposal than the
    // design with the most per run.
    expect(choice.grey).toBeDefined();
    const top = rated.find((r) => r.perRun === most)!;
    expect(chosen.perProposal).toBeGreaterThan(top.perProposal);
  });

  it("reads what runs out first: proposals, the most gain per proposal; runs, the most per run", () => {
    const history = benchNoise();
    const rated = rateDesigns(history);
    const rate = (c: ScreenDesign) => ratingOf(rated, c);
    const clock = { runs: Infinity, perProposal: 0 };
    // 30 proposals left and runs for thousands: every design tries all 30.
    const proposals = chooseScreen(history, {
      ...settings,
      left: { proposals: 30, runs: 5000, clock },
    });
    expect(rate(proposals).gain).toBe(Math.max(...rated.map((r) => r.gain)));
    expect(proposals.why).toMatch(
      /the 30 proposals left run out before the runs at [\d.]+ runs a candidate: the most gain per proposal/,
    );
    // 60 runs left and proposals for thousands: the choice is the one made with nothing known.
    const runs = chooseScreen(history, {
      ...settings,
      left: { proposals: 5000, runs: 60, clock },
    });
    const blind = chooseScreen(history, settings);
    expect(rate(runs)).toBe(rate(blind));
    expect(rate(runs).gain).toBeLessThan(rate(proposals).gain);
    expect(rate(runs).runs).toBeLessThan(rate(proposals).runs);
    expect(runs.why).toMatch(/budget\.eval_runs runs out after about \d+ more candidates/);
    // The wall clock binds as runs do, the agent's time per proposal added to each candidate's.
    const byClock = chooseScreen(history, {
      ...settings,
      left: { proposals: 5000, runs: Infinity, clock: { runs: 60, perProposal: 0 } },
    });
    expect(rate(byClock)).toBe(rate(blind));
    expect(byClock.why).toContain("the wall clock runs out");
    // A pipelined agent too slow for the proposals left: its time is what runs out.
    const agent = chooseScreen(history, {
      ...settings,
      left: { proposals: 30, byAgent: true, runs: 5000, clock },
    });
    expect(rate(agent)).toBe(rate(proposals));
    expect(agent.why).toContain(
      "the agent's time for about 30 more proposals runs out before the runs",
    );
  });

  it("chooses by the gain per eval run once less than a candidate's budget is left", () => {
    const history = benchNoise();
    const blind = chooseScreen(history, settings);
    const clock = { runs: Infinity, perProposal: 0 };
    // Every design holds no whole candidate: not the design that spends the most runs.
    for (const left of [
      { proposals: 5000, runs: 0.5, clock },
      { proposals: 0, runs: Infinity, clock },
      { proposals: 10, runs: Infinity, clock: { runs: Infinity, perProposal: Number.NaN } },
    ]) {
      const spent = chooseScreen(history, { ...settings, left });
      expect({ at: spent.at, grey: spent.grey }).toEqual({ at: blind.at, grey: blind.grey });
      expect(spent.why).toContain(
        "less than a candidate's budget is left: the most gain per eval run",
      );
    }
  });

  it("counts the candidates left by the first budget to run out", () => {
    const clock = { runs: 100, perProposal: 1 };
    expect(candidatesLeft({ proposals: 10, runs: Infinity, clock }, 2)).toBe(10);
    expect(candidatesLeft({ proposals: 40, runs: 30, clock }, 2)).toBe(15);
    expect(candidatesLeft({ proposals: 40, runs: Infinity, clock }, 3)).toBe(25);
  });

  it("fits only the latest first runs: a long night's earlier proposals do not weigh in", () => {
    const old = firstRuns(3000, 5, dense);
    const latest = firstRuns(HISTORY_WINDOW, 6, sparse);
    const long = chooseScreen([...old, ...latest], settings);
    const short = chooseScreen(latest, settings);
    expect(long.at).toBe(short.at);
    expect(long.perRun).toEqual(short.perRun);
    expect(long.why).toContain(`chosen from the latest ${HISTORY_WINDOW} first runs`);
  });

  it("models the rule with its boundary: at no effect, at most alpha kept at every screen", () => {
    for (const at of [0.25, 1, 2]) {
      const curve = screenCurve({ at }, settings);
      const zero = 24; // the grid point at effect 0 (-12 + 24 x 0.5)
      expect(curve.keep[zero], `screen ${at}`).toBeLessThanOrEqual(0.06);
      // A large gain is kept on its first pair whatever the screen: its screened run and the
      // incumbent's beside it, then its run after the keep. Where the first pair cannot keep, on
      // its two pairs.
      expect(curve.keep[24 + 16], `screen ${at}`).toBeGreaterThan(0.95);
      expect(curve.runs[24 + 16]).toBeCloseTo(3, 0);
      const two = screenCurve({ at }, { ...settings, firstPairKeeps: false });
      expect(two.keep[zero], `screen ${at}`).toBeLessThanOrEqual(0.06);
      expect(two.runs[24 + 16]).toBeCloseTo(5, 0);
    }
    // A higher screen spends fewer runs on changes that do nothing.
    expect(screenCurve({ at: 2 }, settings).runs[24]!).toBeLessThan(
      screenCurve({ at: 0.25 }, settings).runs[24]!,
    );
  });

  it("models a grey zone's second look: more power than one look at the screen, alpha still held", () => {
    const one = screenCurve({ at: 1.5 }, settings);
    const two = screenCurve({ at: 1.5, grey: { from: 0.5, mean: 1.25 } }, settings);
    const zero = 24;
    const plus2 = 28;
    expect(two.keep[zero]).toBeLessThanOrEqual(0.06);
    // A +2 sd change whose first run fell short gets its second chance...
    expect(two.keep[plus2]! - one.keep[plus2]!).toBeGreaterThan(0.05);
    // ...for a second run only where the first landed in the zone: a change 4 sd worse seldom does.
    expect(two.runs[zero]! - one.runs[zero]!).toBeGreaterThan(0.2);
    expect(two.runs[zero - 8]! - one.runs[zero - 8]!).toBeLessThan(0.05);
  });

  it("lists each screen with grey zones under it, none under min_delta", () => {
    const designs = screenDesigns(0.25);
    expect(designs.filter((d) => !d.grey).map((d) => d.at)).toEqual([...SCREENS]);
    for (const d of designs.filter((x) => x.grey)) {
      expect(d.grey!.from).toBeGreaterThanOrEqual(0.25);
      expect(d.grey!.from).toBeLessThan(d.at);
      expect(d.grey!.mean).toBeLessThanOrEqual(d.at);
    }
    expect(screenDesigns(0.25).filter((d) => d.at === 0.25 && d.grey)).toEqual([]);
    expect(screenDesigns(1.2).every((d) => d.at >= 1.2 && (d.grey?.from ?? 2) >= 1.2)).toBe(true);
  });
});
