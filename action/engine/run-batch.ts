import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Agent } from "../agents/agent.ts";
import { createAgent } from "../agents/create-agent.ts";
import { checkScopeFiles, compileGlobs } from "../config/check-scope-files.ts";
import type { Config } from "../config/schema.ts";
import { formatProblems, primaryMetric } from "../config/validate-config.ts";
import { type EvalOutcome, runEval } from "../eval/run-eval.ts";
import { appendLog, type ParsedLog } from "../ledger/log-jsonl.ts";
import { viewFromLog } from "../ledger/summarize.ts";
import {
  type ConfigEntry,
  FAILURES,
  KEPT,
  type ResultEntry,
  type Status,
} from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";
import { autoMinDelta, decide, type Guards, meanAndSd } from "./decide.ts";
import { createFaults } from "./faults.ts";
import { contentKey, diffManifests, hashFrozen } from "./fingerprint.ts";
import { findRepository, Workspace } from "./workspace.ts";

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
      type: "experiment";
      row: ResultEntry;
      index: number;
      of: number;
      best: number;
      etaMs: number | null;
    }
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

interface Incumbent {
  score: number;
  iteration: number;
  commit: string;
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
  await preflightNewTag(options.repoDir, tag, config, env);
  const {
    workspace: ws,
    log: existing,
    recovered,
  } = await Workspace.open({ repoDir: options.repoDir, tag, env });
  try {
    if (recovered.length > 0) emit({ type: "recovered", messages: recovered });
    const metric = primaryMetric(config);
    const goal = config.eval.metrics[metric]!.goal!;
    const guards: Guards = Object.fromEntries(
      Object.entries(config.eval.metrics).flatMap(([name, m]) =>
        m.guard ? [[name, m.guard]] : [],
      ),
    );
    const evalEnv: Record<string, string | undefined> = { ...env, AUTOEXP_TAG: tag };
    delete evalEnv.AUTOEXP_FAULT;
    const log = existing ?? (await startTag(ws, config, { metric, goal, guards, evalEnv, emit }));
    if (existing) {
      await checkCompatible(ws, config, existing.config!, metric);
      const inc = incumbentOf(existing);
      emit({ type: "resumed", experiments: existing.results.length - 1, best: inc.score });
    }
    const engine = new BatchLoop(ws, config, log, {
      agent: options.agent ?? createAgent(config.agent),
      metric,
      goal,
      guards,
      evalEnv,
      faults: createFaults(env),
      emit,
    });
    const planned = options.experiments ?? config.budget.experiments;
    const stopReason = await engine.run(planned, options.signal);
    emit({ type: "stop", reason: stopReason });
    await appendLog(ws.logPath, [
      {
        type: "batch",
        event: "end",
        timestamp: new Date().toISOString(),
        reason: stopReason,
        experiments: engine.done,
      },
    ]);
    log.batches.push({
      type: "batch",
      event: "end",
      timestamp: new Date().toISOString(),
      reason: stopReason,
      experiments: engine.done,
    });
    await ws.finalize(log, []);
    await ws.git.resetHard(ws.head!);
    const view = viewFromLog(log);
    const inc = incumbentOf(log);
    return {
      tag,
      branch: `autoexp/${tag}`,
      baseline: log.config!.baseline,
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

function incumbentOf(log: ParsedLog): Incumbent {
  const row = log.results.findLast((r) => KEPT.has(r.status) && r.score !== null);
  if (!row)
    throw new AutoexpError("the ledger has no baseline row; it is damaged", { exitCode: 1 });
  return { score: row.score!, iteration: row.iteration, commit: row.commit };
}

interface StartContext {
  metric: string;
  goal: "minimize" | "maximize";
  guards: Guards;
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
  const samples: Record<string, number[]> = {};
  for (let run = 0; run < config.decide.baseline_runs; run++) {
    const outcome = await evalChecked(ws, config, `0-${run}`, ctx.evalEnv, frozen);
    if (outcome.status !== "ok") {
      throw new AutoexpError(
        `the baseline eval failed (${outcome.problem}), so there is nothing to compare experiments with. Fix the eval and run again. Last lines:\n${outcome.tail}\nFull log: ${outcome.logPath}`,
        { exitCode: 1 },
      );
    }
    addSamples(samples, outcome.metrics);
  }
  const means = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, meanAndSd(v).mean]));
  const scores = samples[ctx.metric]!;
  const { mean: score, sd } = meanAndSd(scores);
  const minDelta =
    config.decide.min_delta === "auto" ? autoMinDelta(scores) : config.decide.min_delta;
  const noise = scores.length > 1 ? sd : null;
  const firstGuard = Object.entries(ctx.guards)[0];
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
    guards: ctx.guards,
    baseline: score,
    min_delta: minDelta,
    noise,
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
    validBytes: 0,
    torn: false,
  };
  await ws.finalize(log, [row]);
  await ws.git.resetHard(ws.head!);
  ctx.emit({
    type: "baseline",
    score,
    runs: scores.length,
    noise,
    minDelta,
    seconds: row.eval_seconds,
  });
  return log;
}

