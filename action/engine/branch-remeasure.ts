import { randomInt } from "node:crypto";
import type { Stop } from "../decide/budget.ts";
import { withWeightedScore } from "../decide/build-policy.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { isSequential } from "../decide/remeasure-plan.ts";
import { collectSamples } from "../decide/samples.ts";
import type { RemeasureEntry } from "../ledger/types.ts";
import { pairedBeside } from "../strategy/branch-points.ts";
import type { BranchMeasure, StrategyState } from "../strategy/strategy.ts";
import { incumbentRun } from "./eval-runs.ts";
import type { EngineContext } from "./experiment.ts";
import { round } from "./propose.ts";
import type { Slot } from "./slot.ts";

/**
 * The branch point the next pick would propose on, to be measured beside the incumbent first
 * (Strategy.toMeasure, given the state that pick reads): none under `climb`, and none for an eval
 * whose runs agree (no noise: a recorded score is exact) or that confirms nothing (max_runs 1).
 * Read from the ledger and the choices in flight alone, so what is measured does not depend on
 * timing, and a resumed batch measures what the interrupted one had not recorded.
 */
function due(ctx: EngineContext, next: () => StrategyState): BranchMeasure | null {
  const log = ctx.store.log!;
  if (!ctx.strategy?.toMeasure || !isSequential(log, ctx.metric, ctx.policy.maxRuns)) return null;
  return ctx.strategy.toMeasure(next());
}

/** Whether the branch point the next proposal would start from is due to be measured now. */
export function branchRemeasureDue(ctx: EngineContext, next: () => StrategyState): boolean {
  return due(ctx, next) !== null;
}

/**
 * Measures the branch point the next proposal would start from (due) beside the incumbent, on
 * this slot, then asks again, until the pick lands on a point with a paired gap (or the
 * incumbent, a revisit, or the strategy's bound): a point measured may lose its place to another
 * arm, measured next. Its pairs: both sides of a pair with one AUTOEXP_SEED, the order within a
 * pair drawn apart from that seed; through the same blind run path as any run (an eval cannot tell
 * a point's run from the incumbent's or a candidate's). Both sides are recorded as re-measure
 * lines (reason `branch`, `beside`), appended together; branchPoints then gives the point its
 * paired gap. A point whose code fails now is recorded without samples and no longer offered; an
 * incumbent that fails makes the eval unreliable: a `broken` stop, as in any re-measure.
 * `next`: the state the next proposal's pick will read.
 */
export async function branchRemeasure(
  ctx: EngineContext,
  slot: Slot,
  next: () => StrategyState,
): Promise<Stop | null> {
  const done = new Set<number>();
  for (let m = due(ctx, next); m !== null; m = due(ctx, next)) {
    // Recorded beside this incumbent, so never due again: a strategy that says so is wrong.
    if (done.has(m.point.iteration))
      throw new Error(`branch point #${m.point.iteration} is due again after it was measured`);
    done.add(m.point.iteration);
    const stop = await measureBeside(ctx, slot, m);
    if (stop) return stop;
  }
  return null;
}

async function measureBeside(
  ctx: EngineContext,
  slot: Slot,
  { point, pairs }: BranchMeasure,
): Promise<Stop | null> {
  const { config, store } = ctx;
  const log = store.log!;
  const header = log.config!;
  const inc = incumbentState(log)!;
  const lastIteration = log.results.at(-1)!.iteration;
  const pointRuns: Record<string, number>[] = [];
  const incRuns: Record<string, number>[] = [];
  const seeds: number[] = [];
  let pointSeconds = 0;
  let incSeconds = 0;
  let failure: string | null = null;
  const runPoint = async (pair: number, env: Record<string, string | undefined>) => {
    const outcome = await slot.evaluate(
      config,
      point.commit,
      `${point.iteration}-bp${lastIteration}-${pair}`,
      env,
      header.frozen_hashes,
    );
    pointSeconds += outcome.durationMs / 1000;
    if (outcome.status !== "ok" || outcome.tampered.length > 0) {
      failure = `its code failed beside the incumbent (${outcome.problem ?? `changed ${outcome.tampered.join(", ")}`}); no longer offered. Log: ${outcome.logPath}`;
      return;
    }
    pointRuns.push(withWeightedScore(outcome.metrics, config, header.baseline_metrics ?? {}));
  };
  const runIncumbent = async (
    pair: number,
    env: Record<string, string | undefined>,
  ): Promise<Stop | null> => {
    const measured = await incumbentRun(
      ctx,
      slot,
      inc,
      `${inc.iteration}-bp${lastIteration}-${point.iteration}-${pair}`,
      env,
    );
    if ("kind" in measured) return measured;
    incSeconds += measured.seconds;
    incRuns.push(measured.metrics);
    return null;
  };
  for (let pair = 0; pair < pairs && failure === null; pair++) {
    const seed = randomInt(1, 2 ** 31);
    seeds.push(seed);
    const env = { ...ctx.evalEnv, AUTOEXP_SEED: String(seed) };
    // Drawn apart from the seed the eval sees, so it cannot work out which side it is.
    if (randomInt(2) === 0) {
      await runPoint(pair, env);
      if (failure === null) {
        const broken = await runIncumbent(pair, env);
        if (broken) return broken;
      }
    } else {
      const broken = await runIncumbent(pair, env);
      if (broken) return broken;
      await runPoint(pair, env);
    }
  }
  const beside = { point: point.iteration, incumbent: inc.iteration };
  const now = new Date().toISOString();
  // One side's re-measure line: its runs, on this slot, with the seeds of the pairs it ran in.
  const side = (
    iteration: number,
    runs: Record<string, number>[],
    seconds: number,
  ): RemeasureEntry => ({
    type: "remeasure",
    iteration,
    after: lastIteration,
    reason: "branch",
    reset: false,
    samples: collectSamples(runs),
    ...(ctx.workers > 1
      ? { runs_on: runs.map(() => ({ worker: slot.id, device: slot.device })) }
      : {}),
    eval_seconds: round(seconds),
    timestamp: now,
    seeds: seeds.slice(0, runs.length),
    beside,
  });
  const pointLine = {
    ...side(point.iteration, pointRuns, pointSeconds),
    ...(failure ? { note: failure } : {}),
  };
  const incLine = side(inc.iteration, incRuns, incSeconds);
  await store.append(incRuns.length > 0 ? [pointLine, incLine] : [pointLine]);
  await ctx.checkpoint();
  const measured = pairedBeside(
    { remeasures: store.log!.remeasures, metric: ctx.metric },
    inc.iteration,
  ).get(point.iteration);
  const sign = ctx.goal === "maximize" ? 1 : -1;
  const gap = measured?.pairs
    ? `${Number(measured.gap.toPrecision(3))} (${sign * measured.gap >= 0 ? "better" : "worse"})`
    : null;
  ctx.emit({
    type: "remeasure",
    reason: "branch",
    runs: incRuns.length,
    score: incumbentState(store.log!)!.score,
    note: `branch point #${point.iteration} measured beside it${measured?.pairs ? ` in ${measured.pairs} pair(s): ${gap}` : ""}${failure ? `; ${failure}` : ""}`,
  });
  return null;
}
