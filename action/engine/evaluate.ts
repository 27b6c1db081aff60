import type { Stop } from "../decide/budget.ts";
import { withMinDeltas, withWeightedScore } from "../decide/build-policy.ts";
import { incumbentRunsNeeded, judgedDeterministic, noiseSeen } from "../decide/determinism.ts";
import { fmt } from "../decide/fmt.ts";
import { type Judgement, judge } from "../decide/judge.ts";
import { type IncumbentState, ledgerSamples } from "../decide/ledger-state.ts";
import { ledgerStrata } from "../decide/ledger-strata.ts";
import type { Samples } from "../decide/policy.ts";
import { pairedDecisions } from "../decide/remeasure-plan.ts";
import { addSamples, meansOf } from "../decide/samples.ts";
import { flattenStrata, mergeStrata, stratumOf } from "../decide/strata.ts";
import { movedBar, offsetVariance, stratumOffsets } from "../decide/stratum-offsets.ts";
import { SCREENED_OUT_RUN, screenedOutInARow } from "../decide/stuck-bar.ts";
import { cheapScreen } from "./cheap-screen.ts";
import { candidateRun, incumbentRun, runFailure } from "./eval-runs.ts";
import { evaluatePaired } from "./evaluate-paired.ts";
import { type Candidate, type EngineContext, isKeep, judged, type Verdict } from "./experiment.ts";
import { type IncumbentRuns, readBar } from "./paired-screen.ts";
import { round } from "./propose.ts";
import type { Slot } from "./slot.ts";
import type { StrataView } from "./strata-view.ts";

const NONE = { score: null, delta: null, metrics: {}, samples: {}, guard_pass: null } as const;

/**
 * Step 3. With eval.screen, the cheap eval first (cheap-screen.ts): a candidate it discards gets
 * no full run; one it passes (or sends on to measure the transfer) gets the full eval as any
 * candidate, and its row records both (the full eval's gain beside the cheap gain).
 */
export async function evaluate(
  ctx: EngineContext,
  candidate: Candidate,
  slot: Slot,
  strata: StrataView | null = null,
): Promise<Verdict | Stop> {
  const cheap = await cheapScreen(ctx, candidate, slot);
  if ("kind" in cheap) return cheap;
  if (!cheap.go) return cheap.verdict;
  const verdict = await evaluateFull(ctx, candidate, slot, strata);
  if ("kind" in verdict || (!cheap.record && !cheap.stopped)) return verdict;
  // The full eval's gain as it measured it (paired: its pairs' mean difference; screened out:
  // its first run against the bar on its stratum): the more runs, the less the rank correlation
  // is diluted by the full eval's own noise.
  const sign = ctx.goal === "minimize" ? -1 : 1;
  const record = cheap.record && {
    ...cheap.record,
    ...(verdict.delta !== null && verdict.score !== null
      ? { full: Number((sign * verdict.delta).toPrecision(6)) }
      : {}),
  };
  return {
    ...verdict,
    ...(record
      ? { cheap: record, evalSeconds: round((verdict.evalSeconds ?? 0) + record.seconds) }
      : {}),
    ...(cheap.stopped ? { cheapStopped: cheap.stopped } : {}),
  };
}

/**
 * The full eval on clean copies of the candidate, run after run until the judge is sure
 * (confirmation runs), against the samples of the incumbent it would replace. With `strata`
 * (several workers whose devices may differ), against the incumbent's runs on this slot's
 * device kind (or worker) only; when it has fewer than baseline_runs there, the incumbent runs
 * on this slot first, up to baseline_runs (a concurrent baseline: same worker, same period; as
 * many runs as the baseline had, as a top-up after a keep gives; two for a deterministic eval
 * whose runs have agreed, incumbentRunsNeeded). A run of the incumbent that
 * fails makes the eval unreliable: a `broken` stop, which ends the batch.
 */
