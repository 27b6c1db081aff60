import { randomInt } from "node:crypto";
import type { Stop } from "../decide/budget.ts";
import { withMinDeltas, withWeightedScore } from "../decide/build-policy.ts";
import { comparePaired } from "../decide/compare.ts";
import { evidence } from "../decide/evidence.ts";
import { creditedScreen } from "../decide/first-pair.ts";
import { type Judgement, judge } from "../decide/judge.ts";
import type { PairedDesign } from "../decide/judgement.ts";
import { SCREEN_RUNS } from "../decide/ledger-runs.ts";
import { lastKept } from "../decide/ledger-state.ts";
import { type Noise, UNKNOWN_NOISE } from "../decide/noise.ts";
import { pairNoise } from "../decide/pair-noise.ts";
import type { Samples } from "../decide/policy.ts";
import { addSamples, meansOf } from "../decide/samples.ts";
import { mean } from "../decide/stats.ts";
import { afterKeepRuns, candidateRun, incumbentRun, runFailure } from "./eval-runs.ts";
import {
  type Candidate,
  type EngineContext,
  type FailedVerdict,
  judged,
  type LostVerdict,
  type Verdict,
} from "./experiment.ts";
import { firstSideFirst } from "./pair-order.ts";
import {
  firstPair,
  type IncumbentRuns,
  keptLevels,
  type Screen,
  screenFor,
  screenHistory,
  secondLook,
} from "./paired-screen.ts";
import { round } from "./propose.ts";
import type { CheckedOutcome, Slot } from "./slot.ts";

