import { statSync } from "node:fs";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pingApi } from "../agents/api-agent.ts";
import type { Config } from "../config/schema.ts";
import { goalMetrics } from "../config/validate-config.ts";
import { chooseMinDeltas, guardsOf } from "../decide/build-policy.ts";
import { breachedAtStart, guardBreach } from "../decide/guard-breach.ts";
import { type Noise, pooledNoise } from "../decide/noise.ts";
import { mean } from "../decide/stats.ts";
import { diffManifests, hashFrozen } from "../engine/fingerprint.ts";
import { resolveIsolation } from "../engine/isolation.ts";
import { type Lock, takeLock } from "../engine/lock.ts";
import { removeTree } from "../engine/remove-tree.ts";
import { copyWorkingTree } from "../engine/working-copy.ts";
import { readEnd, tailLines } from "../eval/read-tail.ts";
import { runEval } from "../eval/run-eval.ts";
import { Git } from "../git/git.ts";
import { formatScore } from "../ledger/render-dashboard.ts";
import { splitEnv } from "../process/secrets.ts";
import { checkRule, noOpEvals, powerLines, ruleLine } from "./check-power.ts";

export interface CheckOptions {
  config: Config;
  /** The user's working tree: each run gets a fresh copy of its tracked files. */
  dir: string;
  runs: number;
  /** An improvement the user hopes to see, in the primary metric's units. */
  effect?: number;
  env: Record<string, string | undefined>;
  /** One line of the report; `data`: fields --json adds to its object. */
  out: (line: string, data?: Record<string, unknown>) => void;
}

/**
 * The preflight: runs the eval `runs` times, each in a fresh copy of the working tree's tracked
 * files (uncommitted edits included), and says whether every metric
 * parsed each time, the noise, the time per run, the experiments per hour to expect, the
 * min_delta `auto` would choose, and which improvements the eval can resolve; first, a model
 * API agent is called for one token, as a batch does before its baseline. Returns the exit
 * code: 0 when every run parsed and the agent answered, 1 otherwise.
 */
export async function checkEval(options: CheckOptions): Promise<number> {
  const agent = await checkAgent(options.config, options.env);
  if (agent) options.out(agent.line);
  const code = await checkRuns(options);
  if (!agent?.problem) return code;
  options.out(`PROBLEM: ${agent.problem}`);
  return Math.max(code, 1);
}

