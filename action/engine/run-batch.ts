import { join } from "node:path";
import type { Agent } from "../agents/agent.ts";
import { agentProblem, createAgent } from "../agents/create-agent.ts";
import type { Line } from "../agents/line.ts";
import { compileGlobs } from "../config/check-scope-files.ts";
import type { Config } from "../config/schema.ts";
import { primaryMetric } from "../config/validate-config.ts";
import { FAILED_STOPS, type Stop } from "../decide/budget.ts";
import { buildPolicy, objectiveSpecs } from "../decide/build-policy.ts";
import { type IncumbentState, incumbentState } from "../decide/ledger-state.ts";
import { evalSpent } from "../ledger/eval-spent.ts";
import type { ParsedLog } from "../ledger/log-jsonl.ts";
import { viewFromLog } from "../ledger/summarize.ts";
import { EVALUATED, KEPT, type ResultEntry } from "../ledger/types.ts";
import { createStrategy } from "../strategy/create-strategy.ts";
import { AutoexpError } from "../util/errors.ts";
import { startTag } from "./baseline.ts";
import { concurrentBaseline } from "./concurrent-baseline.ts";
import { watchReadOnly } from "./data-watch.ts";
import type { BatchEvent } from "./events.ts";
import type { EngineContext } from "./experiment.ts";
import { explainFailure } from "./explain-failure.ts";
import { createFaults } from "./faults.ts";
import { recordPendingImport } from "./import-history.ts";
import { INTERRUPTED, Interrupted, StopGate } from "./interrupted.ts";
import { resolveIsolation } from "./isolation.ts";
import { openTag } from "./open-tag.ts";
import { preflightNewTag } from "./preflight.ts";
import { checkCompatible, noticeMovedBase } from "./resume-checks.ts";
import { runPipelined, runSerial } from "./scheduler.ts";
import { sealRepository, type Tampering } from "./seal.ts";
import { Slot, SlotPool } from "./slot.ts";
import { experimentSteps } from "./steps.ts";
import { verifyAtBatchEnd } from "./verify.ts";
import { workerGpus } from "./worker-gpus.ts";

export type { BatchEvent } from "./events.ts";

export interface BatchOptions {
  repoDir: string;
  config: Config;
  tag: string;
  /** Experiments in this batch; defaults to budget.experiments. */
  experiments?: number;
  /** Resume a tag whose decision-relevant config changed: record the change, re-measure. */
  acceptConfigChange?: boolean;
  /**
   * Go on from a branch autoexp cannot prove it wrote (moved, an unsigned or missing journal),
   * after checking every kept commit on it; a commit: only that one (see openTag).
   */
  adopt?: true | string | undefined;
  /** Overrides the agent the config names (tests, benches). */
  agent?: Agent;
  env?: Record<string, string | undefined>;
  onEvent?: (event: BatchEvent) => void;
  /**
   * A requested stop (the first Ctrl-C or SIGTERM): no eval run, check, agent call or rebase
   * starts after it; the batch ends when what is in flight ends, recording nothing half-done.
   */
  signal?: AbortSignal;
  /**
   * Line i of K when K batches explore the tag in parallel (an Actions matrix): model agents are
   * told, with program.md's `## Line <i>` section; CLI agents get AUTOEXP_LINE=i/K.
   */
  line?: Line;
  /**
   * Awaited each time the branch has moved (baseline, experiment, re-measure, batch end), before
   * anything else runs: the Action copies the record off the machine here (a git bundle).
   */
  checkpoint?: () => Promise<void>;
}

export interface BatchResult {
  tag: string;
  branch: string;
  baseline: number;
  /**
   * The runs the baseline's value is the mean of: its first runs and its re-measures since (the
   * batch's first line gave the first runs' mean alone).
   */
  baselineRuns: number | null;
  best: number;
  bestCommit: string;
  improvementPct: number | null;
  kept: number;
  /** Experiments recorded by this batch (the baseline not counted). */
  experiments: number;
  /** Experiments on the tag, all batches, baseline not counted. */
  total: number;
  stopReason: string;
  /** Why the batch ended, typed: `failed` stops (agent, failures, broken, violation) exit non-zero. */
  stop: Stop & { failed: boolean };
  isolation: "sandbox" | "none";
  /**
   * Eval time this batch recorded: every run, the incumbents' and those of evaluations left
   * behind included (ledger/eval-spent.ts).
   */
  evalSeconds: number;
}

/**
 * Runs one batch on tag `autoexp/<tag>`: baseline first if the tag is new, then experiments until
 * a budget stops it. Resumes where the ledger ends. See DESIGN.md, "The loop" and "Engine shape".
 */
export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  try {
    return await runBatchUnexplained(options);
  } catch (error) {
    throw explainFailure(error, options.tag);
  }
}