/** A resumed tag must measure the same thing against the same harness. */
async function checkCompatible(
  ws: Workspace,
  config: Config,
  header: ConfigEntry,
  metric: string,
): Promise<void> {
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

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

interface LoopDeps {
  agent: Agent;
  metric: string;
  goal: "minimize" | "maximize";
  guards: Guards;
  evalEnv: Record<string, string | undefined>;
  faults: ReturnType<typeof createFaults>;
  emit: (e: BatchEvent) => void;
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
};

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

  constructor(ws: Workspace, config: Config, log: ParsedLog, deps: LoopDeps) {
    this.#ws = ws;
    this.#config = config;
    this.#log = log;
    this.#deps = deps;
    this.#isTarget = compileGlobs(config.target);
    for (const r of log.results)
      if (r.content_key && EVALUATED.has(r.status)) this.#seen.set(r.content_key, r);
  }

  async run(planned: number, signal?: AbortSignal): Promise<string> {
    this.#targetFiles = (await this.#ws.git.listFiles()).filter(this.#isTarget);
    while (true) {
      const stop = this.#budgetStop(planned, signal);
      if (stop) return stop;
      const outcome = await this.#experiment(planned);
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
      return `cost budget reached ($${cost.toFixed(2)})`;
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

  /** One experiment, steps 1-10 of DESIGN.md's loop. Returns a stop reason or null. */
  async #experiment(planned: number): Promise<string | null> {
    const ws = this.#ws;
    const { faults } = this.#deps;
    const iteration = this.#log.results.at(-1)!.iteration + 1;
    const head = ws.head!;
    const incumbent = incumbentOf(this.#log);
    const scratch = join(ws.stateDir, "scratch");
    await mkdir(scratch, { recursive: true });

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
        history: this.#log.results,
        targetFiles: this.#targetFiles,
        scratchDir: scratch,
        env: this.#deps.evalEnv,
        experimentsLeft: planned - this.done,
      });
    } catch (error) {
      proposal = {
        ok: false,
        error: `agent failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    const agentSeconds = round((performance.now() - agentStart) / 1000);
    faults.at("after-agent", iteration);
    if (proposal.ok && proposal.exhausted) {
      await ws.git.resetHard(head);
      return proposal.description;
    }

    const verdict = await this.#judge(iteration, head, incumbent, proposal);
    if (verdict.stop) return verdict.stop;
    const description = proposal.ok ? proposal.description : proposal.error;
    const guardName = Object.keys(this.#deps.guards)[0];
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
      cost_usd: proposal.costUsd ?? 0,
      ...(verdict.reason ? { reason: verdict.reason } : {}),
      ...(verdict.tail ? { log_tail: verdict.tail.slice(-2000) } : {}),
      ...(verdict.duplicateOf !== undefined ? { duplicate_of: verdict.duplicateOf } : {}),
      ...(proposal.ok && proposal.meta ? { agent_meta: proposal.meta } : {}),
    };
    const key = (verdict as { key?: string }).key;
    if (key) row.content_key = key;

    // Step 8: the ledger reaches the disk before the tree moves.
    await appendLog(ws.logPath, [row], {
      beforeWrite: (data) => faults.tornWrite(iteration, ws.logPath, data),
    });
    this.#log.results.push(row);
    faults.at("after-ledger", iteration);
    await ws.finalize(this.#log, [row]);
    faults.at("after-refs", iteration);
    await ws.git.resetHard(ws.head!);
    if (KEPT.has(row.status)) this.#targetFiles = (await ws.git.listFiles()).filter(this.#isTarget);
    if (key && EVALUATED.has(row.status)) this.#seen.set(key, row);
    this.done++;
    const best = incumbentOf(this.#log).score;
    const elapsed = performance.now() - this.#started;
    const etaMs = this.done > 0 ? (elapsed / this.done) * (planned - this.done) : null;
    this.#deps.emit({ type: "experiment", row, index: this.done, of: planned, best, etaMs });
    return verdict.status === "violation" && verdict.reason?.includes("cannot restore")
      ? verdict.reason
      : null;
  }

  /** Scope, duplicates, commit, eval, decision: everything between the agent and the ledger. */
  async #judge(
    iteration: number,
    head: string,
    incumbent: Incumbent,
    proposal: Awaited<ReturnType<Agent["propose"]>>,
  ): Promise<Verdict & { key?: string }> {
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
    const samples: Record<string, number[]> = {};
    let evalSeconds = 0;
    for (let run = 0; run < this.#config.eval.repeats; run++) {
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
      const base = { commit, key, evalSeconds: round(evalSeconds), tail: outcome.tail, samples };
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
          reason: outcome.problem ?? outcome.status,
        };
      }
      addSamples(samples, outcome.metrics);
    }
    const metrics = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, meanAndSd(v).mean]),
    );
    const score = metrics[this.#deps.metric]!;
    const decision = decide({
      goal: this.#deps.goal,
      minDelta: this.#log.config!.min_delta,
      incumbent: incumbent.score,
      score,
      metrics,
      guards: this.#deps.guards,
    });
    return {
      status: decision.status,
      score,
      delta: round6(decision.delta),
      metrics,
      samples,
      guard_pass: decision.guardPass,
      commit,
      key,
      reason: decision.reason,
      evalSeconds: round(evalSeconds),
    };
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
