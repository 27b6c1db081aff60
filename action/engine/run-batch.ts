import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Agent } from "../agents/agent.ts";
import { agentProblem, createAgent } from "../agents/create-agent.ts";
import { createRedactor, redactDeep, splitEnv } from "../agents/secrets.ts";
import { checkScopeFiles, compileGlobs } from "../config/check-scope-files.ts";
import type { Config } from "../config/schema.ts";
import { formatProblems, primaryMetric } from "../config/validate-config.ts";
import { type Judgement, judge, type Policy } from "../decide/judge.ts";
import {
  buildPolicy,
  chooseMinDeltas,
  type IncumbentState,
  incumbentState,
  ledgerSamples,
  noiseOf,
  objectiveSpecs,
  withWeightedScore,
} from "../decide/ledger-state.ts";
import { pooledNoise } from "../decide/noise.ts";
import { mean, tUpperTail } from "../decide/stats.ts";
import { readEnd, tailLines } from "../eval/read-tail.ts";
import { type EvalOutcome, runEval } from "../eval/run-eval.ts";
import { appendLog, type ParsedLog } from "../ledger/log-jsonl.ts";
import { viewFromLog } from "../ledger/summarize.ts";
import {
  type ConfigEntry,
  FAILURES,
  KEPT,
  type RemeasureEntry,
  type ResultEntry,
  type Status,
} from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import { runProcess } from "../util/run-process.ts";
import { createFaults } from "./faults.ts";
import { contentKey, diffManifests, hashFrozen } from "./fingerprint.ts";
import { findRepository, recordDir, Workspace } from "./workspace.ts";

export type BatchEvent =
  | { type: "recovered"; messages: string[] }
  | {
      type: "baseline";
      score: number;
      runs: number;
      noise: number | null;
      minDelta: number;
      seconds: number;
    }
  | { type: "resumed"; experiments: number; best: number }
  | {
      type: "remeasure";
      reason: RemeasureEntry["reason"];
      runs: number;
      score: number;
      note?: string;
    }
  | { type: "run"; iteration: number; run: number; reason: string }
  | {
      type: "experiment";
      row: ResultEntry;
      index: number;
      of: number;
      best: number;
      etaMs: number | null;
    }
  | { type: "start"; iteration: number; index: number; of: number }
  | { type: "stop"; reason: string };

export interface BatchOptions {
  repoDir: string;
  config: Config;
  tag: string;
  /** Experiments in this batch; defaults to budget.experiments. */
  experiments?: number;
  /** Overrides the agent the config names (tests, future LLM agents). */
  agent?: Agent;
  env?: Record<string, string | undefined>;
  onEvent?: (event: BatchEvent) => void;
  /** Checked between experiments: a requested stop ends the batch cleanly. */
  signal?: AbortSignal;
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
  best: number;
  bestCommit: string;
  improvementPct: number | null;
  kept: number;
  /** Experiments recorded by this batch (the baseline not counted). */
  experiments: number;
  /** Experiments on the tag, all batches, baseline not counted. */
  total: number;
  stopReason: string;
  worktree: string;
}

const EVALUATED: ReadonlySet<Status> = new Set([
  "baseline",
  "keep",
  "discard",
  "guard_fail",
  "crash",
  "timeout",
  "simplification",
  "checks_failed",
]);

/**
 * Runs one batch on tag `autoexp/<tag>`: baseline first if the tag is new, then experiments until
 * a budget stops it. Resumes where the ledger ends. See DESIGN.md, "The loop".
 */
