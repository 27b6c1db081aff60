import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { primaryMetric } from "../config/validate-config.ts";
import { withWeightedScore } from "../decide/build-policy.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { keptGainSum, verifiedGain } from "../decide/verified-gain.ts";
import type { ConfigEntry, VerifyEntry, VerifyFailure } from "../ledger/types.ts";
import type { Gpu } from "../process/detect-gpus.ts";
import { AutoexpError } from "../util/errors.ts";
import type { BatchEvent } from "./events.ts";
import { type Isolation, resolveIsolation } from "./isolation.ts";
import { drawOrderSeed, firstSideFirst, pairSeeds } from "./pair-order.ts";
import type { RecordStore } from "./record-store.ts";
import { Slot } from "./slot.ts";
import { workerGpus } from "./worker-gpus.ts";

export interface VerifyRun {
  /** Pairs to run: base and final, in an order drawn per pair, this many times. */
  pairs: number;
  /** What the pairs' order is drawn from (--seed); absent: a fresh seed, recorded. */
  orderSeed?: number | undefined;
  /** The batch's isolation: verify's evals run under the same. */
  isolation: Isolation;
  /** The eval's environment (secrets already stripped). */
  evalEnv: Record<string, string | undefined>;
  /** autoexp's own environment: HOME and PATH for the holdout's isolation. */
  env: Record<string, string | undefined>;
  emit: (event: BatchEvent) => void;
}

type Code = "base" | "final";
type Which = "validation" | "holdout";

/**
 * Re-measures the tag's base commit and its final code, interleaved in pairs (each pair's order
 * drawn from a recorded seed) in fresh copies under the batch's isolation, and records one
 * `verify` line: the verified gain with its interval beside the sum of the kept steps, and the
 * hidden holdout's gain when `eval.holdout` is set. The holdout runs here only: the loop and the
 * agents never see it.
 */
export async function verifyRecord(
  store: RecordStore,
  config: Config,
  run: VerifyRun,
): Promise<VerifyEntry> {
  const log = store.log;
  const header = log?.config;
  const inc = log ? incumbentState(log) : null;
  if (!log || !header || !inc)
    throw new AutoexpError(`tag ${store.tag} has no baseline yet: there is nothing to verify`);
  const finalRow = log.results.find((r) => r.iteration === inc.iteration);
  const base = header.base_commit;
  const final = finalRow?.commit_full;
  if (inc.iteration === 0 || !final || final === base)
    throw new AutoexpError(
      `tag ${store.tag} has kept nothing yet: its code is its base ${base.slice(0, 7)}, so there is nothing to verify`,
      { exitCode: 1 },
    );
  const holdout = config.eval.holdout;
  const commits = { base, final };
  const measured = await measurePairs(store, config, run, commits);
  const { samples, failures, seconds, pairsOn, orderSeed } = measured;
  const confidence = header.confidence ?? config.decide.confidence;
  const gainOf = (s: { base: number[]; final: number[] }) =>
    verifiedGain(s.base, s.final, header.goal, confidence);
  const steps = keptGainSum(log.results, header.goal, inc.iteration);
  const entry: VerifyEntry = {
    type: "verify",
    metric: header.metric,
    goal: header.goal,
    base_commit: base,
    final_commit: final,
    final_iteration: inc.iteration,
    pairs: run.pairs,
    confidence,
    samples: samples.validation,
    gain: gainOf(samples.validation),
    kept_gain_sum: steps.sum,
    kept: steps.kept,
    ...(holdout ? { holdout: { samples: samples.holdout, gain: gainOf(samples.holdout) } } : {}),
    ...(failures.length > 0 ? { failures } : {}),
    ...(pairsOn ? { pairs_on: pairsOn } : {}),
    order_seed: orderSeed,
    isolation: run.isolation.mode,
    eval_seconds: Math.round(seconds * 1000) / 1000,
    timestamp: new Date().toISOString(),
  };
  await store.append([entry]);
  run.emit({ type: "verified", entry });
  return entry;
}

export interface PairsMeasured {
  /** The primary metric per run, by pair: base[i] and final[i] ran one after the other. */
  samples: Record<Which, { base: number[]; final: number[] }>;
  failures: VerifyFailure[];
  seconds: number;
  /** What each pair's order (base or final first) was drawn from. */
  orderSeed: number;
  /** With several workers: where each validation pair ran (both halves on one device). */
  pairsOn?: { worker: number; device: string | null }[];
}

