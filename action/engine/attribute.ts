import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { verifiedGain } from "../decide/verified-gain.ts";
import type { AttributedChange, AttributeEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import {
  type AttributeEstimate,
  estimateAttribution,
  type KeptChange,
  keptChanges,
  meanEvalSeconds,
} from "./attribute-plan.ts";
import { type Reverted, revertChange } from "./attribute-revert.ts";
import { drawOrderSeed, firstSideFirst, pairSeeds } from "./pair-order.ts";
import type { RecordStore } from "./record-store.ts";
import { makeSlot, runProblem, scoreOf } from "./verify.ts";
import type { MeasureContext } from "./verify-tag.ts";

/** What attribute will do: each kept change, whether it reverts cleanly, and the cost. */
export interface AttributePlan {
  finalCommit: string;
  finalIteration: number;
  changes: (KeptChange & { reverted: Reverted })[];
  estimate: AttributeEstimate;
}

/**
 * The kept changes of the tag's final code, each reverted from it three-way (a commit on the
 * final code, never in the user's checkout), and the cost of measuring those that reverted:
 * pairs × changes × 2 runs at the ledger's mean eval time. Runs nothing.
 */
export async function planAttribution(store: RecordStore, pairs: number): Promise<AttributePlan> {
  const log = store.log;
  const inc = log ? incumbentState(log) : null;
  if (!log?.config || !inc)
    throw new AutoexpError(`tag ${store.tag} has no baseline yet: there is nothing to attribute`);
  const finalCommit = log.results.find((r) => r.iteration === inc.iteration)?.commit_full;
  const kept = keptChanges(log.results, inc.iteration);
  if (inc.iteration === 0 || !finalCommit || kept.length === 0)
    throw new AutoexpError(
      `tag ${store.tag} has kept nothing yet: there is no change to attribute`,
      { exitCode: 1 },
    );
  const scratch = join(store.stateDir, "attribute", "merge");
  const changes: AttributePlan["changes"] = [];
  for (const change of kept) {
    const parent = await store.repo.resolve(`${change.commit}^`);
    if (!parent) throw new AutoexpError(`kept commit ${change.commit} has no parent here`);
    const reverted = await revertChange(
      store.repo,
      { parent, commit: change.commit, final: finalCommit, label: `#${change.iteration}` },
      scratch,
    );
    changes.push({ ...change, reverted });
  }
  const measurable = changes.filter((c) => c.reverted.status === "reverted").length;
  return {
    finalCommit,
    finalIteration: inc.iteration,
    changes,
    estimate: estimateAttribution(measurable, pairs, meanEvalSeconds(log, log.config.metric)),
  };
}

/**
 * Measures each reverted change: the final code and the final code without it, interleaved in
 * pairs (each pair's order drawn from a recorded seed) in a fresh copy under the batch's
 * isolation, and records one `attribute` line. A change's marginal effect is final minus without (positive = it helps),
 * with verify's paired-t interval; an interval that reaches zero marks a candidate to drop.
 */
export async function attributeRecord(
  store: RecordStore,
  config: Config,
  plan: AttributePlan,
  run: MeasureContext & { pairs: number; orderSeed?: number | undefined },
): Promise<AttributeEntry> {
  const header = store.log!.config!;
  // Worker 0's slot folder, where the loop's runs happened: no path says attribute (blind runs).
  const slot = makeSlot(store, 0, "0", run.isolation);
  const orderSeed = run.orderSeed ?? drawOrderSeed();
  const seedOf = pairSeeds();
  const confidence = header.confidence ?? config.decide.confidence;
  const failures: NonNullable<AttributeEntry["failures"]> = [];
  let seconds = 0;
  let runs = 0;
  const measure = async (
    change: KeptChange,
    pair: number,
    code: "final" | "without",
    commit: string,
  ) => {
    const outcome = await slot.evaluate(
      config,
      commit,
      `attribute-${change.iteration}-${pair}-${code}`,
      { ...run.evalEnv, AUTOEXP_SEED: String(seedOf(`${change.iteration}-${pair}`)) },
      header.frozen_hashes,
    );
    runs++;
    seconds += outcome.durationMs / 1000;
    const score = scoreOf(outcome.metrics, config, header);
    const problem = runProblem(outcome, score);
    if (problem) failures.push({ iteration: change.iteration, pair, code, problem });
    return problem ? null : score;
  };
  const results: AttributedChange[] = [];
  for (const change of plan.changes) {
    const base = {
      iteration: change.iteration,
      commit: change.commit,
      description: change.description,
    };
    const r = change.reverted;
    if (r.status === "conflict") {
      results.push({ ...base, status: "conflict", conflicts: r.paths });
      continue;
    }
    if (r.status === "superseded") {
      results.push({ ...base, status: "superseded" });
      continue;
    }
    const samples = { final: [] as number[], without: [] as number[] };
    let failed = 0;
    // Too many failed runs: this code does not run here; keep what was measured.
    for (
      let pair = 1;
      pair <= run.pairs && failed < Math.max(2, Math.ceil(run.pairs / 2));
      pair++
    ) {
      // The pair's order is drawn (blind runs): the second run is not always the change removed.
      const finalFirst = firstSideFirst(orderSeed, change.iteration, pair);
      const sides = [
        ["final", plan.finalCommit],
        ["without", r.commit],
      ] as const;
      const [first, second] = finalFirst ? sides : [sides[1], sides[0]];
      const a = await measure(change, pair, first[0], first[1]);
      const b = a === null ? null : await measure(change, pair, second[0], second[1]);
      if (a === null || b === null) {
        failed++;
        continue;
      }
      samples.final.push(finalFirst ? a : b);
      samples.without.push(finalFirst ? b : a);
    }
    const effect = verifiedGain(samples.without, samples.final, header.goal, confidence);
    results.push({
      ...base,
      status: "measured",
      without_commit: r.commit,
      samples,
      effect,
      drop_candidate: effect.includes_no_improvement,
    });
    run.emit({
      type: "notice",
      message: `#${change.iteration} measured: ${samples.final.length} pairs`,
    });
  }
  const entry: AttributeEntry = {
    type: "attribute",
    metric: header.metric,
    goal: header.goal,
    final_commit: plan.finalCommit,
    final_iteration: plan.finalIteration,
    pairs: run.pairs,
    confidence,
    changes: results,
    runs,
    estimated_seconds: Math.round((plan.estimate.seconds ?? 0) * 1000) / 1000,
    ...(failures.length > 0 ? { failures } : {}),
    order_seed: orderSeed,
    isolation: run.isolation.mode,
    eval_seconds: Math.round(seconds * 1000) / 1000,
    timestamp: new Date().toISOString(),
  };
  await store.append([entry]);
  return entry;
}
