import type { Stop } from "../decide/budget.ts";
import { withWeightedScore } from "../decide/build-policy.ts";
import { AFTER_KEEP_RUNS } from "../decide/ledger-state.ts";
import { addSamples } from "../decide/samples.ts";
import { incumbentFailure } from "./concurrent-baseline.ts";
import type { Candidate, EngineContext, FailedVerdict, Verdict } from "./experiment.ts";
import { round } from "./propose.ts";
import type { CheckedOutcome, Slot } from "./slot.ts";

/** One eval run of a candidate (its `run`-th, from 0), with its live progress line and the fault hook. */
export async function candidateRun(
  ctx: EngineContext,
  slot: Slot,
  commit: string,
  iteration: number,
  run: number,
  env: Record<string, string | undefined>,
): Promise<CheckedOutcome> {
  const timer = ctx.faults.duringEval(iteration, slot.pidFile);
  const outcome = await slot.evaluate(
    ctx.config,
    commit,
    `${iteration}-${run}`,
    env,
    ctx.store.log!.config!.frozen_hashes,
    (elapsedMs, lastLine) =>
      ctx.emit({
        type: "eval-progress",
        iteration,
        run: run + 1,
        elapsedMs,
        lastLine,
        ...(ctx.workers > 1
          ? { worker: slot.id, device: slot.device, busy: ctx.busyShare?.() ?? 0 }
          : {}),
      }),
  );
  clearInterval(timer);
  return outcome;
}

/**
 * Why one eval run ends its experiment (`run`, from 0: its place among the candidate's runs):
 * it changed frozen files (violation) or gave no score (its status). Null when it gave one.
 */
export function runFailure(
  outcome: CheckedOutcome,
  run: number,
): Pick<FailedVerdict, "status" | "reason" | "metrics"> | null {
  if (outcome.tampered.length > 0)
    return {
      status: "violation",
      reason: `the eval run changed frozen files: ${outcome.tampered.slice(0, 5).join(", ")}`,
      metrics: {},
    };
  if (outcome.status !== "ok")
    return {
      status: outcome.status,
      reason: `${run > 0 ? `run ${run + 1}: ` : ""}${outcome.problem ?? outcome.status}`,
      metrics: outcome.metrics,
    };
  return null;
}

/**
 * One run of the incumbent beside a candidate, on the candidate's slot: its metrics (the weighted
 * score included) and seconds. An incumbent that fails makes the eval unreliable: a `broken` stop.
 */
export async function incumbentRun(
  ctx: EngineContext,
  slot: Slot,
  parent: Candidate["parent"],
  name: string,
  env: Record<string, string | undefined>,
): Promise<{ metrics: Record<string, number>; seconds: number } | Stop> {
  const header = ctx.store.log!.config!;
  const outcome = await slot.evaluate(ctx.config, parent.commit, name, env, header.frozen_hashes);
  const failed = incumbentFailure(parent.iteration, slot, outcome);
  if (failed) return { kind: "broken", reason: failed };
  return {
    metrics: withWeightedScore(outcome.metrics, ctx.config, header.baseline_metrics ?? {}),
    seconds: outcome.durationMs / 1000,
  };
}

/**
 * Kept code's runs right after its keep, outside the decision (ledger-state.ts, AFTER_KEEP_RUNS):
 * the runs it was kept on were chosen by the stopping rule for looking good; these were not, and
 * they are its first runs as the incumbent. `first`: the first run's place among the candidate's
 * runs (its log name). They count in their own re-measure line, not in the row's time or tail.
 * A run that fails ends the experiment as any failed run: `failed` is that run and its place.
 */
export async function afterKeepRuns(
  ctx: EngineContext,
  slot: Slot,
  candidate: Pick<Candidate, "iteration" | "commit">,
  first: number,
  seed: () => number,
): Promise<{
  runs: number;
  printedTwice: string[];
  failed?: { outcome: CheckedOutcome; run: number };
  afterKeep?: NonNullable<Verdict["afterKeep"]>;
  /** The last run's output tail (a reopened trial's row shows it: the run is in its pairs). */
  tail: string;
  /** Each run's AUTOEXP_SEED, in order (a reopened trial's next pair shares it). */
  seeds: number[];
}> {
  const header = ctx.store.log!.config!;
  const samples: Record<string, number[]> = {};
  const printedTwice: string[] = [];
  let seconds = 0;
  let tail = "";
  const seeds: number[] = [];
  for (let k = 0; k < AFTER_KEEP_RUNS; k++) {
    const run = first + k;
    seeds.push(seed());
    const outcome = await candidateRun(ctx, slot, candidate.commit!, candidate.iteration, run, {
      ...ctx.evalEnv,
      AUTOEXP_SEED: String(seeds.at(-1)),
    });
    printedTwice.push(...outcome.printedTwice);
    tail = outcome.tail;
    if (runFailure(outcome, run))
      return { runs: k + 1, printedTwice, failed: { outcome, run }, tail, seeds };
    seconds += outcome.durationMs / 1000;
    addSamples(
      samples,
      withWeightedScore(outcome.metrics, ctx.config, header.baseline_metrics ?? {}),
    );
  }
  const here = { worker: slot.id, device: slot.device };
  return {
    runs: AFTER_KEEP_RUNS,
    printedTwice,
    tail,
    seeds,
    afterKeep: {
      samples,
      runsOn: Array.from({ length: AFTER_KEEP_RUNS }, () => here),
      evalSeconds: round(seconds),
    },
  };
}