/**
 * Two commits of the tag's repository evaluated interleaved in pairs (each pair's order drawn
 * from `run.orderSeed`, or a fresh seed, returned) in fresh copies in each worker's slot folder,
 * logs named `<slotName>-<pair>-...`, under the batch's isolation, the holdout too when
 * `eval.holdout` is set: what `verify` measures, and what `split` measures per group.
 */
export async function measurePairs(
  store: RecordStore,
  config: Config,
  run: VerifyRun,
  commits: Record<Code, string>,
  slotName = "verify",
): Promise<PairsMeasured> {
  const holdout = config.eval.holdout;
  // One worker per GPU (or `workers`): each runs whole pairs on its own device, so the two halves
  // of a pair are always measured on the same device (matched), and pairs run in parallel.
  const gpus = await workerGpus(config);
  const workers = gpus ? gpus.length : config.workers;
  const holdoutIso = holdout ? await holdoutIsolation(store, config, run) : null;
  // Each worker's runs happen in the worker's own slot folder, the one the loop's runs on that
  // worker use: no path says verify (blind runs). The holdout's runs follow in the same folder.
  const slotsOf = (w: number): Record<Which, Slot | null> => ({
    validation: makeSlot(store, w, String(w), run.isolation, gpus?.[w]),
    holdout: holdoutIso ? makeSlot(store, w, String(w), holdoutIso, gpus?.[w]) : null,
  });
  const perWorker = Array.from({ length: workers }, (_, w) => slotsOf(w));
  const configs: Record<Which, Pick<Config, "eval" | "frozen">> = {
    validation: config,
    holdout: {
      frozen: config.frozen,
      eval: { ...config.eval, command: holdout?.command ?? "", metrics: scoreMetrics(config) },
    },
  };
  const samples = {
    validation: { base: [] as number[], final: [] as number[] },
    holdout: { base: [] as number[], final: [] as number[] },
  };
  const failures: VerifyFailure[] = [];
  let seconds = 0;
  const header = store.log!.config!;
  const seedOf = pairSeeds();
  const measure = async (
    slot: Slot,
    pair: number,
    which: Which,
    code: Code,
  ): Promise<number | null> => {
    const name = `${slotName}-${pair}-${which === "holdout" ? "holdout-" : ""}${code}`;
    const outcome = await slot.evaluate(
      configs[which],
      commits[code],
      name,
      { ...run.evalEnv, AUTOEXP_SEED: String(seedOf(`${which}-${pair}`)) },
      header.frozen_hashes,
    );
    seconds += outcome.durationMs / 1000;
    const score = scoreOf(outcome.metrics, config, header);
    const problem = runProblem(outcome, score);
    if (problem) failures.push({ pair, code, eval: which, problem });
    run.emit({
      type: "verify-run",
      pair,
      of: run.pairs,
      code,
      eval: which,
      score: problem ? null : score,
      ...(problem ? { problem } : {}),
    });
    return problem ? null : score;
  };
  const orderSeed = run.orderSeed ?? drawOrderSeed();
  // Too many failed runs: the code does not run here; say so with what was measured.
  const enough = Math.max(2, Math.ceil(run.pairs / 2));
  const measured = new Map<number, Partial<Record<Which, [number, number]>>>();
  const on = new Map<number, Slot>();
  let next = 1;
  await Promise.all(
    perWorker.map(async (slots) => {
      while (failures.length < enough && next <= run.pairs) {
        const pair = next++;
        on.set(pair, slots.validation!);
        for (const which of ["validation", "holdout"] as const) {
          const slot = slots[which];
          if (!slot) continue;
          // The pair's order is drawn (blind runs): the second run is not always the final code.
          const baseFirst = firstSideFirst(orderSeed, pair);
          const [first, second]: [Code, Code] = baseFirst ? ["base", "final"] : ["final", "base"];
          const a = await measure(slot, pair, which, first);
          const b = a === null ? null : await measure(slot, pair, which, second);
          if (a !== null && b !== null)
            measured.set(pair, { ...measured.get(pair), [which]: baseFirst ? [a, b] : [b, a] });
        }
      }
    }),
  );
  // In pair order, whatever finished first: the record does not depend on timing.
  const pairsOn: { worker: number; device: string | null }[] = [];
  for (const pair of [...measured.keys()].sort((x, y) => x - y)) {
    for (const which of ["validation", "holdout"] as const) {
      const ab = measured.get(pair)![which];
      if (!ab) continue;
      samples[which].base.push(ab[0]);
      samples[which].final.push(ab[1]);
    }
    const slot = on.get(pair)!;
    if (measured.get(pair)!.validation) pairsOn.push({ worker: slot.id, device: slot.device });
  }
  if (workers > 1) return { samples, failures, seconds, orderSeed, pairsOn };
  return { samples, failures, seconds, orderSeed };
}

