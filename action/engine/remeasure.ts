import type { Stop } from "../decide/budget.ts";
import { withWeightedScore } from "../decide/build-policy.ts";
import { driftCheck } from "../decide/drift.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { ledgerStrata } from "../decide/ledger-strata.ts";
import { isSequential, remeasurePlan } from "../decide/remeasure-plan.ts";
import { collectSamples } from "../decide/samples.ts";
import { stratumOf } from "../decide/strata.ts";
import type { RemeasureEntry } from "../ledger/types.ts";
import type { EngineContext } from "./experiment.ts";
import { round } from "./propose.ts";
import type { Slot } from "./slot.ts";
import { comparesWithin } from "./strata-view.ts";

/**
 * More runs of the incumbent before an experiment, when remeasurePlan says they are due: a
 * top-up after a keep, or a scheduled re-run that notices drift (a suspicion is confirmed with
 * more runs before the incumbent is re-based). Returns a stop when the incumbent no longer runs.
 */
/** Whether the incumbent has extra runs due now (see remeasurePlan). */
export function remeasureDue(ctx: EngineContext): boolean {
  const log = ctx.store.log!;
  if (!isSequential(log, ctx.metric, ctx.policy.maxRuns)) return false;
  return remeasurePlan(ctx.config.decide, log, ctx.metric, incumbentState(log)!) !== null;
}

export async function remeasure(ctx: EngineContext, slot: Slot): Promise<Stop | null> {
  const { config, metric, store } = ctx;
  const log = store.log!;
  if (!isSequential(log, metric, ctx.policy.maxRuns)) return null;
  const inc = incumbentState(log)!;
  const plan = remeasurePlan(config.decide, log, metric, inc);
  if (!plan) return null;
  const lastIteration = log.results.at(-1)!.iteration;
  const started = performance.now();
  const runs: Record<string, number>[] = [];
  const measure = async (count: number): Promise<Stop | null> => {
    for (let i = 0; i < count; i++) {
      const name = `${inc.iteration}-re${lastIteration}-${runs.length}`;
      const outcome = await slot.evaluate(
        config,
        inc.commit,
        name,
        ctx.evalEnv,
        log.config!.frozen_hashes,
      );
      if (outcome.status !== "ok" || outcome.tampered.length > 0) {
        return {
          kind: "broken",
          reason: `the incumbent (#${inc.iteration}) failed when measured again (${outcome.problem ?? `changed ${outcome.tampered.join(", ")}`}): the eval is not reliable, so the batch stopped. Log: ${outcome.logPath}`,
        };
      }
      runs.push(withWeightedScore(outcome.metrics, config, log.config!.baseline_metrics ?? {}));
    }
    return null;
  };
  let reason: RemeasureEntry["reason"] = plan.reason;
  let note: string | undefined;
  const failed = await measure(plan.runs);
  if (failed) return failed;
  // Within strata, drift is a change against the incumbent's earlier runs on this slot's device
  // kind (or worker): another device's offset is not drift. None there: nothing to compare.
  const within = comparesWithin(ctx) ? config.decide.compare_within : null;
  const before = within
    ? {
        ...inc,
        samples:
          ledgerStrata(log, within).current.get(inc.iteration)?.[
            stratumOf(within, { worker: slot.id, device: slot.device })
          ] ?? {},
      }
    : inc;
  if (reason === "schedule" && driftCheck(log, metric, before, collectSamples(runs))) {
    const more = await measure(Math.max(1, config.decide.baseline_runs - 1));
    if (more) return more;
    const confirmed = driftCheck(log, metric, before, collectSamples(runs), true);
    if (confirmed) {
      reason = "drift";
      note = confirmed;
    }
  }
  const entry: RemeasureEntry = {
    type: "remeasure",
    iteration: inc.iteration,
    after: lastIteration,
    reason,
    reset: reason === "drift",
    samples: collectSamples(runs),
    ...(ctx.workers > 1
      ? { runs_on: runs.map(() => ({ worker: slot.id, device: slot.device })) }
      : {}),
    eval_seconds: round((performance.now() - started) / 1000),
    timestamp: new Date().toISOString(),
    ...(note ? { note } : {}),
  };
  await store.append([entry]);
  await ctx.checkpoint();
  ctx.emit({
    type: "remeasure",
    reason,
    runs: runs.length,
    score: incumbentState(store.log!)!.score,
    ...(note ? { note } : {}),
  });
  return null;
}
