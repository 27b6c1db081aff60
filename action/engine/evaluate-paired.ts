import type { Stop } from "../decide/budget.ts";
import { withMinDeltas } from "../decide/build-policy.ts";
import { comparePaired } from "../decide/compare.ts";
import { evidence } from "../decide/evidence.ts";
import { creditedScreen } from "../decide/first-pair.ts";
import { type Judgement, judge } from "../decide/judge.ts";
import type { PairedDesign } from "../decide/judgement.ts";
import { SCREEN_RUNS } from "../decide/ledger-runs.ts";
import { type Noise, UNKNOWN_NOISE } from "../decide/noise.ts";
import { pairNoise } from "../decide/pair-noise.ts";
import type { Policy, Samples } from "../decide/policy.ts";
import { meansOf } from "../decide/samples.ts";
import { mean } from "../decide/stats.ts";
import { changeOfGain } from "../ledger/night-figures.ts";
import { afterKeepRuns } from "./eval-runs.ts";
import { type Candidate, type EngineContext, judged, type Verdict } from "./experiment.ts";
import { firstSideFirst } from "./pair-order.ts";
import {
  firstPair,
  type IncumbentRuns,
  keptLevels,
  reopenedBy,
  screenFor,
  screenHistory,
  secondLook,
} from "./paired-screen.ts";
import { drawSeed, PairedTrial } from "./paired-trial.ts";
import type { Slot } from "./slot.ts";

export interface PairedSetup {
  /** The incumbent's runs to screen against: on this slot's stratum, latest last. */
  incumbent: Samples;
  /** The incumbent's runs on every stratum, for a keep's level there (paired-screen.ts). */
  runs: IncumbentRuns;
  /**
   * Run-to-run noise pooled over the night (within strata with several workers), this trial's
   * runs included: the candidate's and the incumbent's beside it, each a group. The paired test
   * pools it with the differences, so those runs count twice. Kept so: a step in the machine's
   * speed inside the trial, which the runs' groups see and the differences (two pairs, one of
   * them fooled) hardly do, was kept 2 times in 3 judged on the night's runs before the trial
   * alone (deciding.test.ts, "the same step"). But the boundary is given only the degrees of
   * freedom known before the trial (compare.ts, priorDf): told the trial's brought more, pairs
   * from the first run were kept 1.22 times as often as allowed at 0.99 (bench/calibration.ts).
   */
  noise: (candidate: Samples, incumbentSide: Samples) => Record<string, Noise>;
  /**
   * The same within one worker (JudgeInput.pairPrior), where it differs: both sides of a pair run
   * on one. With workers compared within a device kind, `noise` holds what the workers' devices
   * differ by: on two CPU workers 30 sd apart (strata.test.ts) it read 13 times the noise of a
   * run. Absent, `noise` is the pairs' too.
   */
  pairPrior?: (candidate: Samples, incumbentSide: Samples) => Record<string, Noise>;
  linesDelta: number | undefined;
}

/** What the screen leaves to the pairs (screenFirstRuns), or how it ended the trial. */
type Screened =
  | { ended: Verdict | Stop }
  | {
      /** The screen's last judgement: final where it decided, else what the pairs go on from. */
      judgement: Judgement | null;
      design: PairedDesign;
      /**
       * A first pair set aside (its incumbent run far from the bar, left out of the test and the
       * report with the candidate's screened runs): that run's distance from the bar in run sds.
       */
      aside: number | null;
      /** Runs the screen looked at before the pairs: two after a second look (the grey zone). */
      screened: number;
    };