async function checkRuns(options: CheckOptions): Promise<number> {
  const { config, out } = options;
  // Beside the repository's objects, as a batch's slots are: the declared writable caches are
  // copied in for each run, and a uv or pip cache of gigabytes does not belong in a RAM /tmp. In
  // .git/autoexp-check, kept between checks, so that a cache's copy is brought up to date rather
  // than made whole each time (cache-copy.ts); a second check at once works in a folder of its own.
  const gitDir = join(options.dir, ".git");
  const { work, lock } = await checkFolder(gitDir);
  const logs = await mkdtemp(join(work, "runs-"));
  // The same environment and isolation as in a batch: no agent or provider keys, and the
  // sandbox when the batch would use it (an eval that works here works in the night).
  const env = splitEnv(options.env, config.agent, config.eval.pass_env).evalEnv;
  const frozenBefore = await hashFrozen(options.dir, config.frozen);
  const isolation = await resolveIsolation(config, options.dir, gitDir, options.env);
  // Every run in a fresh copy of the tracked files, as a batch's slot: never in the working tree
  // (an eval there read the untracked .env, and wrote into tracked files and the config).
  const tracked = await new Git(options.dir, options.env).listFiles();
  const tree = join(work, "tree");
  const fresh = async () => {
    copyWorkingTree(options.dir, tracked, tree);
    await isolation.linkData(tree);
  };
  out(
    isolation.mode === "sandbox"
      ? "isolation: sandboxed (bubblewrap), as a batch runs it"
      : isolation.warnings[0]?.startsWith("isolation: none")
        ? isolation.warnings.join("; ")
        : `isolation: none${isolation.warnings.length ? ` (${isolation.warnings.join("; ")})` : ""}`,
  );
  for (const w of isolation.mode === "sandbox" ? isolation.warnings : []) out(`warning: ${w}`);
  const samples: Record<string, number[]> = {};
  const seconds: number[] = [];
  let failed = 0;
  let lastOk: { run: number; stdout: string; stderr: string } | undefined;
  let stderrErrors: { run: number; lines: string[] } | undefined;
  let stdoutErrors: { run: number; lines: string[] } | undefined;
  const tampered = new Set<string>();
  try {
    for (let i = 0; i < options.runs; i++) {
      const streams = { stdout: join(logs, `${i}.stdout`), stderr: join(logs, `${i}.stderr`) };
      await fresh();
      const outcome = await runEval(
        config,
        tree,
        join(logs, `${i}.log`),
        isolation.launch(config.eval.command, tree, env, Object.keys(frozenBefore)),
        undefined,
        streams,
      );
      for (const path of diffManifests(frozenBefore, await hashFrozen(tree, config.frozen)))
        tampered.add(path);
      seconds.push(outcome.durationMs / 1000);
      const stdout = await readEnd(streams.stdout, SHOWN_BYTES);
      const stderr = await readEnd(streams.stderr, SHOWN_BYTES);
      const errs = findErrorLines(stderr);
      if (!stderrErrors && errs.length > 0) stderrErrors = { run: i + 1, lines: errs };
      const outErrs = findErrorLines(stdout);
      if (!stdoutErrors && outErrs.length > 0) stdoutErrors = { run: i + 1, lines: outErrs };
      const shown = Object.entries(outcome.metrics)
        .map(([k, v]) => `${k} ${formatScore(v)}`)
        .join(", ");
      if (outcome.status !== "ok") {
        failed++;
        out(
          `run ${i + 1}/${options.runs}: FAILED (${outcome.problem}) after ${outcome.durationMs.toFixed(0)} ms${shown ? `; parsed ${shown}` : ""}`,
        );
        out(
          stdout || stderr
            ? showStreams(stdout, stderr)
            : outcome.tail.trim()
              ? quote(outcome.tail)
              : "    (it printed nothing)",
        );
        continue;
      }
      for (const [k, v] of Object.entries(outcome.metrics)) {
        samples[k] ??= [];
        samples[k].push(v);
      }
      out(`run ${i + 1}/${options.runs}: ${shown}  (${(outcome.durationMs / 1000).toFixed(2)} s)`);
      lastOk = { run: i + 1, stdout, stderr };
    }
    // A broken eval can still print its metric: what it printed is always shown once.
    if (lastOk)
      out(
        `the last lines run ${lastOk.run} printed:\n${showStreams(lastOk.stdout, lastOk.stderr)}`,
      );
    if (stderrErrors)
      out(
        `WARNING: the eval's stderr shows errors (run ${stderrErrors.run}), even where its metrics parsed:\n${quote(stderrErrors.lines.join("\n"))}\nIf every item fails (a missing key: see eval.pass_env), the metric measures the failure`,
      );
    else if (stdoutErrors)
      out(
        `WARNING: the eval's stdout shows errors (run ${stdoutErrors.run}), even where its metrics parsed:\n${quote(stdoutErrors.lines.join("\n"))}\nIf every item fails (a missing key: see eval.pass_env), the metric measures the failure`,
      );
    out("");
    if (tampered.size > 0)
      out(
        `PROBLEM: the eval changed frozen files (${[...tampered].join(", ")}); autoexp would record every experiment as a violation`,
      );
    if (failed > 0 && failed < options.runs)
      out(
        `FLAKY: ${failed} of ${options.runs} runs of the same code failed. A batch stops when a baseline run fails and records a candidate's failed run as a crash: make the eval reliable first`,
      );
    if (failed > 0) {
      out(
        `PROBLEM: ${failed} of ${options.runs} runs did not give every metric in eval.metrics; autoexp would record them as crashes. Fix the eval's output first.`,
      );
      return 1;
    }
    for (const warning of stuckMetrics(config, samples)) out(`WARNING: ${warning}`);
    const breach = guardBreach(guardsOf(config), samples);
    if (breach) out(`WARNING: ${breachedAtStart(breach)}`);
    const perRun = mean(seconds);
    out(`every run printed every metric (${Object.keys(config.eval.metrics).join(", ")})`);
    out(
      `time per run: ${perRun.toFixed(2)} s (min ${Math.min(...seconds).toFixed(2)}, max ${Math.max(...seconds).toFixed(2)})`,
    );
    const noise: Record<string, Noise> = {};
    for (const name of Object.keys(samples)) {
      noise[name] = pooledNoise([samples[name]!]);
      const n = noise[name]!;
      const m = mean(samples[name]!);
      // Equal values can leave a rounding residue (8.9e-12) in the sd: that is no noise.
      const sd = n.sd <= Math.abs(m) * 1e-12 ? 0 : n.sd;
      const rel = m !== 0 ? ` (${((100 * sd) / Math.abs(m)).toFixed(2)}% of the mean)` : "";
      out(`${name}: mean ${formatScore(m)}, sd ${formatScore(sd)}${rel}`);
      if (n.robustSd !== null && n.sd > 2 * n.robustSd)
        out(
          `  note: one or more runs are far from the rest (sd ${formatScore(n.sd)} vs ${formatScore(n.robustSd)} without them): heavy tails or a warm-up run; the test stays conservative but needs larger effects`,
        );
    }
    if (config.decide.rule === "weighted") {
      out(
        "rule weighted: min_delta and noise apply to the combined score, measured when the tag starts",
      );
      return 0;
    }
    const goals = goalMetrics(config);
    const deltas = chooseMinDeltas(config, noise);
    for (const g of goals)
      out(`min_delta auto would choose for ${g}: ${formatScore(deltas[g] ?? 0)}`);
    const primary = config.decide.primary ?? goals[0]!;
    const sd = noise[primary]!.sd;
    const rule = sd > 0 ? checkRule(config, (deltas[primary] ?? 0.25 * sd) / sd) : null;
    // Unpaired, 1.8 runs a candidate on average; paired, what a candidate that changes nothing
    // costs at the starting screen (most proposals), the incumbent's runs beside it included.
    const evalsPer =
      !rule || !config.decide.confirm
        ? 1
        : rule.settings.paired
          ? Number(noOpEvals(rule).toFixed(1))
          : 1.8;
    const perHour = 3600 / (perRun * evalsPer + 0.2);
    out(
      `experiments per hour to expect: about ${Math.floor(perHour)} (${evalsPer} eval run${evalsPer === 1 ? "" : "s"} per candidate on average${rule?.settings.paired && config.decide.confirm ? ", the incumbent's beside it included" : ""}, agent time not included)`,
    );
    if (!rule) {
      out(
        `${primary} is deterministic: every run gave the same value, so one run discards a candidate that is not better, and a keep needs two runs that agree`,
      );
      return 0;
    }
    if (!config.decide.confirm) {
      out(
        "decide.confirm is false: one run decides each candidate, so noise can be kept as progress",
      );
      return 0;
    }
    out(ruleLine(config, rule));
    for (const line of powerLines(config, rule, sd, primary, options.effect))
      out(line.text, line.power ? { power: line.power } : undefined);
    return 0;
  } finally {
    // What a run left in its copy may be read-only: removed piece by piece where it must be.
    removeTree(logs);
    removeTree(tree);
    if (lock) await lock.release();
    else removeTree(work);
  }
}