export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  const { config, tag } = options;
  const env = options.env ?? process.env;
  const emit = options.onEvent ?? (() => {});
  if (!options.agent) {
    const problem = agentProblem(config.agent, env);
    if (problem) throw new AutoexpError(`${problem}. Nothing was run or written`);
  }
  await preflightNewTag(options.repoDir, tag, config, env);
  const {
    workspace: ws,
    log: existing,
    recovered,
  } = await Workspace.open({ repoDir: options.repoDir, tag, env });
  try {
    if (recovered.length > 0) emit({ type: "recovered", messages: recovered });
    const metric = primaryMetric(config);
    const goal = objectiveSpecs(config)[0]!.goal;
    // Credentials reach the agent only: the eval and the checks run code the agent wrote.
    // AUTOEXP_FAULT drives autoexp's own fault injection; it is not for the eval or the agent.
    const { AUTOEXP_FAULT: _fault, ...base } = env;
    const { evalEnv, agentEnv, values } = splitEnv({ ...base, AUTOEXP_TAG: tag }, config.agent);
    const redact = createRedactor(values);
    const safeEmit = (event: BatchEvent) => emit(redactDeep(event, redact));
    const checkpoint = options.checkpoint ?? (async () => {});
    const log = existing ?? (await startTag(ws, config, { metric, goal, evalEnv, emit: safeEmit }));
    if (!existing) await checkpoint();
    else {
      await checkCompatible(ws, config, existing.config!, metric);
      emit({
        type: "resumed",
        experiments: existing.results.length - 1,
        best: currentIncumbent(existing).score,
      });
    }
    const engine = new BatchLoop(ws, config, log, {
      agent: options.agent ?? createAgent(config.agent),
      metric,
      goal,
      policy: buildPolicy(config, log.config!),
      evalEnv,
      agentEnv,
      redact,
      faults: createFaults(env),
      emit: safeEmit,
      checkpoint,
    });
    const planned = options.experiments ?? config.budget.experiments;
    const stopReason = redact(await engine.run(planned, options.signal));
    safeEmit({ type: "stop", reason: stopReason });
    const end = {
      type: "batch",
      event: "end",
      timestamp: new Date().toISOString(),
      reason: stopReason,
      experiments: engine.done,
    } as const;
    await appendLog(ws.logPath, [end]);
    log.batches.push(end);
    await ws.finalize(log, []);
    await ws.git.resetHard(ws.head!);
    await checkpoint();
    const view = viewFromLog(log);
    const inc = currentIncumbent(log);
    return {
      tag,
      branch: `autoexp/${tag}`,
      baseline: view.baseline ?? log.config!.baseline,
      best: inc.score,
      bestCommit: inc.commit,
      improvementPct: view.baseline
        ? ((inc.score - view.baseline) / Math.abs(view.baseline)) * 100
        : null,
      kept: log.results.filter((r) => r.status === "keep" || r.status === "simplification").length,
      experiments: engine.done,
      total: log.results.length - 1,
      stopReason,
      worktree: ws.worktree,
    };
  } finally {
    await ws.close();
  }
}

function currentIncumbent(log: ParsedLog): IncumbentState {
  const inc = incumbentState(log);
  if (!inc)
    throw new AutoexpError("the ledger has no baseline row; it is damaged", { exitCode: 1 });
  return inc;
}

interface StartContext {
  metric: string;
  goal: "minimize" | "maximize";
  evalEnv: Record<string, string | undefined>;
  emit: (e: BatchEvent) => void;
}

/** Checks for a new tag, before anything is created: a clean tree and globs that match committed files. */
async function preflightNewTag(
  repoDir: string,
  tag: string,
  config: Config,
  env: Record<string, string | undefined>,
): Promise<void> {
  const repo = await findRepository(repoDir, env);
  if (await repo.resolve(`refs/heads/autoexp/${tag}`)) return;
  if (!(await repo.resolve("HEAD"))) {
    throw new AutoexpError(`${repoDir} has no commit yet: commit your files, then run autoexp`);
  }
  // Porcelain lines are "XY path"; trimming the whole output would eat the first X.
  const dirty = (await repo.raw(["status", "--porcelain", "--untracked-files=no"]))
    .split("\n")
    .filter(Boolean);
  if (dirty.length > 0) {
    const files = dirty
      .map((l) => l.slice(3))
      .slice(0, 5)
      .join(", ");
    throw new AutoexpError(
      `the working tree has uncommitted changes (${files}): autoexp experiments start from a commit, so commit or stash them first. Nothing was changed`,
    );
  }
  const committed = await repo.listFiles();
  const untracked = (await repo.raw(["ls-files", "--others", "--exclude-standard", "-z"]))
    .split("\0")
    .filter(Boolean);
  const { problems } = checkScopeFiles(config, committed, untracked);
  if (problems.length > 0) throw new AutoexpError(formatProblems("autoexp.yml", problems));
}