/**
 * Step 3 measured in pairs (decide.paired). The candidate's first run is screened against the
 * incumbent's latest runs on this slot's stratum: a candidate that is not promising is discarded
 * on that one run (drift there can only cost power, never a keep). One that passes is measured
 * beside the incumbent on this slot: the incumbent's run right after the screened run makes the
 * first pair, later pairs run in an order drawn from each pair's seed, and both sides of a pair
 * get the same AUTOEXP_SEED (common random numbers for a harness that seeds with it). The keep is
 * decided on the paired differences alone (judge.ts, boundary.ts "screened"), so a machine that
 * speeds up or slows down between pairs moves both sides alike. With no incumbent runs on this
 * stratum yet, pairs start at once ("fresh"). The incumbent's runs are recorded as its re-measure
 * (paired_with this experiment), with each pair's seed. A run of the incumbent that fails makes
 * the eval unreliable: a `broken` stop, which ends the batch.
 */
export async function evaluatePaired(
  ctx: EngineContext,
  candidate: Candidate,
  slot: Slot,
  setup: PairedSetup,
): Promise<Verdict | Stop> {
  const { iteration, parent } = candidate;
  const { config } = ctx;
  const policy = trialPolicy(ctx.policy, candidate.wonAgainst);
  const trial = new PairedTrial(ctx, candidate, slot, setup.linesDelta);
  const { cand, inc } = trial;
  // The night's first runs as this candidate began: a keep's level is fitted on them.
  const history = screenHistory(ctx);
  const pairSpread = pairNoise(
    ctx.store.log!,
    policy.objectives.map((o) => o.name),
  );
  const first = await screenFirstRuns(ctx, trial, setup, candidate.wonAgainst);
  if ("ended" in first) return first.ended;
  const { aside, screened } = first;
  let design = first.design;
  // Kept on its first pair and reopened by its run after the keep (paired-screen.ts, reopenedBy):
  // why. That pair is then set aside as one whose incumbent run left its bar is.
  let reopened: string | null = null;
  const setAside = () => aside !== null || reopened !== null;
  // After a second look the pairs start at the second run: the first was only screened. With its
  // first pair set aside, after every screened run, and after the incumbent's first run.
  const paired = () => withoutFirstRuns(cand, setAside() ? screened : screened === 2 ? 1 : 0);
  const incPaired = () => withoutFirstRuns(inc, setAside() ? 1 : 0);
  const judgePairs = () => {
    const noise = setup.noise(cand, inc);
    return judge({
      policy: withMinDeltas(policy, config, noise),
      incumbent: incPaired(),
      candidate: paired(),
      noise,
      pairNoise: pairSpread,
      pairPrior: setup.pairPrior?.(cand, inc),
      paired: design,
      linesDelta: setup.linesDelta,
    });
  };
  let judgement = design.first === "screened" ? judgePairs() : first.judgement;
  let afterKeep: Verdict["afterKeep"];
  // Kept against an incumbent a keep elsewhere replaced meanwhile: when it was (steps.ts records it).
  let replacedIn: Verdict["replacedIn"];
  let judgedRuns = 0;
  for (;;) {
    while (!judgement?.final) {
      const by = trial.runs > 0 ? trial.replacedBy() : null;
      if (by !== null) return trial.stopped(by);
      if (judgement)
        ctx.emit({ type: "run", iteration, run: trial.runs + 1, reason: judgement.reason });
      if ((incPaired()[ctx.metric]?.length ?? 0) >= policy.maxRuns)
        throw new Error("judge gave no final decision within max_runs pairs");
      const seed = drawSeed();
      trial.seeds.push(seed);
      const candidateFirst = firstSideFirst(seed, iteration);
      const before = candidateFirst ? null : await trial.runIncumbent(seed);
      if (before) return before;
      const failed = await trial.runCandidate(seed);
      if (failed) return failed;
      const after = candidateFirst ? await trial.runIncumbent(seed) : null;
      if (after) return after;
      judgement = judgePairs();
    }
    judgedRuns = trial.runs;
    // Its incumbent replaced by a keep elsewhere in its last pair: a keep or a trial out of pairs
    // is tried again on the new one (steps.ts, isStale), and a run after this keep would measure
    // code the record never keeps.
    if (trial.replacedBy() !== null) replacedIn = "trial";
    if (judgement.status !== "keep" || replacedIn) break;
    // Kept: run once more, outside the decision (eval-runs.ts, afterKeepRuns).
    const after = await afterKeepRuns(ctx, slot, candidate, trial.runs, drawSeed);
    trial.runs += after.runs;
    for (const m of after.printedTwice) trial.printedTwice.add(m);
    if (after.failed) {
      trial.took(after.failed.outcome);
      return trial.failed(after.failed.outcome)!;
    }
    const bar = screenBar(setup.incumbent)[ctx.metric] ?? [];
    const decidedOn = incPaired()[ctx.metric]?.length ?? 0;
    const why: string | null =
      reopened === null && design.first === "screened" && aside === null && decidedOn === 1
        ? reopenedBy(ctx, after.afterKeep!.samples[ctx.metric]![0]!, bar, inc[ctx.metric]![0]!)
        : null;
    if (why === null) {
      if (trial.replacedBy() !== null) replacedIn = "after_keep";
      afterKeep = after.afterKeep;
      break;
    }
    // Reopened: the first pair is set aside (its one candidate run chosen by the screen, its keep
    // not borne out), and fresh pairs decide, as after a first pair whose incumbent run left its
    // bar: the runs after the keep are the candidate's side of the first of them, each beside a
    // fresh run of the incumbent with its seed (candidate first: the run was made).
    reopened = why;
    design = { first: "fresh" };
    if (trial.screen)
      trial.screen = { ...trial.screen, record: { ...trial.screen.record, reopened: true } };
    ctx.emit({ type: "run", iteration, run: trial.runs, reason: why });
    trial.adopt({ ...after.afterKeep!, tail: after.tail });
    for (const seed of after.seeds) {
      trial.seeds.push(seed);
      const broken = await trial.runIncumbent(seed);
      if (broken) return broken;
    }
    judgement = judgePairs();
  }
  // The screened runs were chosen for looking good: the last takes part in the test (the boundary
  // accounts for the choice) but none in what the record reports, or the kept code's score, gain
  // and interval would carry their luck (ledger-runs.ts leaves them out of the code's samples too).
  // Kept on its first pair, a candidate has no other runs: the record reports that pair (its side
  // after a second look is its second run), luck and all, and its score after the keep is scored
  // on its run after the keep.
  const unselected = design.first === "screened" && (cand[ctx.metric]?.length ?? 0) > screened;
  const wasPaired = (inc[ctx.metric]?.length ?? 0) > 0;
  const reported = unselected ? withoutFirstRuns(cand, screened) : wasPaired ? paired() : cand;
  const incReported = unselected ? withoutFirstRuns(inc, 1) : incPaired();
  const metrics = meansOf(reported);
  const score = metrics[ctx.metric]!;
  // Against the incumbent measured beside it when paired. Screened out: the change its run(s)
  // showed against the bar on its stratum, as its reason says (the incumbent's record mixes the
  // workers' devices: a run on one that reads high showed +2.93 where its reason said 0.03).
  const screenGain =
    !wasPaired && judgement.evidence?.metric === ctx.metric ? judgement.evidence.gain : undefined;
  const delta = wasPaired
    ? mean(reported[ctx.metric]!.slice(0, incReported[ctx.metric]!.length)) -
      mean(incReported[ctx.metric]!)
    : screenGain !== undefined
      ? changeOfGain(screenGain, ctx.goal)
      : score - parent.score;
  const tested = judgement.evidence;
  if (unselected && tested) {
    const o = policy.objectives.find((x) => x.name === tested.metric);
    // What the record reports leaves the screened run out; the test that decided, kept beside it.
    const decided = tested.boundary
      ? { runs: tested.runs, gain: tested.gain, ...tested.boundary }
      : undefined;
    if (o)
      judgement = {
        ...judgement,
        evidence: {
          ...evidence(
            comparePaired(
              o,
              incReported[o.name] ?? [],
              reported[o.name] ?? [],
              (setup.pairPrior ?? setup.noise)(cand, inc)[o.name] ?? UNKNOWN_NOISE,
              pairSpread[o.name],
            ),
            policy.confidence,
          ),
          ...(decided ? { decided } : {}),
        },
      };
  }
  if (aside !== null)
    judgement = {
      ...judgement,
      reason: `${judgement.reason} (its first pair set aside: the incumbent's run in it read ${Math.abs(aside)} sd ${aside > 0 ? "better" : "worse"} than the runs the candidate was screened against)`,
    };
  if (reopened !== null) judgement = { ...judgement, reason: `${judgement.reason} (${reopened})` };
  const hasGuards = Object.keys(policy.guards).length > 0;
  const kept = judgement.final && judgement.status === "keep";
  const level = kept
    ? // A first pair set aside may hold a step: the level is read from the pairs that decided.
      keptLevels(
        ctx,
        history,
        setup.runs,
        incPaired(),
        setAside() ? paired() : cand,
        setup.noise(cand, inc)[ctx.metric]?.sd ?? 0,
      )
    : null;
  return judged(judgement, {
    judgedAgainst: parent.iteration,
    score,
    delta: Number(delta.toPrecision(12)),
    metrics,
    samples: cand,
    guard_pass: hasGuards ? judgement.status !== "guard_fail" : null,
    ...trial.ranHere(judgedRuns),
    ...(level ? { level } : {}),
    ...(afterKeep ? { afterKeep } : {}),
    ...(replacedIn ? { replacedIn } : {}),
  });
}