/**
 * Where check works: .git/autoexp-check, held with a lock while it runs (its cache copies stay
 * for the next check), or, where that is taken or there is no .git folder, a folder of its own.
 */
async function checkFolder(gitDir: string): Promise<{ work: string; lock: Lock | null }> {
  if (statSync(gitDir, { throwIfNoEntry: false })?.isDirectory()) {
    const work = join(gitDir, "autoexp-check");
    await mkdir(work, { recursive: true });
    const lock = await takeLock(join(work, "lock"), "check").catch(() => null);
    if (lock) return { work, lock };
    return { work: await mkdtemp(join(gitDir, "autoexp-check-")), lock: null };
  }
  return { work: await mkdtemp(join(tmpdir(), "autoexp-check-")), lock: null };
}

// What check reads of each stream of a run: its end, enough for a traceback.
const SHOWN_BYTES = 64 * 1024;

/**
 * The one-token call a batch makes before its baseline, for a model API agent: a line saying it
 * answered, or the problem a batch would stop on (a passing trouble is a warning). Null for
 * agents that call no API.
 */
async function checkAgent(
  config: Config,
  env: Record<string, string | undefined>,
): Promise<{ line: string; problem?: string } | null> {
  const agent = config.agent;
  if (agent.use !== "openai" && agent.use !== "anthropic") return null;
  const ping = await pingApi(agent, env);
  const where = `${agent.use} at ${agent.base_url}`;
  if (ping.ok)
    return { line: `agent: ${where} answered a one-token call for model ${agent.model}` };
  if (!ping.fatal) return { line: `WARNING: agent: ${ping.error}` };
  return {
    line: `agent: ${where} FAILED a one-token call (see the end)`,
    problem: `${ping.error}. A batch would stop before its baseline (exit 2)`,
  };
}