async function evaluateFull(
  ctx: EngineContext,
  candidate: Candidate,
  slot: Slot,
  strata: StrataView | null,
): Promise<Verdict | Stop> {
  const { iteration, parent } = candidate;
  const commit = candidate.commit!;
  const key = candidate.key;
  const { policy, config } = ctx;
  const log = ctx.store.log!;
  const linesDelta = policy.simplification
    ? await ctx.store.repo.linesDelta(candidate.base, commit)
    : undefined;
  const samples: Record<string, number[]> = {};
  const groups = strata ? strata.groups : ledgerSamples(log).groups;
  const here = { worker: slot.id, device: slot.device };
  const stratum = strata ? stratumOf(strata.within, here) : "";
  const concurrent = {
    samples: {} as Record<string, number[]>,
    runsOn: [] as (typeof here)[],
    evalSeconds: 0,
  };
  const incumbentHere = () =>
    (strata?.incumbent[stratum]?.[ctx.metric]?.length ?? 0) + concurrent.runsOn.length;
  const baselineMeans = log.config!.baseline_metrics ?? {};
  const objectiveNames = policy.objectives.map((o) => o.name);
  // Judged deterministic at the start (the baseline's runs agreed): see decide/determinism.ts.
  const deterministic = judgedDeterministic(log.config);
  if (config.eval.repeats <= 1 && pairedDecisions(config.decide, log, ctx.metric)) {
    // Both sides of a pair on one worker: where strata are wider, the noise within each worker's
    // runs is the pairs'.
    const workerGroups = strata && strata.within !== "worker" && ledgerStrata(log, "worker").groups;
    const shared = config.isolation.shared.length > 0;
    // Screened out again and again on this stratum, none beside an incumbent run there to say
    // whether the bar still stands where the incumbent does: pairs from the first run check it.
    const screenedOut =
      strata && !shared ? screenedOutInARow(log.results, strata.within, stratum) : 0;
    const barChecked = screenedOut >= SCREENED_OUT_RUN ? screenedOut : 0;
    const verdict = await evaluatePaired(ctx, candidate, slot, {
      // A folder runs share (isolation.shared) could carry a run's seed to the next, and the
      // screened first pair's order is fixed (the candidate, then the incumbent): there, pairs
      // from the first run, each in a drawn order.
      incumbent:
        shared || barChecked > 0
          ? {}
          : screenAgainst(
              ctx,
              parent,
              strata,
              stratum,
              noiseSeen(groups, objectiveNames, deterministic)[ctx.metric]?.sd ?? 0,
            ),
      runs: incumbentRuns(parent, strata, stratum, ctx.metric),
      noise: (c, i) => noiseSeen([...groups, c, i], objectiveNames, deterministic),
      ...(workerGroups
        ? {
            pairPrior: (c: Samples, i: Samples) =>
              noiseSeen([...workerGroups, c, i], objectiveNames, deterministic),
          }
        : {}),
      linesDelta,
    });
    if (barChecked === 0 || "kind" in verdict) return verdict;
    const why = `measured in pairs from its first run: the ${barChecked} candidates before it on ${stratum} were screened out, none beside a run of the incumbent there`;
    return {
      ...verdict,
      barChecked,
      reason: verdict.reason ? `${verdict.reason} (${why})` : why,
    };
  }
  const limit = Math.max(policy.maxRuns, config.eval.repeats);
  const needHere = incumbentRunsNeeded(config.decide.baseline_runs, log.config, groups, ctx.metric);
  let evalSeconds = 0;
  let judgement: Judgement | null = null;
  let tail = "";
  const printedTwice = new Set<string>();
  const runsOn: { worker: number; device: string | null }[] = [];
  for (let run = 0; run < limit && !judgement?.final; run++) {
    if (judgement) ctx.emit({ type: "run", iteration, run: run + 1, reason: judgement.reason });
    while (strata && incumbentHere() < needHere) {
      const measured = await incumbentRun(
        ctx,
        slot,
        parent,
        // One log per run (the incumbent may need several here before the candidate's run).
        `${iteration}-${run}-incumbent-${concurrent.runsOn.length}`,
        ctx.evalEnv,
      );
      if ("kind" in measured) return measured;
      concurrent.evalSeconds += measured.seconds;
      addSamples(concurrent.samples, measured.metrics);
      concurrent.runsOn.push(here);
    }
    const outcome = await candidateRun(ctx, slot, commit, iteration, run, ctx.evalEnv);
    evalSeconds += outcome.durationMs / 1000;
    tail = outcome.tail;
    for (const m of outcome.printedTwice) printedTwice.add(m);
    runsOn.push(here);
    const base = {
      judgedAgainst: parent.iteration,
      commit,
      ...(key ? { key } : {}),
      ...(concurrent.runsOn.length > 0
        ? { concurrent: { ...concurrent, evalSeconds: round(concurrent.evalSeconds) } }
        : {}),
      evalSeconds: round(evalSeconds),
      tail,
      samples,
    };
    const failed = runFailure(outcome, run);
    if (failed) return { ...NONE, ...base, ...failed };
    addSamples(samples, withWeightedScore(outcome.metrics, config, baselineMeans));
    if (run + 1 < config.eval.repeats) continue;
    const noise = noiseSeen(
      [...groups, samples, concurrent.samples],
      objectiveNames,
      deterministic,
    );
    // Within strata: the incumbent's runs on this slot's stratum, those made here included.
    const incumbent = strata
      ? mergeStrata(strata.incumbent, { [stratum]: concurrent.samples })
      : null;
    judgement = judge({
      // min_delta: auto follows the pooled noise, not only the baseline's few runs.
      policy: withMinDeltas(policy, config, noise),
      incumbent: incumbent ? flattenStrata(incumbent) : parent.samples,
      candidate: samples,
      noise,
      linesDelta,
      deterministic,
      ...(incumbent ? { strata: { incumbent, candidate: { [stratum]: samples } } } : {}),
    });
  }
  if (!judgement?.final) throw new Error("judge gave no final decision within max_runs");
  const metrics = meansOf(samples);
  const score = metrics[ctx.metric]!;
  const hasGuards = Object.keys(policy.guards).length > 0;
  let reason = judgement.reason;
  if (judgement.nondeterministic) {
    // The first runs of one code that disagree: the rest of the night is judged with noise.
    const before = noiseSeen([...groups, concurrent.samples], [ctx.metric], true)[ctx.metric]!;
    const after = noiseSeen([...groups, samples], [ctx.metric], true)[ctx.metric]!;
    if (before.sd === 0)
      reason += `; so the eval's runs can differ after all: later candidates are judged by the noisy rule, with the spread of runs that disagree (sd ${fmt(after.sd)}, ${after.df} df)`;
  }
  return judged(
    { ...judgement, reason },
    {
      judgedAgainst: parent.iteration,
      score,
      delta: Number((score - parent.score).toPrecision(12)),
      metrics,
      samples,
      guard_pass: hasGuards ? judgement.status !== "guard_fail" : null,
      commit,
      ...(key ? { key } : {}),
      ...(judgement.nondeterministic ? { nondeterministic: true } : {}),
      tail,
      evalSeconds: round(evalSeconds),
      ...(linesDelta !== undefined ? { linesDelta } : {}),
      ...(printedTwice.size > 0 ? { printedTwice: [...printedTwice] } : {}),
      ...(ctx.workers > 1 ? { runsOn } : {}),
      ...(concurrent.runsOn.length > 0
        ? { concurrent: { ...concurrent, evalSeconds: round(concurrent.evalSeconds) } }
        : {}),
    },
  );
}