/**
 * The screen: the candidate's first run against the incumbent's latest runs on this stratum, a
 * second where it falls in the grey zone, and the incumbent's run beside the screened one (the
 * first pair). Says how the pairs go on, or how it ended the trial.
 */
async function screenFirstRuns(
  ctx: EngineContext,
  trial: PairedTrial,
  setup: PairedSetup,
  wonAgainst: number | undefined,
): Promise<Screened> {
  const { policy, config } = ctx;
  const { cand, inc } = trial;
  const against = screenBar(setup.incumbent);
  const screenRuns = against[ctx.metric]?.length ?? 0;
  const fresh = { first: "fresh" } as const;
  if (screenRuns === 0) return { judgement: null, design: fresh, aside: null, screened: 0 };
  let seed = drawSeed();
  const failed = await trial.runCandidate(seed);
  if (failed) return { ended: failed };
  const noise = setup.noise(cand, {});
  const withDeltas = withMinDeltas(policy, config, noise);
  let screen = screenFor(ctx, withDeltas, noise, against, cand);
  // It beat the incumbent it was re-applied from: measured against the bar for the record, not
  // screened on it (no grey zone); the incumbent runs beside it, and pairs decide with the
  // boundary for a first run no screen chose (boundary.ts, "unscreened"). Not the boundary of the
  // screen it would have met: that credits a selection this run did not have, and a change whose
  // gain the new incumbent already holds (two workers' changes that do the same thing) won its
  // first trial and would be kept on the second as a change that does nothing: behind a screen at
  // 2 sd, 18.9% of the time where the confidence allows 5% (bench/retrial.ts).
  if (screen && wonAgainst !== undefined)
    screen = { ...screen, grey: null, record: { ...screen.record, won_against: wonAgainst } };
  trial.screen = screen;
  let judgement: Judgement | null =
    screen?.record.won_against !== undefined
      ? null
      : judge({
          policy: screen ? screen.policy : withDeltas,
          incumbent: against,
          candidate: cand,
          noise,
          linesDelta: setup.linesDelta,
        });
  if (screen && judgement?.final && judgement.status === "discard" && screen.raised)
    judgement = { ...judgement, reason: screen.reason };
  let screened = 1;
  const early = judgement?.final ? null : trial.replacedBy();
  if (early !== null) return { ended: trial.stopped(early) };
  if (judgement && !judgement.final && screen?.grey) {
    // Under the screen, in its grey zone: a second run, and the two runs' mean decides.
    ctx.emit({
      type: "run",
      iteration: trial.iteration,
      run: trial.runs + 1,
      reason: "in the screen's grey zone",
    });
    seed = drawSeed();
    const failedAgain = await trial.runCandidate(seed);
    if (failedAgain) return { ended: failedAgain };
    const noise2 = setup.noise(cand, {});
    const look = secondLook(ctx, { ...screen, grey: screen.grey }, noise2, against, cand);
    screen = { ...screen, record: look.record };
    trial.screen = screen;
    judgement = judge({
      policy: look.policy,
      incumbent: against,
      candidate: look.mean,
      noise: noise2,
      linesDelta: setup.linesDelta,
    });
    if (judgement.final && judgement.status === "discard")
      judgement = { ...judgement, reason: look.reason };
    screened = 2;
  }
  const passed = judgement?.final ? null : trial.replacedBy();
  if (passed !== null) return { ended: trial.stopped(passed) };
  if (judgement?.final) return { judgement, design: fresh, aside: null, screened };
  trial.seeds.push(seed);
  const broken = await trial.runIncumbent(seed);
  if (broken) return { ended: broken };
  if (!screen)
    return {
      judgement,
      design: { first: "screened", screenedAgainst: screenRuns },
      aside: null,
      screened,
    };
  const beside = firstPair(ctx, screen, setup.noise(cand, inc), against, inc[ctx.metric]![0]!);
  const record = beside.record;
  trial.screen = { ...screen, record };
  // The incumbent's run beside the screened one stood far from the bar: the machine may have
  // changed between the pair's two runs (a step), which reads as the candidate's gain, and
  // counted in, the next pair would not outweigh it. The pair is set aside, and fresh pairs
  // decide, in drawn order, the first screened at min_delta (boundary.ts "fresh").
  if (!beside.keeps) return { judgement, design: fresh, aside: record.incumbent_z!, screened };
  const design: PairedDesign = {
    first: "screened",
    screenedAgainst: screenRuns,
    // The boundary is the design's, whichever look the candidate passed on, taken down where a
    // machine that sped up left the bars behind (decide/first-pair.ts, barStaleness).
    ...(record.won_against !== undefined
      ? { unscreened: true as const }
      : creditedScreen(record.at, record.grey, record.stale ?? 0)),
    firstPairKeeps: true,
  };
  return { judgement, design, aside: null, screened };
}