/** A run's stdout and stderr, each under its heading, the last lines of each. */
function showStreams(stdout: string, stderr: string): string {
  const part = (name: string, text: string) => {
    const lines = tailLines(text, 20);
    return `  ${name}:\n${lines ? quote(lines) : "    (nothing)"}`;
  };
  return `${part("stdout", stdout)}\n${part("stderr", stderr)}`;
}

/** Lines as check shows them: indented, control characters and escape sequences made visible. */
function quote(text: string): string {
  return text
    .split("\n")
    .map((l) => `    | ${printable(l)}`)
    .join("\n");
}

const ESCAPES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences and control bytes are what is removed
  /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*(?:\u0007|$)|[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** A line safe for a terminal: escape sequences dropped, other control bytes and binary as `?`. */
export function printable(line: string): string {
  return line.replace(ESCAPES, (m) => (m.startsWith("\u001b") ? "" : "?")).replace(/\uFFFD/g, "?");
}

// Python tracebacks and exceptions, Node's errors, and loggers' ERROR lines.
const ERROR_LINE =
  /^(?:Traceback \(most recent call last\):?|[A-Za-z_.]*(?:Error|Exception)\b.*|.*\b(?:ERROR|FATAL)\b.*|error: .*)$/;

/** Up to 5 lines of an eval's output that look like errors, the first of each kind. */
export function findErrorLines(output: string): string[] {
  const seen = new Set<string>();
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (!ERROR_LINE.test(line) || seen.has(line)) continue;
    seen.add(line);
    if (seen.size === 5) break;
  }
  return [...seen];
}

/**
 * A primary metric that measures nothing: 0 on every run, or a fraction at 1 on every run (an
 * accuracy of 0 is what an eval whose every item raised prints).
 */
export function stuckMetrics(
  config: Pick<Config, "eval" | "decide">,
  samples: Readonly<Record<string, number[]>>,
): string[] {
  const goals = goalMetrics(config);
  const primary = config.decide.primary ?? goals[0];
  const values = primary ? samples[primary] : undefined;
  if (!primary || !values || values.length === 0) return [];
  if (values.every((v) => v === 0))
    return [
      `${primary} is 0 on every run: an eval whose every item fails prints that (look at its output above; a key the eval needs must be named in eval.pass_env). No change can be told apart from a broken run`,
    ];
  const goal = config.eval.metrics[primary]?.goal;
  if (values.every((v) => v === 1) && goal === "maximize")
    return [
      `${primary} is 1 on every run, the top of a fraction: nothing is left to improve, or the eval does not measure what it says`,
    ];
  return [];
}