/** Step 4: a would-be keep must pass the user's checks, run on their own clean copy. */
export async function decide(
  ctx: EngineContext,
  candidate: Candidate,
  verdict: Verdict,
  slot: Slot,
): Promise<Verdict> {
  if (!isKeep(verdict) || !ctx.config.checks) return verdict;
  const frozen = Object.keys(ctx.store.log!.config!.frozen_hashes);
  const failed = await slot.check(
    ctx.config,
    verdict.commit,
    `${candidate.iteration}-checks`,
    ctx.evalEnv,
    frozen,
  );
  return failed
    ? { ...verdict, status: "checks_failed", reason: failed.reason, tail: failed.tail }
    : verdict;
}

/**
 * What the night knows of the incumbent on each stratum (a keep's level starts from it,
 * paired-screen.ts): its runs on record and its own level where its row has one for this view.
 */
function incumbentRuns(
  parent: IncumbentState,
  strata: StrataView | null,
  stratum: string,
  metric: string,
): IncumbentRuns {
  const within = strata ? strata.within : "any";
  const on = strata ? stratum : "all";
  const own = parent.level;
  const level = own?.metric === metric && own.within === within ? own.strata[on] : undefined;
  return {
    within,
    stratum: on,
    runs: strata ? strata.incumbent : { all: parent.samples },
    ...(level ? { level } : {}),
  };
}

/**
 * What a candidate's first run is screened against: the incumbent's bar (with strata, on this
 * slot's stratum): its current runs, after its level where it was kept in pairs
 * (decide/ledger-runs.ts, screenBar and withLevel; never the runs it passed its own screen on,
 * which were chosen for looking good and, in the bar, discarded good changes). Where it has none
 * on this stratum (a keep made on another worker, from an incumbent with no runs here), its bar
 * on the stratum that says most of it here, level included, moved by the strata's offsets as the
 * night has measured them and worth less by what the night does not know of them
 * (stratum-offsets.ts, movedBar); empty (pairs from the first run) when no offset connects them.
 * Either is read with the candidates screened against it on this stratum since its keep
 * (paired-screen.ts, readBar).
 */
function screenAgainst(
  ctx: EngineContext,
  parent: IncumbentState,
  strata: StrataView | null,
  stratum: string,
  sd: number,
): Record<string, number[]> {
  const where = incumbentRuns(parent, strata, stratum, ctx.metric);
  const here = strata ? strata.bar[stratum] : parent.bar;
  if ((here?.[ctx.metric]?.length ?? 0) > 0 || !strata) {
    const strict = where.level ? (parent.level?.strict ?? 0) : 0;
    return readBar(ctx, parent.iteration, where, here ?? {}, strict, sd);
  }
  const metrics = ctx.policy.objectives.map((o) => o.name);
  const current = ledgerStrata(ctx.store.log!, strata.within).current;
  const offsets = stratumOffsets(current, metrics);
  const variances = Object.fromEntries(metrics.map((m) => [m, offsetVariance(current, m)]));
  return readBar(
    ctx,
    parent.iteration,
    where,
    movedBar(strata.bar, offsets, variances, stratum),
    0,
    sd,
  );
}