async function runBatchUnexplained(options: BatchOptions): Promise<BatchResult> {
  const { config, tag } = options;
  // What the ledger records from here on is this batch's (its eval time).
  const since = new Date().toISOString();
  const env = options.env ?? process.env;
  const emit = options.onEvent ?? (() => {});
  if (!options.agent) {
    const problem = agentProblem(config.agent, env);
    if (problem) throw new AutoexpError(`${problem}. Nothing was run or written`);
  }
  await preflightNewTag(options.repoDir, tag, config, env);
  const {
    store,
    evalEnv,
    agentEnv,
    redact,
    emit: safeEmit,
  } = await openTag({
    repoDir: options.repoDir,
    tag,
    config,
    env,
    onEvent: options.onEvent,
    adopt: options.adopt,
  });
  await using _store = store;
  const isolation = await resolveIsolation(
    config,
    store.repo.dir,
    await store.repo.commonDir(),
    env,
  );
  // Declared read-only data, watched from now on: a change by anything stops the batch.
  const data = watchReadOnly(isolation.readOnlyData);
  safeEmit({
    type: "isolation",
    mode: isolation.mode,
    warnings: [...isolation.warnings, ...data.warnings],
  });
  const gate = new StopGate(options.signal, store.log ? recentRunMs(store.log) : []);
  const gpus = await workerGpus(config);
  const slots = Array.from(
    { length: gpus ? gpus.length : config.workers },
    (_, id) =>
      new Slot({
        id,
        root: join(store.stateDir, "slots", String(id)),
        git: store.repo,
        isolation,
        logs: join(store.stateDir, "logs"),
        gate,
        ...(gpus ? { gpu: gpus[id]! } : {}),
      }),
  );
  const slot = slots[0]!;
  const pool = new SlotPool(slots);
  const metric = primaryMetric(config);
  const goal = objectiveSpecs(config)[0]!.goal;
  // What runs wrote into writable caches goes on record at each checkpoint, a point where
  // nothing else writes the record.
  const recordCacheWrites = async (): Promise<boolean> => {
    const lines = isolation.takeCacheWrites(new Date().toISOString());
    if (lines.length > 0) await store.append(lines);
    return lines.length > 0;
  };
  const checkpoint = async () => {
    await recordCacheWrites();
    await options.checkpoint?.();
  };
  // The eval learns nothing of the tag or the run (see EVAL_AUTOEXP_NAMES).
  const evalOnly = evalEnv;
  // Said at once, when the stop is asked for: what the batch still waits for, and about how long.
  using _stopping = gate.onStopping(() => safeEmit({ type: "stopping", waiting: gate.inFlight() }));
  const resuming = store.log !== null;
  try {
    if (!store.log) {
      await startTag(store, config, slot, { metric, goal, evalEnv: evalOnly, emit: safeEmit });
      if (await recordPendingImport(store))
        safeEmit({ type: "notice", message: "imported history recorded (autoexp import)" });
      await checkpoint();
    } else {
      const head = store.log;
      await checkCompatible(
        store,
        config,
        slot,
        options.acceptConfigChange ?? false,
        evalOnly,
        safeEmit,
      );
      await noticeMovedBase(store, safeEmit);
      emit({
        type: "resumed",
        experiments: head.results.length - 1,
        best: currentIncumbent(head).score,
      });
    }
  } catch (error) {
    throw error instanceof Interrupted ? interruptedBefore(resuming) : error;
  }
  const log = store.log!;
  // A matrix line's rows say so, and which incumbent every line started from (the tree's root).
  if (options.line) store.writeAsLine({ ...options.line, from: currentIncumbent(log).iteration });
  const ctx: EngineContext = {
    config,
    tag,
    metric,
    goal,
    policy: buildPolicy(config, log.config!),
    store,
    agent: options.agent ?? createAgent(config.agent),
    agentGit:
      config.agent.use !== "search" &&
      config.agent.use !== "openai" &&
      config.agent.use !== "anthropic",
    launchAgent: isolation.launchAgent,
    evalEnv: evalOnly,
    agentEnv: options.line
      ? { ...agentEnv, AUTOEXP_LINE: `${options.line.index}/${options.line.of}` }
      : agentEnv,
    ...(options.line ? { line: options.line } : {}),
    redact,
    faults: createFaults(env),
    emit: safeEmit,
    checkpoint,
    isTarget: compileGlobs(config.target),
    isFrozen: compileGlobs(config.frozen),
    seen: seenContent(log.results),
    startedAt: performance.now(),
    planned: options.experiments ?? config.budget.experiments,
    done: 0,
    proposers: config.pipeline ? config.proposers : 1,
    workers: slots.length,
    busyShare: () => pool.busyShare(),
    runsMade: () => pool.finished(),
    signal: options.signal,
    stopGate: gate,
    strategy: createStrategy(config),
  };
  const caveats = trustCaveats(config, isolation);
  // In every mode: a sandbox keeps .git out of reach, and this proves it stayed so.
  const repoSeal = await sealRepository(store);
  const seal = async (): Promise<Tampering | null> => {
    const repo = await repoSeal();
    if (repo) return { status: "violation", reason: repo };
    const changed = data.check();
    return changed ? { status: "crash", reason: changed } : null;
  };
  const steps = experimentSteps(ctx, seal);
  // Serial: one slot, nothing proposed ahead. Otherwise candidates are begun ahead of the
  // decision point: one per worker, the proposals being made, and one proposed and waiting, so
  // that a free slot never waits for a proposal when proposing is no slower than evaluating.
  const lag = slots.length - 1 + (config.pipeline ? ctx.proposers + 1 : 0);
  const stop =
    (await concurrentBaseline(ctx, slots).catch((error) => {
      if (error instanceof Interrupted) return INTERRUPTED;
      throw error;
    })) ??
    (lag === 0
      ? await runSerial(steps, () => pool.acquire())
      : await runPipelined(steps, () => pool.acquire(), { lag }));
  const stopReason = redact(stop.reason);
  safeEmit({ type: "stop", reason: stopReason });
  await store.append([
    ...isolation.takeCacheWrites(new Date().toISOString()),
    {
      type: "batch",
      event: "end",
      timestamp: new Date().toISOString(),
      reason: stopReason,
      experiments: ctx.done,
      isolation: isolation.mode,
      ...(caveats.length > 0 ? { caveats } : {}),
    },
  ]);
  await checkpoint();
  const verify = { isolation, evalEnv: evalOnly, env, emit: safeEmit };
  const verified = await verifyAtBatchEnd(store, config, stop, verify);
  // Its runs may have written into a cache too: recorded, and pushed with it.
  if ((await recordCacheWrites()) || verified) await options.checkpoint?.();
  return summarise(
    tag,
    store.log!,
    ctx.done,
    { ...stop, reason: stopReason },
    isolation.mode,
    since,
  );
}