/** A fresh slot for re-measuring, under the tag's state folder. */
export function makeSlot(
  store: RecordStore,
  id: number,
  name: string,
  isolation: Isolation,
  gpu?: Gpu,
): Slot {
  return new Slot({
    id,
    root: join(store.stateDir, "slots", name),
    git: store.repo,
    isolation,
    logs: join(store.stateDir, "logs"),
    ...(gpu ? { gpu } : {}),
  });
}

/** The batch's isolation plus the holdout's own read-only paths, mounted for its runs only. */
async function holdoutIsolation(
  store: RecordStore,
  config: Config,
  run: VerifyRun,
): Promise<Isolation> {
  const extra = config.eval.holdout?.read_only ?? [];
  if (extra.length === 0) return run.isolation;
  const isolation = { ...config.isolation, read_only: [...config.isolation.read_only, ...extra] };
  const resolved = await resolveIsolation(
    { isolation, eval: config.eval },
    store.repo.dir,
    await store.repo.commonDir(),
    run.env,
  );
  if (resolved.mode !== run.isolation.mode)
    throw new AutoexpError(
      `the holdout would run ${resolved.mode === "none" ? "unsandboxed" : "sandboxed"} while the eval runs ${run.isolation.mode === "none" ? "unsandboxed" : "sandboxed"}; nothing was run`,
      { exitCode: 1 },
    );
  return resolved;
}

/** The metrics the primary score is made of: the holdout must print these. */
function scoreMetrics(config: Config): Config["eval"]["metrics"] {
  const names =
    config.decide.rule === "weighted" && config.decide.weights
      ? Object.keys(config.decide.weights)
      : [primaryMetric(config)];
  return Object.fromEntries(names.map((n) => [n, config.eval.metrics[n]!]));
}

/** One run's primary score (rule weighted: the combined score over the tag's baseline means). */
export function scoreOf(
  metrics: Record<string, number>,
  config: Config,
  header: ConfigEntry,
): number | null {
  const value = withWeightedScore(metrics, config, header.baseline_metrics ?? {})[header.metric];
  return value !== undefined && Number.isFinite(value) ? value : null;
}

/**
 * `verify.pairs` in the config: the batch ends with a verify of its final code. Nothing kept, an
 * interrupted or broken batch: no verify. A verify that cannot run is said, and the batch's
 * outcome stands (its record is complete without it).
 */
export async function verifyAtBatchEnd(
  store: RecordStore,
  config: Config,
  stop: { kind: string },
  run: Omit<VerifyRun, "pairs">,
): Promise<boolean> {
  if (!config.verify || stop.kind === "interrupted" || stop.kind === "broken") return false;
  const inc = store.log ? incumbentState(store.log) : null;
  if (!inc || inc.iteration === 0) {
    run.emit({ type: "notice", message: "verify skipped: nothing kept, the code is its base" });
    return false;
  }
  try {
    await verifyRecord(store, config, { ...run, pairs: config.verify.pairs });
    return true;
  } catch (error) {
    if (!(error instanceof AutoexpError)) throw error;
    run.emit({ type: "notice", message: `verify did not run: ${error.message}` });
    return false;
  }
}

/** Why a measuring run does not count (it changed the harness, failed, or printed no score); null when it counts. */
export function runProblem(
  outcome: { tampered: readonly string[]; status: string; problem?: string },
  score: number | null,
): string | null {
  if (outcome.tampered.length > 0)
    return `it changed frozen files: ${outcome.tampered.slice(0, 5).join(", ")}`;
  return outcome.status !== "ok" || score === null ? (outcome.problem ?? outcome.status) : null;
}