/** A new tag: measure the baseline on the starting commit and create the branch. */
async function startTag(ws: Workspace, config: Config, ctx: StartContext): Promise<ParsedLog> {
  const base = (await ws.git.resolve("HEAD"))!;
  const frozen = await hashFrozen(ws.worktree, config.frozen);
  const started = performance.now();
  const runs: Record<string, number>[] = [];
  for (let run = 0; run < config.decide.baseline_runs; run++) {
    const outcome = await evalChecked(ws, config, `0-${run}`, ctx.evalEnv, frozen);
    if (outcome.status !== "ok") {
      const printed = Object.keys(outcome.metrics);
      const hint =
        outcome.problem?.includes("missing") && printed.length > 0
          ? ` (it did print: ${printed.join(", ")}; every metric in eval.metrics, guards included, must be printed)`
          : "";
      throw new AutoexpError(
        `the baseline eval failed (${outcome.problem})${hint}, so there is nothing to compare experiments with. Fix the eval or autoexp.yml and run again. Last lines:\n${outcome.tail}\nFull log: ${outcome.logPath}`,
        { exitCode: 1 },
      );
    }
    runs.push(outcome.metrics);
  }
  const raw = collect(runs);
  const baselineMeans = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, mean(v)]));
  const samples = collect(runs.map((m) => withWeightedScore(m, config, baselineMeans)));
  const means = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, mean(v)]));
  const objectives = objectiveSpecs(config);
  const noise = noiseOf(
    [samples],
    objectives.map((o) => o.name),
  );
  const minDeltas = chooseMinDeltas(config, noise);
  const scores = samples[ctx.metric]!;
  const score = mean(scores);
  const guards = buildPolicy(config, { min_delta: 0 }).guards;
  const firstGuard = Object.entries(guards)[0];
  const now = new Date().toISOString();
  const header: ConfigEntry = {
    type: "config",
    version: 1,
    tag: ws.tag,
    name: config.name,
    constrained_file: config.target.join(","),
    eval_command:
      typeof config.eval.command === "string" ? config.eval.command : config.eval.command.join(" "),
    metric: ctx.metric,
    goal: ctx.goal,
    guard_metric: firstGuard?.[0] ?? null,
    guard_threshold: firstGuard ? (firstGuard[1].max ?? firstGuard[1].min ?? null) : null,
    guards,
    baseline: score,
    min_delta: minDeltas[ctx.metric] ?? 0,
    noise: scores.length > 1 ? noise[ctx.metric]!.sd : null,
    rule: config.decide.rule,
    objectives,
    min_deltas: minDeltas,
    baseline_metrics: baselineMeans,
    ...(config.decide.weights ? { weights: config.decide.weights } : {}),
    confidence: config.decide.confidence,
    target: config.target,
    frozen: config.frozen,
    frozen_hashes: frozen,
    agent: config.agent.use,
    base_commit: base,
    timestamp: now,
  };
  const row: ResultEntry = {
    type: "result",
    iteration: 0,
    commit: base.slice(0, 7),
    commit_full: base,
    diff: null,
    score,
    delta: 0,
    guard_score: firstGuard ? (means[firstGuard[0]] ?? null) : null,
    guard_pass: null,
    status: "baseline",
    description: "baseline",
    timestamp: now,
    metrics: means,
    samples,
    agent_seconds: 0,
    eval_seconds: round((performance.now() - started) / 1000),
    cost_usd: 0,
    content_key: await contentKey(
      ws.worktree,
      (await ws.git.listFiles()).filter(compileGlobs(config.target)),
    ),
  };
  await mkdir(dirname(ws.logPath), { recursive: true });
  await appendLog(ws.logPath, [header, row]);
  const log: ParsedLog = {
    config: header,
    results: [row],
    batches: [],
    remeasures: [],
    validBytes: 0,
    torn: false,
  };
  await ws.finalize(log, [row]);
  await ws.git.resetHard(ws.head!);
  ctx.emit({
    type: "baseline",
    score,
    runs: scores.length,
    noise: header.noise,
    minDelta: header.min_delta,
    seconds: row.eval_seconds,
  });
  return log;
}

/** Turns a list of runs' metrics into samples per metric. */
function collect(runs: readonly Record<string, number>[]): Record<string, number[]> {
  const samples: Record<string, number[]> = {};
  for (const metrics of runs) addSamples(samples, metrics);
  return samples;
}

/** A resumed tag must measure the same thing against the same harness. */
async function checkCompatible(
  ws: Workspace,
  config: Config,
  header: ConfigEntry,
  metric: string,
): Promise<void> {
  if (header.rule && header.rule !== config.decide.rule) {
    throw new AutoexpError(
      `tag ${ws.tag} decides with rule ${header.rule}, but the config now says ${config.decide.rule}: results would not compare. Use a new --tag`,
    );
  }
  if (header.metric !== metric) {
    throw new AutoexpError(
      `tag ${ws.tag} optimises ${header.metric}, but the config now names ${metric}: results would not compare. Use a new --tag`,
    );
  }
  const changed = diffManifests(header.frozen_hashes, await hashFrozen(ws.worktree, config.frozen));
  if (changed.length > 0) {
    throw new AutoexpError(
      `the frozen harness changed since tag ${ws.tag} started (${changed.slice(0, 3).join(", ")}): scores would not compare. Use a new --tag`,
    );
  }
}

/** Runs the eval once and checks the frozen files afterwards (code can rewrite the harness at run time). */
async function evalChecked(
  ws: Workspace,
  config: Config,
  name: string,
  env: Record<string, string | undefined>,
  frozen: Record<string, string>,
): Promise<EvalOutcome & { tampered: string[] }> {
  const logs = join(ws.stateDir, "logs");
  await mkdir(logs, { recursive: true });
  const outcome = await runEval(
    config,
    ws.worktree,
    join(logs, `${name}.log`),
    env,
    join(ws.stateDir, "eval.pid"),
  );
  const tampered = diffManifests(frozen, await hashFrozen(ws.worktree, config.frozen));
  return { ...outcome, tampered };
}