/**
 * A change that beat the incumbent it was made for, tried again on the one a keep elsewhere put in
 * its place, gets RETRIAL_RUNS times max_runs pairs there: it has shown it may help, so the runs
 * that settle it are well spent. A +2 sd change is kept 91.8% of the time over 10 pairs, 84.1%
 * over 5, for 6.2 eval runs a re-trial instead of 5.4 (bench/retrial.ts). Its boundary is the
 * design's over that many looks, so false keeps stay within 1 - confidence (3.9% there).
 */
function trialPolicy(policy: Policy, wonAgainst: number | undefined): Policy {
  return wonAgainst === undefined ? policy : { ...policy, maxRuns: policy.maxRuns * RETRIAL_RUNS };
}

/** How many times max_runs pairs a re-trial of a change that won its first trial gets. */
export const RETRIAL_RUNS = 2;

/** The incumbent's runs a first run is screened against: its latest SCREEN_RUNS on this stratum. */
function screenBar(incumbent: Samples): Samples {
  return Object.fromEntries(Object.entries(incumbent).map(([k, v]) => [k, v.slice(-SCREEN_RUNS)]));
}

function withoutFirstRuns(samples: Samples, k: number): Samples {
  return Object.fromEntries(Object.entries(samples).map(([m, v]) => [m, v.slice(k)]));
}
