import type { Stop } from "../decide/budget.ts";
import { withWeightedScore } from "../decide/build-policy.ts";
import { incumbentRunsNeeded } from "../decide/determinism.ts";
import { incumbentState, ledgerSamples } from "../decide/ledger-state.ts";
import { incumbentStrata } from "../decide/ledger-strata.ts";
import { pairedDecisions } from "../decide/remeasure-plan.ts";
import { collectSamples } from "../decide/samples.ts";
import { stratumOf } from "../decide/strata.ts";
import type { RemeasureEntry } from "../ledger/types.ts";
import type { EngineContext } from "./experiment.ts";
import { round } from "./propose.ts";
import type { CheckedOutcome, Slot } from "./slot.ts";
import { comparesWithin } from "./strata-view.ts";

/**
 * Before the first experiment of a batch whose workers compare within strata: the incumbent run
 * on every worker at once, round after round, until each worker's stratum (device kind, or the
 * worker) holds `baseline_runs` runs of it (incumbentRunsNeeded: two for a deterministic eval),
 * recorded as one concurrent re-measure. Measured in
 * one period, under the load the candidates will run under. Without it, each candidate begun
 * before the first record (one per worker and proposer, and one more) would measure the
 * incumbent beside itself: 2N+1 evals at the start of a batch where N do. Nothing runs when the
 * ledger already has those runs (a resumed batch on the same workers).
 */
export async function concurrentBaseline(ctx: EngineContext, slots: Slot[]): Promise<Stop | null> {
  const { config, metric, store } = ctx;
  const log = store.log!;
  // Measured in pairs, each candidate stands beside the incumbent on its own worker anyway.
  if (!comparesWithin(ctx) || pairedDecisions(config.decide, log, metric)) return null;
  const inc = incumbentState(log)!;
  const within = config.decide.compare_within;
  const have = incumbentStrata(log, within, inc.iteration, metric);
  const count = new Map<string, number>();
  const stratum = (slot: Slot) => stratumOf(within, { worker: slot.id, device: slot.device });
  for (const slot of slots) count.set(stratum(slot), have[stratum(slot)]?.[metric]?.length ?? 0);
  const need = incumbentRunsNeeded(
    config.decide.baseline_runs,
    log.config,
    ledgerSamples(log).groups,
    metric,
  );
  const lacking = () => slots.filter((s) => count.get(stratum(s))! < need);
  if (lacking().length === 0) return null;
  const lastIteration = log.results.at(-1)!.iteration;
  let seconds = 0;
  const runs: { metrics: Record<string, number>; on: { worker: number; device: string | null } }[] =
    [];
  ctx.emit({
    type: "notice",
    message: `measuring the incumbent (#${inc.iteration}) on ${lacking().length} worker(s) at once: what candidates on each are compared with`,
  });
  for (let r = 0; lacking().length > 0; r++) {
    const these = lacking();
    const outcomes = await Promise.all(
      these.map((slot) =>
        slot.evaluate(
          config,
          inc.commit,
          `${inc.iteration}-cb${lastIteration}-${slot.id}-${r}`,
          ctx.evalEnv,
          log.config!.frozen_hashes,
        ),
      ),
    );
    // In worker order, whatever finished first: the record does not depend on timing.
    for (const [i, outcome] of outcomes.entries()) {
      const slot = these[i]!;
      seconds += outcome.durationMs / 1000;
      const failed = incumbentFailure(inc.iteration, slot, outcome);
      if (failed) return { kind: "broken", reason: failed };
      runs.push({
        metrics: withWeightedScore(outcome.metrics, config, log.config!.baseline_metrics ?? {}),
        on: { worker: slot.id, device: slot.device },
      });
      count.set(stratum(slot), count.get(stratum(slot))! + 1);
    }
  }
  const entry: RemeasureEntry = {
    type: "remeasure",
    iteration: inc.iteration,
    after: lastIteration,
    reason: "concurrent",
    reset: false,
    samples: collectSamples(runs.map((r) => r.metrics)),
    runs_on: runs.map((r) => r.on),
    eval_seconds: round(seconds),
    timestamp: new Date().toISOString(),
  };
  await store.append([entry]);
  await ctx.checkpoint();
  ctx.emit({
    type: "remeasure",
    reason: "concurrent",
    runs: runs.length,
    score: incumbentState(store.log!)!.score,
  });
  return null;
}

/** Why a run of the incumbent on `slot` makes the eval unreliable (null: it went fine). */
export function incumbentFailure(
  iteration: number,
  slot: Slot,
  outcome: CheckedOutcome,
): string | null {
  if (outcome.status === "ok" && outcome.tampered.length === 0) return null;
  return `the incumbent (#${iteration}) failed when measured on worker ${slot.id} (${outcome.problem ?? `changed ${outcome.tampered.join(", ")}`}): the eval is not reliable, so the batch stopped. Log: ${outcome.logPath}`;
}