/** A stop asked for while the baseline (or, on resume, the incumbent) was being measured. */
function interruptedBefore(resuming: boolean): Interrupted {
  const what = resuming
    ? "the incumbent's runs under the changed config were recorded"
    : "the baseline was recorded";
  return new Interrupted(
    `${what}: none of its runs were kept. Run the same command again to start there`,
  );
}

/** The latest eval runs' lengths on record (ms per run), for a stop's estimate before any runs here. */
function recentRunMs(log: ParsedLog): number[] {
  return log.results
    .slice(-5)
    .filter((r) => r.eval_seconds > 0)
    .map((r) => {
      const runs = Math.max(1, ...Object.values(r.samples).map((s) => s.length));
      return (r.eval_seconds * 1000) / runs;
    });
}

/** What the reviewer must know about how this batch's evals ran. */
function trustCaveats(config: Config, isolation: { mode: string; warnings: readonly string[] }) {
  const caveats: string[] = [];
  if (isolation.mode === "none")
    caveats.push(
      `Unsandboxed: this batch's evals ran without the sandbox (${isolation.warnings.join("; ")}); a kept score was not protected from code that reads keys or writes outside its copy.`,
    );
  if (config.isolation.writable.length > 0)
    caveats.push(
      isolation.mode === "sandbox"
        ? `Writable cache: each eval ran on its own copy of ${config.isolation.writable.join(", ")} as it was when the batch began; what a run wrote there was discarded before the next.`
        : `Writable cache: evals could write ${config.isolation.writable.join(", ")}, which later runs read.`,
    );
  if (config.isolation.shared.length > 0)
    caveats.push(
      `Shared folder: evals read and wrote ${config.isolation.shared.join(", ")} in place, so a run could leave something there for a later one.`,
    );
  return caveats;
}

function summarise(
  tag: string,
  log: ParsedLog,
  done: number,
  stop: Stop,
  isolation: "sandbox" | "none",
  since: string,
): BatchResult {
  const view = viewFromLog(log);
  const inc = currentIncumbent(log);
  return {
    tag,
    branch: `autoexp/${tag}`,
    baseline: view.baseline ?? log.config!.baseline,
    baselineRuns: view.rows.find((r) => r.status === "baseline")?.runs ?? null,
    best: inc.score,
    bestCommit: log.results.findLast((r) => r.iteration === inc.iteration)?.commit ?? inc.commit,
    improvementPct: view.baseline
      ? ((inc.score - view.baseline) / Math.abs(view.baseline)) * 100
      : null,
    kept: log.results.filter((r) => KEPT.has(r.status) && r.status !== "baseline").length,
    experiments: done,
    total: log.results.length - 1,
    stopReason: stop.reason,
    stop: { ...stop, failed: FAILED_STOPS.has(stop.kind) },
    isolation,
    evalSeconds: evalSpent(log, view.metric, since).seconds,
  };
}

/** Content the eval already ran on, by key: the same content again is a duplicate. */
function seenContent(rows: readonly ResultEntry[]): Map<string, ResultEntry> {
  const seen = new Map<string, ResultEntry>();
  for (const r of rows) if (r.content_key && EVALUATED.has(r.status)) seen.set(r.content_key, r);
  return seen;
}

function currentIncumbent(log: ParsedLog): IncumbentState {
  const inc = incumbentState(log);
  if (!inc)
    throw new AutoexpError("the ledger has no baseline row; it is damaged", { exitCode: 1 });
  return inc;
}