/** notes.md is bounded: past this size the oldest notes go (the newest matter most). */
const NOTES_MAX = 16_000;

function capNotes(text: string): string {
  if (text.length <= NOTES_MAX) return text;
  const cut = text.slice(text.length - NOTES_MAX);
  return `(older notes dropped to keep this file under ${NOTES_MAX} characters)\n${cut.slice(cut.indexOf("\n") + 1)}`;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

interface LoopDeps {
  agent: Agent;
  metric: string;
  goal: "minimize" | "maximize";
  policy: Policy;
  evalEnv: Record<string, string | undefined>;
  /** The eval's environment plus the agent's own secrets. */
  agentEnv: Record<string, string | undefined>;
  /** Removes secret values from anything written or shown. */
  redact: (text: string) => string;
  faults: ReturnType<typeof createFaults>;
  emit: (e: BatchEvent) => void;
  checkpoint: () => Promise<void>;
}

type Verdict = Pick<
  ResultEntry,
  "status" | "score" | "delta" | "metrics" | "samples" | "guard_pass"
> & {
  commit?: string;
  reason?: string;
  tail?: string;
  evalSeconds?: number;
  duplicateOf?: number;
  stop?: string;
  key?: string;
  evidence?: ResultEntry["evidence"];
  linesDelta?: number;
};

/** |z| of one incumbent re-run beyond which autoexp suspects drift and measures again (p < 0.001). */
const DRIFT_Z = 3.29;

/** The experiments of one batch, one at a time. */
class BatchLoop {
  done = 0;
  #ws: Workspace;
  #config: Config;
  #log: ParsedLog;
  #deps: LoopDeps;
  #isTarget: (path: string) => boolean;
  #seen = new Map<string, ResultEntry>();
  #targetFiles: string[] = [];
  #started = performance.now();
  #objectiveNames: string[];

  constructor(ws: Workspace, config: Config, log: ParsedLog, deps: LoopDeps) {
    this.#ws = ws;
    this.#config = config;
    this.#log = log;
    this.#deps = deps;
    this.#isTarget = compileGlobs(config.target);
    this.#objectiveNames = deps.policy.objectives.map((o) => o.name);
    for (const r of log.results)
      if (r.content_key && EVALUATED.has(r.status)) this.#seen.set(r.content_key, r);
  }

  async run(planned: number, signal?: AbortSignal): Promise<string> {
    this.#targetFiles = (await this.#ws.git.listFiles()).filter(this.#isTarget);
    while (true) {
      const stop = this.#budgetStop(planned, signal);
      if (stop) return stop;
      const before = this.#ws.head;
      const broken = await this.#remeasure();
      if (this.#ws.head !== before) await this.#deps.checkpoint();
      if (broken) return broken;
      if (signal?.aborted) return "interrupted";
      const outcome = await this.#experiment(planned);
      await this.#deps.checkpoint();
      if (outcome) return outcome;
    }
  }

  #budgetStop(planned: number, signal?: AbortSignal): string | null {
    const { budget } = this.#config;
    const rows = this.#log.results;
    if (signal?.aborted) return "interrupted";
    if (this.done >= planned) return `experiments budget reached (${planned})`;
    if (performance.now() - this.#started >= budget.wall_clock) return "wall_clock budget reached";
    const cost = rows.reduce((s, r) => s + (r.cost_usd || 0), 0);
    if (budget.cost_usd !== undefined && cost >= budget.cost_usd)
      return `cost budget reached ($${cost.toFixed(2)} of $${budget.cost_usd})`;
    let failures = 0;
    for (let i = rows.length - 1; i >= 0 && FAILURES.has(rows[i]!.status); i--) failures++;
    if (failures >= budget.stop_after_failures)
      return `${failures} consecutive failures (budget.stop_after_failures)`;
    const lastKept = rows.findLastIndex((r) => KEPT.has(r.status));
    if (budget.plateau !== undefined && rows.length - 1 - lastKept >= budget.plateau) {
      return `plateau: no keep in ${rows.length - 1 - lastKept} experiments (budget.plateau)`;
    }
    return null;
  }

  /** What is left of each budget, for the agent's context. */
  #budgetLeft(planned: number): {
    experiments: number;
    wallClockMs: number | null;
    costUsd: number | null;
  } {
    const { budget } = this.#config;
    const cost = this.#log.results.reduce((s, r) => s + (r.cost_usd || 0), 0);
    return {
      experiments: planned - this.done,
      wallClockMs: budget.wall_clock - (performance.now() - this.#started),
      costUsd: budget.cost_usd !== undefined ? budget.cost_usd - cost : null,
    };
  }

  /** True when repeated runs can tell candidates apart: confirmation on and a measured, non-zero noise. */
  #sequential(): boolean {
    if (this.#deps.policy.maxRuns < 2) return false;
    const noise = noiseOf(ledgerSamples(this.#log).groups, [this.#deps.metric])[this.#deps.metric]!;
    return noise.df > 0 && noise.sd > 0;
  }

  /**
   * More runs of the incumbent, before an experiment: a top-up after a keep (its runs were few
   * and selected for looking good), and a re-run every `remeasure_every` experiments, which
   * notices drift (a warming GPU, a changing machine) so that it is not read as progress.
   * Returns a stop reason when the incumbent itself no longer runs.
   */
  async #remeasure(): Promise<string | null> {
    if (!this.#sequential()) return null;
    const { decide } = this.#config;
    const inc = currentIncumbent(this.#log);
    const lastIteration = this.#log.results.at(-1)!.iteration;
    // A kept candidate's own runs chose it (they looked good), so they flatter it; it gets as
    // many fresh runs as the baseline had, which dilute that bias before it is the bar to beat.
    const fresh =
      inc.iteration === 0
        ? (inc.samples[this.#deps.metric]?.length ?? 0)
        : this.#log.remeasures
            .filter((m) => m.iteration === inc.iteration)
            .reduce((n, m) => n + (m.samples[this.#deps.metric]?.length ?? 0), 0);
    const topUp = Math.max(0, decide.baseline_runs - fresh);
    const due =
      decide.remeasure_every > 0 && lastIteration - inc.measuredAfter >= decide.remeasure_every;
    if (topUp === 0 && !due) return null;
    const started = performance.now();
    const runs: Record<string, number>[] = [];
    const measure = async (count: number): Promise<string | null> => {
      for (let i = 0; i < count; i++) {
        const name = `${inc.iteration}-re${lastIteration}-${runs.length}`;
        const outcome = await evalChecked(
          this.#ws,
          this.#config,
          name,
          this.#deps.evalEnv,
          this.#log.config!.frozen_hashes,
        );
        await this.#ws.git.resetHard(this.#ws.head!);
        if (outcome.status !== "ok" || outcome.tampered.length > 0) {
          return `the incumbent (#${inc.iteration}) failed when measured again (${outcome.problem ?? `changed ${outcome.tampered.join(", ")}`}): the eval is not reliable, so the batch stopped. Log: ${outcome.logPath}`;
        }
        runs.push(
          withWeightedScore(
            outcome.metrics,
            this.#config,
            this.#log.config!.baseline_metrics ?? {},
          ),
        );
      }
      return null;
    };
    let reason: RemeasureEntry["reason"] = topUp > 0 ? "top-up" : "schedule";
    let reset = false;
    let note: string | undefined;
    const failed = await measure(Math.max(1, topUp));
    if (failed) return failed;
    if (reason === "schedule") {
      const drift = this.#driftCheck(inc, collect(runs));
      if (drift) {
        const more = await measure(Math.max(1, decide.baseline_runs - 1));
        if (more) return more;
        const confirmed = this.#driftCheck(inc, collect(runs), true);
        if (confirmed) {
          reason = "drift";
          reset = true;
          note = confirmed;
        }
      }
    }
    const entry: RemeasureEntry = {
      type: "remeasure",
      iteration: inc.iteration,
      after: lastIteration,
      reason,
      reset,
      samples: collect(runs),
      eval_seconds: round((performance.now() - started) / 1000),
      timestamp: new Date().toISOString(),
      ...(note ? { note } : {}),
    };
    // Same order as an experiment: the line is on disk, then the branch's record includes it,
    // so the worktree is clean again before the agent runs.
    await appendLog(this.#ws.logPath, [entry]);
    this.#log.remeasures.push(entry);
    await this.#ws.finalize(this.#log, []);
    await this.#ws.git.resetHard(this.#ws.head!);
    this.#deps.emit({
      type: "remeasure",
      reason,
      runs: runs.length,
      score: currentIncumbent(this.#log).score,
      ...(note ? { note } : {}),
    });
    return null;
  }

  /**
   * Whether fresh runs of the incumbent disagree with its earlier runs beyond noise. One run is
   * only a suspicion (|z| > 3.29); several are tested (two-sided t-test, 99%) before the
   * incumbent's score is re-based on them.
   */
  #driftCheck(
    inc: IncumbentState,
    fresh: Record<string, number[]>,
    confirm = false,
  ): string | null {
    const m = this.#deps.metric;
    const old = inc.samples[m] ?? [];
    const now = fresh[m] ?? [];
    const noise = pooledNoise([...ledgerSamples(this.#log).groups.map((g) => g[m] ?? []), now]);
    if (noise.sd === 0 || old.length === 0 || now.length === 0) return null;
    const shift = mean(now) - mean(old);
    const se = noise.sd * Math.sqrt(1 / now.length + 1 / old.length);
    const z = shift / se;
    if (!confirm) return Math.abs(z) > DRIFT_Z ? "suspected" : null;
    if (2 * tUpperTail(Math.abs(z), noise.df) >= 0.01) return null;
    return `the incumbent #${inc.iteration} now measures ${m} ${fmt(mean(now))} over ${now.length} runs, against ${fmt(mean(old))} before (${fmt(shift / noise.sd)} sd): drift; its score is re-based on the new runs`;
  }

  /** One experiment, steps 1-10 of DESIGN.md's loop. Returns a stop reason or null. */
  async #experiment(planned: number): Promise<string | null> {
    const ws = this.#ws;
    const { faults } = this.#deps;
    const iteration = this.#log.results.at(-1)!.iteration + 1;
    const head = ws.head!;
    const incumbent = currentIncumbent(this.#log);
    const scratch = join(ws.stateDir, "scratch");
    await mkdir(scratch, { recursive: true });
    this.#deps.emit({ type: "start", iteration, index: this.done + 1, of: planned });

    const notesPath = join(ws.worktree, recordDir(ws.tag), "notes.md");
    const notes = await readFile(notesPath, "utf8").catch(() => "");
    const agentStart = performance.now();
    let proposal: Awaited<ReturnType<Agent["propose"]>>;
    try {
      proposal = await this.#deps.agent.propose({
        worktree: ws.worktree,
        iteration,
        config: this.#config,
        metric: this.#deps.metric,
        goal: this.#deps.goal,
        incumbentScore: incumbent.score,
        header: this.#log.config,
        history: this.#log.results,
        targetFiles: this.#targetFiles,
        mayCreate: this.#isTarget,
        scratchDir: scratch,
        env: this.#deps.agentEnv,
        redact: this.#deps.redact,
        notes,
        budget: this.#budgetLeft(planned),
      });
    } catch (error) {
      proposal = {
        ok: false,
        error: `agent failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    const agentSeconds = round((performance.now() - agentStart) / 1000);
    // What the agent says goes into commit messages, the ledger and the output: never a key.
    proposal = redactDeep(proposal, this.#deps.redact);
    faults.at("after-agent", iteration);
    if (proposal.ok && proposal.exhausted) {
      await ws.git.resetHard(head);
      return proposal.description;
    }
    // A tool that committed despite being told not to: take its commit back, keep its changes.
    if ((await ws.git.resolve("HEAD")) !== head) await ws.git.raw(["reset", "--soft", head]);

    const verdict = await this.#judge(iteration, head, incumbent, proposal);
    if (verdict.stop) return verdict.stop;
    const description = proposal.ok ? proposal.description : proposal.error;
    const guardName = Object.keys(this.#deps.policy.guards)[0];
    const row: ResultEntry = {
      type: "result",
      iteration,
      commit: verdict.commit?.slice(0, 7) ?? "",
      commit_full: verdict.commit ?? null,
      diff: verdict.commit ? `refs/autoexp/${ws.tag}/${iteration}` : null,
      score: verdict.score,
      delta: verdict.delta,
      guard_score: guardName ? (verdict.metrics[guardName] ?? null) : null,
      guard_pass: verdict.guard_pass,
      status: verdict.status,
      description: description.replace(/\s+/g, " ").trim().slice(0, 300),
      timestamp: new Date().toISOString(),
      metrics: verdict.metrics,
      samples: verdict.samples,
      agent_seconds: agentSeconds,
      eval_seconds: verdict.evalSeconds ?? 0,
      cost_usd: Math.round((proposal.costUsd ?? 0) * 1e6) / 1e6,
      ...(proposal.usage
        ? { tokens_in: proposal.usage.input, tokens_out: proposal.usage.output }
        : {}),
      ...(verdict.reason ? { reason: verdict.reason } : {}),
      ...(verdict.tail ? { log_tail: verdict.tail.slice(-2000) } : {}),
      ...(verdict.duplicateOf !== undefined ? { duplicate_of: verdict.duplicateOf } : {}),
      ...(proposal.ok && proposal.meta ? { agent_meta: proposal.meta } : {}),
      ...(verdict.evidence ? { evidence: verdict.evidence } : {}),
      ...(verdict.linesDelta !== undefined ? { lines_delta: verdict.linesDelta } : {}),
    };
    if (verdict.key) row.content_key = verdict.key;
    const fatal = !proposal.ok && proposal.fatal;
    const safe = redactDeep(row, this.#deps.redact);
    if (proposal.notes !== undefined && proposal.notes !== notes)
      await writeFile(notesPath, capNotes(this.#deps.redact(proposal.notes)));

    // Step 8: the ledger reaches the disk before the tree moves.
    await appendLog(ws.logPath, [safe], {
      beforeWrite: (data) => faults.tornWrite(iteration, ws.logPath, data),
    });
    this.#log.results.push(safe);
    faults.at("after-ledger", iteration);
    await ws.finalize(this.#log, [safe]);
    faults.at("after-refs", iteration);
    await ws.git.resetHard(ws.head!);
    if (KEPT.has(row.status)) this.#targetFiles = (await ws.git.listFiles()).filter(this.#isTarget);
    if (verdict.key && EVALUATED.has(row.status)) this.#seen.set(verdict.key, row);
    this.done++;
    const best = currentIncumbent(this.#log).score;
    const elapsed = performance.now() - this.#started;
    const etaMs = this.done > 0 ? (elapsed / this.done) * (planned - this.done) : null;
    this.#deps.emit({ type: "experiment", row: safe, index: this.done, of: planned, best, etaMs });
    if (fatal) return `the agent cannot work: ${safe.reason ?? safe.description}`;
    return verdict.status === "violation" && verdict.reason?.includes("cannot restore")
      ? verdict.reason
      : null;
  }

  /** Scope, duplicates, commit, eval, decision: everything between the agent and the ledger. */
  async #judge(
    iteration: number,
    head: string,
    incumbent: IncumbentState,
    proposal: Awaited<ReturnType<Agent["propose"]>>,
  ): Promise<Verdict> {
    const ws = this.#ws;
    const none = { score: null, delta: null, metrics: {}, samples: {}, guard_pass: null };
    const frozenRef = this.#log.config!.frozen_hashes;
    const changes = await ws.git.changedPaths();
    if (!proposal.ok) {
      const commit =
        changes.length > 0
          ? await ws.git.commitWorktree("all", head, `autoexp(${ws.tag}) #${iteration} agent_error`)
          : undefined;
      return {
        ...none,
        status: "agent_error",
        reason: proposal.error,
        ...(commit ? { commit } : {}),
      };
    }
    if (changes.length === 0)
      return { ...none, status: "no_change", reason: "the agent changed no file" };

    const outside = [...new Set(changes.map((c) => c.path))].filter(
      (p) => !this.#isTarget(p) || p.startsWith(".autoexp/"),
    );
    const frozenChanged = diffManifests(
      frozenRef,
      await hashFrozen(ws.worktree, this.#config.frozen),
    );
    if (outside.length > 0 || frozenChanged.length > 0) {
      const commit = await ws.git.commitWorktree(
        "all",
        head,
        `autoexp(${ws.tag}) #${iteration} violation: ${proposal.description}`,
      );
      const reason =
        outside.length > 0
          ? `changed files outside target: ${outside.slice(0, 5).join(", ")}`
          : `changed frozen files: ${frozenChanged.slice(0, 5).join(", ")}`;
      return { ...none, status: "violation", reason, commit };
    }

    const changedTargets = new Set(changes.map((c) => c.path));
    const files = [...new Set([...this.#targetFiles, ...changedTargets])];
    const key = await contentKey(ws.worktree, files);
    const prior = this.#seen.get(key);
    if (prior) {
      return {
        status: "duplicate",
        score: prior.score,
        delta: prior.score !== null ? prior.score - incumbent.score : null,
        metrics: prior.metrics,
        samples: {},
        guard_pass: prior.guard_pass,
        duplicateOf: prior.iteration,
        reason: `same code as #${prior.iteration} (${prior.status}); its result is reused, the eval did not run`,
      };
    }

    const commit = await ws.git.commitWorktree(
      [...changedTargets],
      head,
      `autoexp(${ws.tag}) #${iteration}: ${proposal.description}`,
    );
    this.#deps.faults.at("after-commit", iteration);
    const { policy } = this.#deps;
    const linesDelta = policy.simplification ? await ws.git.linesDelta(head, commit) : undefined;
    const samples: Record<string, number[]> = {};
    const groups = ledgerSamples(this.#log).groups;
    const baselineMeans = this.#log.config!.baseline_metrics ?? {};
    const limit = Math.max(policy.maxRuns, this.#config.eval.repeats);
    let evalSeconds = 0;
    let judgement: Judgement | null = null;
    let tail = "";
    for (let run = 0; run < limit && !judgement?.final; run++) {
      if (judgement)
        this.#deps.emit({ type: "run", iteration, run: run + 1, reason: judgement.reason });
      const timer = this.#deps.faults.duringEval(iteration);
      const outcome = await evalChecked(
        ws,
        this.#config,
        `${iteration}-${run}`,
        this.#deps.evalEnv,
        frozenRef,
      );
      clearTimeout(timer);
      evalSeconds += outcome.durationMs / 1000;
      tail = outcome.tail;
      const base = { commit, key, evalSeconds: round(evalSeconds), tail, samples };
      if (outcome.tampered.length > 0) {
        const restorable = await this.#restorable(outcome.tampered);
        return {
          ...none,
          ...base,
          status: "violation",
          reason: `the eval run changed frozen files: ${outcome.tampered.slice(0, 5).join(", ")}${restorable ? "" : "; they are not in git, so autoexp cannot restore them: batch stopped"}`,
        };
      }
      if (outcome.status !== "ok") {
        return {
          ...none,
          ...base,
          metrics: outcome.metrics,
          status: outcome.status,
          reason: `${run > 0 ? `run ${run + 1}: ` : ""}${outcome.problem ?? outcome.status}`,
        };
      }
      addSamples(samples, withWeightedScore(outcome.metrics, this.#config, baselineMeans));
      if (run + 1 < this.#config.eval.repeats) continue;
      const noise = noiseOf([...groups, samples], this.#objectiveNames);
      // min_delta: auto follows the pooled noise, not only the baseline's few runs.
      const deltas = chooseMinDeltas(this.#config, noise);
      judgement = judge({
        policy: {
          ...policy,
          objectives: policy.objectives.map((o) => ({
            ...o,
            minDelta: deltas[o.name] ?? o.minDelta,
          })),
        },
        incumbent: incumbent.samples,
        candidate: samples,
        noise,
        linesDelta,
      });
    }
    if (!judgement?.final) throw new Error("judge gave no final decision within max_runs");
    const metrics = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, mean(v)]));
    const score = metrics[this.#deps.metric]!;
    let status: Status = judgement.status;
    let reason = judgement.reason;
    if ((status === "keep" || status === "simplification") && this.#config.checks) {
      const failed = await this.#runChecks(iteration);
      if (failed) {
        status = "checks_failed";
        reason = failed.reason;
        tail = failed.tail;
      }
    }
    const hasGuards = Object.keys(policy.guards).length > 0;
    return {
      status,
      score,
      delta: round6(score - incumbent.score),
      metrics,
      samples,
      guard_pass: hasGuards ? judgement.status !== "guard_fail" : null,
      commit,
      key,
      reason,
      tail,
      evalSeconds: round(evalSeconds),
      ...(judgement.evidence ? { evidence: roundEvidence(judgement.evidence) } : {}),
      ...(linesDelta !== undefined ? { linesDelta } : {}),
    };
  }

  /** The user's correctness command, in the candidate's worktree; null when it passes. */
  async #runChecks(iteration: number): Promise<{ reason: string; tail: string } | null> {
    const checks = this.#config.checks!;
    const logPath = join(this.#ws.stateDir, "logs", `${iteration}-checks.log`);
    const result = await runProcess({
      command: checks.command,
      cwd: this.#ws.worktree,
      env: this.#deps.evalEnv,
      timeoutMs: checks.timeout,
      logPath,
    });
    if (result.exitCode === 0 && !result.timedOut) return null;
    const tail = tailLines(await readEnd(logPath, 64 * 1024));
    const how = result.spawnError
      ? result.spawnError
      : result.timedOut
        ? `timed out after ${Math.round(checks.timeout / 1000)}s`
        : result.signal
          ? `killed by ${result.signal}`
          : `exited with code ${result.exitCode}`;
    return { reason: `checks failed: ${how}`, tail };
  }

  /** Frozen files tracked by git come back with the reset; others cannot be restored. */
  async #restorable(tampered: readonly string[]): Promise<boolean> {
    const tracked = new Set(await this.#ws.git.listFiles());
    return tampered.every(
      (t) => tracked.has(t.replace(/ (modified|deleted|added)$/, "")) || t.endsWith(" added"),
    );
  }
}

function addSamples(samples: Record<string, number[]>, metrics: Record<string, number>): void {
  for (const [name, value] of Object.entries(metrics)) {
    samples[name] ??= [];
    samples[name].push(value);
  }
}

function round6(x: number): number {
  return Number(x.toPrecision(12));
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

function roundEvidence(
  e: NonNullable<ResultEntry["evidence"]>,
): NonNullable<ResultEntry["evidence"]> {
  const r = (x: number) => Number(x.toPrecision(6));
  return {
    ...e,
    gain: r(e.gain),
    effect_sigma: e.effect_sigma === null ? null : r(e.effect_sigma),
    p: e.p === null ? null : Number(e.p.toPrecision(3)),
    ci: e.ci === null ? null : [r(e.ci[0]), r(e.ci[1])],
    sd: r(e.sd),
  };
}