export interface PairedSetup {
  /** The incumbent's runs to screen against: on this slot's stratum, latest last. */
  incumbent: Samples;
  /** The incumbent's runs on every stratum, for a keep's level there (paired-screen.ts). */
  runs: IncumbentRuns;
  /**
   * Run-to-run noise pooled over the night (within strata with several workers), this trial's
   * runs included: the candidate's and the incumbent's beside it, each a group. The paired test
   * pools it with the differences, so those runs count twice and the test claims up to n - 1
   * degrees of freedom more than it has. Kept so: judged on the night's runs before the trial
   * alone, no false keep fewer was measured (bench/paired-model.ts --baseline-runs 3, 0.99 and
   * 0.999), and a step in the machine's speed inside the trial, which the runs' groups see and the
   * differences (two pairs, one of them fooled) hardly do, was kept 2 times in 3
   * (deciding.test.ts, "the same step").
   */
  noise: (candidate: Samples, incumbentSide: Samples) => Record<string, Noise>;
  linesDelta: number | undefined;
}

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
  const commit = candidate.commit!;
  const { policy, config } = ctx;
  const log = ctx.store.log!;
  const baselineMeans = log.config!.baseline_metrics ?? {};
  const here = { worker: slot.id, device: slot.device };
  const cand: Record<string, number[]> = {};
  const inc: Record<string, number[]> = {};
  // The night's first runs as this candidate began: a keep's level is fitted on them.
  const history = screenHistory(ctx);
  const incOn: (typeof here)[] = [];
  const seeds: number[] = [];
  const printedTwice = new Set<string>();
  let evalSeconds = 0;
  let incSeconds = 0;
  let tail = "";
  let runs = 0;
  const pairSpread = pairNoise(
    log,
    policy.objectives.map((o) => o.name),
  );

  const runCandidate = async (seed: number): Promise<CheckedOutcome> => {
    const outcome = await candidateRun(ctx, slot, commit, iteration, runs++, {
      ...ctx.evalEnv,
      AUTOEXP_SEED: String(seed),
    });
    evalSeconds += outcome.durationMs / 1000;
    tail = outcome.tail;
    for (const m of outcome.printedTwice) printedTwice.add(m);
    return outcome;
  };
  const runIncumbent = async (seed: number): Promise<Stop | null> => {
    const measured = await incumbentRun(
      ctx,
      slot,
      parent,
      `${iteration}-${runs}-incumbent-${incOn.length}`,
      { ...ctx.evalEnv, AUTOEXP_SEED: String(seed) },
    );
    if ("kind" in measured) return measured;
    incSeconds += measured.seconds;
    addSamples(inc, measured.metrics);
    incOn.push(here);
    return null;
  };
  const concurrent = () =>
    incOn.length > 0
      ? {
          concurrent: {
            samples: inc,
            runsOn: incOn,
            evalSeconds: round(incSeconds),
            paired: true as const,
            seeds,
          },
        }
      : {};
  /** A run that did not give a score ends the experiment, as unpaired. */
  const failedRun = (outcome: CheckedOutcome): FailedVerdict | null => {
    const failed = runFailure(outcome, runs - 1);
    if (!failed) return null;
    return {
      judgedAgainst: parent.iteration,
      score: null,
      delta: null,
      guard_pass: null,
      commit,
      ...(candidate.key ? { key: candidate.key } : {}),
      evalSeconds: round(evalSeconds),
      tail,
      samples: cand,
      ...concurrent(),
      ...failed,
    };
  };

  let screen: Screen | null = null;
  // What a verdict of this trial records of its runs, whatever ended it: the first `ranRuns` on
  // this worker.
  const ranHere = (ranRuns: number) => ({
    commit,
    ...(candidate.key ? { key: candidate.key } : {}),
    tail,
    evalSeconds: round(evalSeconds),
    ...(setup.linesDelta !== undefined ? { linesDelta: setup.linesDelta } : {}),
    ...(printedTwice.size > 0 ? { printedTwice: [...printedTwice] } : {}),
    ...(screen ? { screen: screen.record } : {}),
    ...(ctx.workers > 1 ? { runsOn: Array.from({ length: ranRuns }, () => here) } : {}),
    ...concurrent(),
  });
  // A keep elsewhere (several workers, pipelining) replaced the incumbent it is judged against:
  // the keep that did, or null. Read from the record as it stands now.
  const replacedBy = (): number | null => {
    const now = lastKept(ctx.store.log!.results)?.iteration;
    return now === undefined || now === parent.iteration ? null : now;
  };
  /**
   * Still in the running when a keep replaced its incumbent: stopped at this run boundary,
   * neither lost nor kept, and re-applied onto the new incumbent (steps.ts, isStale), where it is
   * tried once, from its screen on. Finished, a trial against an incumbent the record has left
   * could only lead to a second trial (a win is judged again on the new one): on four workers,
   * 41.6% of the +2 sd changes won a first trial and only 63.9% of those the second (bench/noise
   * --changes slots). The runs it made stay in the verdict for a record that ends here (the
   * batch stops before it is re-applied).
   */
  const stopped = (by: number): LostVerdict => {
    const metrics = meansOf(cand);
    const score = metrics[ctx.metric]!;
    return {
      status: "discard",
      undecided: true,
      stopped: true,
      judgedAgainst: parent.iteration,
      score,
      delta: Number((score - parent.score).toPrecision(12)),
      metrics,
      samples: cand,
      guard_pass: null,
      reason: `stopped after ${runs} run${runs === 1 ? "" : "s"}, still in the running: #${by} replaced #${parent.iteration}, the incumbent it was judged against, meanwhile`,
      ...ranHere(runs),
    };
  };

  let design: PairedDesign = { first: "fresh" };
  // A first pair set aside (its incumbent run far from the bar, left out of the test and the
  // report with the candidate's screened runs): that run's distance from the bar in run sds.
  let aside: number | null = null;
  let judgement: Judgement | null = null;
  const screenAgainst = Object.fromEntries(
    Object.entries(setup.incumbent).map(([k, v]) => [k, v.slice(-SCREEN_RUNS)]),
  );
  const screenRuns = screenAgainst[ctx.metric]?.length ?? 0;
  // Runs the screen looked at before the pairs: two after a second look (the grey zone).
  let screened = 0;
  if (screenRuns > 0) {
    let seed = randomInt(1, 2 ** 31);
    const outcome = await runCandidate(seed);
    const failed = failedRun(outcome);
    if (failed) return failed;
    addSamples(cand, withWeightedScore(outcome.metrics, config, baselineMeans));
    const noise = setup.noise(cand, {});
    const withDeltas = withMinDeltas(policy, config, noise);
    screen = screenFor(ctx, withDeltas, noise, screenAgainst, cand);
    judgement = judge({
      policy: screen ? screen.policy : withDeltas,
      incumbent: screenAgainst,
      candidate: cand,
      noise,
      linesDelta: setup.linesDelta,
    });
    if (screen && judgement.final && judgement.status === "discard" && screen.raised)
      judgement = { ...judgement, reason: screen.reason };
    screened = 1;
    const early = judgement.final ? null : replacedBy();
    if (early !== null) return stopped(early);
    if (!judgement.final && screen?.grey) {
      // Under the screen, in its grey zone: a second run, and the two runs' mean decides.
      ctx.emit({ type: "run", iteration, run: runs + 1, reason: "in the screen's grey zone" });
      seed = randomInt(1, 2 ** 31);
      const again = await runCandidate(seed);
      const failedAgain = failedRun(again);
      if (failedAgain) return failedAgain;
      addSamples(cand, withWeightedScore(again.metrics, config, baselineMeans));
      const noise2 = setup.noise(cand, {});
      const look = secondLook(ctx, { ...screen, grey: screen.grey }, noise2, screenAgainst, cand);
      screen = { ...screen, record: look.record };
      judgement = judge({
        policy: look.policy,
        incumbent: screenAgainst,
        candidate: look.mean,
        noise: noise2,
        linesDelta: setup.linesDelta,
      });
      if (judgement.final && judgement.status === "discard")
        judgement = { ...judgement, reason: look.reason };
      screened = 2;
    }
    const passed = judgement.final ? null : replacedBy();
    if (passed !== null) return stopped(passed);
    if (!judgement.final) {
      seeds.push(seed);
      const broken = await runIncumbent(seed);
      if (broken) return broken;
      const beside = screen
        ? firstPair(ctx, screen, setup.noise(cand, inc), screenAgainst, inc[ctx.metric]![0]!)
        : null;
      if (screen && beside) screen = { ...screen, record: beside.record };
      if (beside && !beside.keeps) {
        // The incumbent's run beside the screened one stood far from the bar: the machine may have
        // changed between the pair's two runs (a step), which reads as the candidate's gain, and
        // counted in, the next pair would not outweigh it. The pair is set aside, and fresh pairs
        // decide, in drawn order, the first screened at min_delta (boundary.ts "fresh").
        aside = beside.record.incumbent_z!;
        design = { first: "fresh" };
      } else
        design = {
          first: "screened",
          screenedAgainst: screenRuns,
          // The boundary is the design's, whichever look the candidate passed on, taken down where
          // a machine that sped up left the bars behind (decide/first-pair.ts, barStaleness).
          ...(screen
            ? creditedScreen(screen.record.at, screen.record.grey, screen.record.stale ?? 0)
            : {}),
          ...(beside?.keeps ? { firstPairKeeps: true } : {}),
        };
    }
  }
  // After a second look the pairs start at the second run: the first was only screened. With its
  // first pair set aside, after every screened run, and after the incumbent's first run.
  const paired = () => withoutFirstRuns(cand, aside !== null ? screened : screened === 2 ? 1 : 0);
  const incPaired = () => withoutFirstRuns(inc, aside !== null ? 1 : 0);
  const judgePairs = () => {
    const noise = setup.noise(cand, inc);
    return judge({
      policy: withMinDeltas(policy, config, noise),
      incumbent: incPaired(),
      candidate: paired(),
      noise,
      pairNoise: pairSpread,
      paired: design,
      linesDelta: setup.linesDelta,
    });
  };
  if (design.first === "screened") judgement = judgePairs();
  while (!judgement?.final) {
    const by = runs > 0 ? replacedBy() : null;
    if (by !== null) return stopped(by);
    if (judgement) ctx.emit({ type: "run", iteration, run: runs + 1, reason: judgement.reason });
    if ((incPaired()[ctx.metric]?.length ?? 0) >= policy.maxRuns)
      throw new Error("judge gave no final decision within max_runs pairs");
    const seed = randomInt(1, 2 ** 31);
    seeds.push(seed);
    const candidateFirst = firstSideFirst(seed, iteration);
    const before = candidateFirst ? null : await runIncumbent(seed);
    if (before) return before;
    const outcome = await runCandidate(seed);
    const failed = failedRun(outcome);
    if (failed) return failed;
    addSamples(cand, withWeightedScore(outcome.metrics, config, baselineMeans));
    const after = candidateFirst ? await runIncumbent(seed) : null;
    if (after) return after;
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
  // Against the incumbent measured beside it when paired; against its record when screened out.
  const delta = wasPaired
    ? mean(reported[ctx.metric]!.slice(0, incReported[ctx.metric]!.length)) -
      mean(incReported[ctx.metric]!)
    : score - parent.score;
  const tested = judgement.evidence;
  if (unselected && tested) {
    const o = policy.objectives.find((x) => x.name === tested.metric);
    if (o)
      judgement = {
        ...judgement,
        evidence: evidence(
          comparePaired(
            o,
            incReported[o.name] ?? [],
            reported[o.name] ?? [],
            setup.noise(cand, inc)[o.name] ?? UNKNOWN_NOISE,
            pairSpread[o.name],
          ),
          policy.confidence,
        ),
      };
  }
  if (aside !== null)
    judgement = {
      ...judgement,
      reason: `${judgement.reason} (its first pair set aside: the incumbent's run in it read ${Math.abs(aside)} sd ${aside > 0 ? "better" : "worse"} than the runs the candidate was screened against)`,
    };
  const hasGuards = Object.keys(policy.guards).length > 0;
  // Kept: run once more, outside the decision (eval-runs.ts, afterKeepRuns).
  const judgedRuns = runs;
  let afterKeep: Verdict["afterKeep"];
  const kept = judgement.final && judgement.status === "keep";
  if (kept) {
    const after = await afterKeepRuns(ctx, slot, candidate, runs, () => randomInt(1, 2 ** 31));
    runs += after.runs;
    for (const m of after.printedTwice) printedTwice.add(m);
    if (after.failed) {
      evalSeconds += after.failed.outcome.durationMs / 1000;
      tail = after.failed.outcome.tail;
      return failedRun(after.failed.outcome)!;
    }
    afterKeep = after.afterKeep;
  }
  const level = kept
    ? // A first pair set aside may hold a step: the level is read from the pairs that decided.
      keptLevels(
        ctx,
        history,
        setup.runs,
        incPaired(),
        aside !== null ? paired() : cand,
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
    ...ranHere(judgedRuns),
    ...(level ? { level } : {}),
    ...(afterKeep ? { afterKeep } : {}),
  });
}

function withoutFirstRuns(samples: Samples, k: number): Samples {
  return Object.fromEntries(Object.entries(samples).map(([m, v]) => [m, v.slice(k)]));
}
