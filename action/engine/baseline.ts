import { compileGlobs } from "../config/check-scope-files.ts";
import type { Config } from "../config/schema.ts";
import {
  chooseMinDeltas,
  guardsOf,
  objectiveSpecs,
  withWeightedScore,
} from "../decide/build-policy.ts";
import { trustSettings } from "../decide/config-changes.ts";
import { breachedAtStart, guardBreach } from "../decide/guard-breach.ts";
import { noiseOf } from "../decide/ledger-state.ts";
import { collectSamples, meansOf } from "../decide/samples.ts";
import { mean } from "../decide/stats.ts";
import { lastLines } from "../eval/read-tail.ts";
import { buildHeader } from "../ledger/rows.ts";
import type { ResultEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import type { BatchEvent } from "./events.ts";
import { contentKeyOf, hashFrozen } from "./fingerprint.ts";
import { round } from "./propose.ts";
import type { RecordStore } from "./record-store.ts";
import type { Slot } from "./slot.ts";

/** A new tag: the baseline runs on the starting commit, in a slot; the record starts on it. */
export async function startTag(
  store: RecordStore,
  config: Config,
  slot: Slot,
  ctx: {
    metric: string;
    goal: "minimize" | "maximize";
    evalEnv: Record<string, string | undefined>;
    emit: (e: BatchEvent) => void;
  },
): Promise<void> {
  const base = (await store.repo.resolve("HEAD"))!;
  await slot.prepare(base);
  const frozen = await hashFrozen(slot.dir, config.frozen);
  const isTarget = compileGlobs(config.target);
  const targets = (await store.repo.lsTree(base)).map((e) => e.path).filter(isTarget);
  const contentKey = await contentKeyOf(targets, (p) => slot.read(p));
  const started = performance.now();
  const runs: Record<string, number>[] = [];
  for (let run = 0; run < config.decide.baseline_runs; run++) {
    const outcome = await slot.evaluate(
      config,
      base,
      `0-${run}`,
      ctx.evalEnv,
      frozen,
      (elapsedMs, lastLine) =>
        ctx.emit({ type: "eval-progress", iteration: 0, run: run + 1, elapsedMs, lastLine }),
    );
    if (outcome.status !== "ok" || outcome.tampered.length > 0) {
      const printed = Object.keys(outcome.metrics);
      const problem = outcome.problem ?? `it changed frozen files: ${outcome.tampered.join(", ")}`;
      const hint =
        outcome.problem?.includes("missing") && printed.length > 0
          ? ` (it did print: ${printed.join(", ")}; every metric in eval.metrics, guards included, must be printed)`
          : "";
      // Earlier runs of the same commit measured: the eval is flaky, which running again hides.
      const flaky =
        runs.length > 0
          ? ` Run ${run + 1} of ${config.decide.baseline_runs} failed after ${runs.length} of the same commit measured: the eval is FLAKY, and running again only hides it (a failed run of a candidate is recorded as a crash). Make it reliable first; \`autoexp check --runs 10\` shows how often it fails.`
          : "";
      throw new AutoexpError(
        `the baseline eval failed (${problem})${hint}, so there is nothing to compare experiments with.${flaky || " Fix the eval or autoexp.yml and run again."} ${lastLines(outcome.tail)}\nFull log: ${outcome.logPath}`,
        { exitCode: 1 },
      );
    }
    runs.push(outcome.metrics);
  }
  const baselineMeans = meansOf(collectSamples(runs));
  const samples = collectSamples(runs.map((m) => withWeightedScore(m, config, baselineMeans)));
  const means = meansOf(samples);
  const objectives = objectiveSpecs(config);
  const noise = noiseOf(
    [samples],
    objectives.map((o) => o.name),
  );
  const minDeltas = chooseMinDeltas(config, noise);
  const scores = samples[ctx.metric]!;
  const score = mean(scores);
  const guards = guardsOf(config);
  const firstGuard = Object.keys(guards)[0];
  const now = new Date().toISOString();
  const header = buildHeader(
    {
      tag: store.tag,
      name: config.name,
      target: config.target,
      frozen: config.frozen,
      evalCommand: config.eval.command,
      metric: ctx.metric,
      goal: ctx.goal,
      guards,
      baseline: score,
      minDeltas,
      noise: scores.length > 1 ? noise[ctx.metric]!.sd : null,
      rule: config.decide.rule,
      objectives,
      baselineMetrics: baselineMeans,
      weights: config.decide.weights,
      confidence: config.decide.confidence,
      frozenHashes: frozen,
      agent: config.agent.use,
      baseCommit: base,
      trust: trustSettings(config),
    },
    now,
  );
  const row: ResultEntry = {
    type: "result",
    iteration: 0,
    commit: base.slice(0, 7),
    commit_full: base,
    diff: null,
    score,
    delta: 0,
    guard_score: firstGuard ? (means[firstGuard] ?? null) : null,
    guard_pass: null,
    status: "baseline",
    description: "baseline",
    timestamp: now,
    metrics: means,
    samples,
    agent_seconds: 0,
    eval_seconds: round((performance.now() - started) / 1000),
    cost_usd: 0,
    content_key: contentKey,
  };
  await store.start(header, row);
  const breach = guardBreach(guards, samples);
  if (breach) ctx.emit({ type: "notice", message: breachedAtStart(breach) });
  ctx.emit({
    type: "baseline",
    score,
    runs: scores.length,
    noise: header.noise,
    minDelta: header.min_delta,
    seconds: row.eval_seconds,
  });
}
