import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { agentProblem } from "../agents/create-agent.ts";
import { checkScopeFiles } from "../config/check-scope-files.ts";
import { loadConfig } from "../config/load-config.ts";
import type { Config } from "../config/schema.ts";
import { formatProblems, primaryMetric } from "../config/validate-config.ts";
import { objectiveSpecs } from "../decide/ledger-state.ts";
import { runBatch } from "../engine/run-batch.ts";
import { recordDir } from "../engine/workspace.ts";
import { Git } from "../git/git.ts";
import { type ParsedLog, parseLog } from "../ledger/log-jsonl.ts";
import { renderCounts, renderDashboard, renderHeadline } from "../ledger/render-dashboard.ts";
import { parseResultsTsv } from "../ledger/results-tsv.ts";
import { viewFromLog, viewFromTsv } from "../ledger/summarize.ts";
import { AutoexpError, defaultTag, validateTag } from "../util/errors.ts";
import { killActiveGroups } from "../util/run-process.ts";
import { checkEval } from "./check.ts";
import { findTemplates } from "./find-templates.ts";
import { initRepo, PROGRAMS } from "./init.ts";
import { formatEvent } from "./progress.ts";

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: Record<string, string | undefined>;
}

const USAGE = `autoexp: autonomous research loops you can trust

Usage:
  autoexp demo [--dir D] [--experiments N]     run the built-in offline example (no key, no GitHub)
  autoexp run [--config F] [--tag T] [--experiments N]
                                               run a batch of experiments on branch autoexp/<tag>
  autoexp status [--config F] [--tag T]        show a tag's baseline, best and recent experiments
  autoexp validate [--config F]                check a config; prints every problem, writes nothing
  autoexp check [--config F] [--runs N] [--effect X]
                                               run the eval N times here: metrics parse? noise,
                                               time per run, experiments/hour, min_delta, and
                                               whether an improvement of X can be told from noise
  autoexp report <results.tsv|log.jsonl> [--goal minimize|maximize] [--out F]
                                               render a dashboard from any karpathy results.tsv or log
  autoexp init [--program ml-training|performance|prompt-optimisation] [--name N] [--force]
                                               write autoexp.yml, program.md, eval.sh and
                                               .github/workflows/autoexp.yml here

Exit codes: 0 done, 1 the run failed, 2 bad input (nothing was changed).`;

/** The CLI: parses argv, runs one command, returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, io);
      case "init":
        return await initCommand(rest, io);
      case "demo":
        return await demoCommand(rest, io);
      case "status":
        return await statusCommand(rest, io);
      case "validate":
        return await validateCommand(rest, io);
      case "check":
        return await checkCommand(rest, io);
      case "report":
        return await reportCommand(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`autoexp: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof AutoexpError) {
      io.err(`autoexp: ${error.message}`);
      return error.exitCode;
    }
    if (
      error instanceof TypeError &&
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      io.err(`autoexp: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new AutoexpError(`--${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

async function readValidConfig(file: string): Promise<Config> {
  const result = await loadConfig(file);
  if (!result.ok) throw new AutoexpError(formatProblems(file, result.problems));
  return result.config;
}

async function initCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      program: { type: "string", default: "ml-training" },
      name: { type: "string" },
      force: { type: "boolean", default: false },
    },
    strict: true,
  });
  const program = values.program as (typeof PROGRAMS)[number];
  if (!PROGRAMS.includes(program)) {
    throw new AutoexpError(
      `--program must be one of ${PROGRAMS.join(", ")}, not ${JSON.stringify(values.program)}`,
    );
  }
  const written = await initRepo({
    dir: io.cwd,
    program,
    force: values.force,
    ...(values.name ? { name: values.name } : {}),
  });
  io.out(
    [
      `wrote ${written.join(", ")}`,
      "next: edit autoexp.yml (target, eval, metrics, agent) and program.md, commit them,",
      "then `npx autoexp validate` and `npx autoexp check` before the first night.",
    ].join("\n"),
  );
  return 0;
}

async function runCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      config: { type: "string", default: "autoexp.yml" },
      tag: { type: "string" },
      experiments: { type: "string" },
    },
    strict: true,
  });
  const experiments = positiveInt("experiments", values.experiments);
  const file = resolve(io.cwd, values.config);
  const config = await readValidConfig(file);
  const tag = validateTag(values.tag ?? defaultTag(config.name));
  return runAndReport(io, {
    repoDir: io.cwd,
    config,
    tag,
    ...(experiments ? { experiments } : {}),
  });
}

async function runAndReport(
  io: Io,
  options: { repoDir: string; config: Config; tag: string; experiments?: number },
): Promise<number> {
  const metric = primaryMetric(options.config);
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      killActiveGroups();
      process.exit(130);
    }
    io.err(
      "\nautoexp: stopping after this experiment (press Ctrl-C again to stop now; the experiment in flight is then lost)",
    );
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    io.out(
      `autoexp: tag ${options.tag} on branch autoexp/${options.tag}, agent ${options.config.agent.use}`,
    );
    const result = await runBatch({
      ...options,
      env: io.env,
      signal: controller.signal,
      onEvent: (event) => {
        const line = formatEvent(event, metric);
        if (line !== null) io.out(line);
      },
    });
    const pct =
      result.improvementPct !== null
        ? ` (${result.improvementPct > 0 ? "+" : ""}${result.improvementPct.toFixed(2)}%)`
        : "";
    io.out(
      [
        "",
        `done: ${result.experiments} experiment(s) this batch, ${result.total} on record, ${result.kept} kept`,
        `${metric}: baseline ${result.baseline} -> best ${result.best}${pct} at ${result.bestCommit}`,
        `branch: ${result.branch} (git log ${result.branch}; record in ${recordDir(result.tag)}/ on that branch)`,
      ].join("\n"),
    );
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function demoCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      dir: { type: "string", default: "autoexp-demo" },
      experiments: { type: "string", default: "20" },
    },
    strict: true,
  });
  const experiments = positiveInt("experiments", values.experiments)!;
  const dir = resolve(io.cwd, values.dir);
  const existing = await readdir(dir).catch(() => []);
  if (existing.length > 0) {
    throw new AutoexpError(
      `${dir} exists and is not empty: choose a new --dir (the demo never writes into existing files)`,
    );
  }
  await mkdir(dir, { recursive: true });
  await cp(join(findTemplates(), "examples", "tiny-train"), dir, { recursive: true });
  const git = new Git(dir, io.env);
  await git.raw(["init", "--quiet", "--initial-branch=main"]);
  const identity = await git.raw(["config", "user.email"]).catch(() => "");
  if (!identity.trim()) {
    await git.raw(["config", "user.name", "autoexp demo"]);
    await git.raw(["config", "user.email", "demo@autoexp.invalid"]);
  }
  await git.raw(["add", "-A"]);
  await git.raw(["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", "tiny-train example"]);
  io.out(
    `autoexp demo: a tiny neural network in ${dir}; the search agent tunes train.js, eval.js is frozen`,
  );
  const config = await readValidConfig(join(dir, "autoexp.yml"));
  const code = await runAndReport(io, { repoDir: dir, config, tag: "demo", experiments });
  io.out(
    `\nLook at: ${dir} (git log autoexp/demo), and the record: git -C ${dir} show autoexp/demo:.autoexp/demo/dashboard.md`,
  );
  return code;
}

async function validateCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { config: { type: "string", default: "autoexp.yml" } },
    strict: true,
  });
  const file = resolve(io.cwd, values.config);
  const result = await loadConfig(file);
  if (!result.ok) {
    io.err(formatProblems(values.config, result.problems));
    return 2;
  }
  const { config } = result;
  const repo = new Git(io.cwd, io.env);
  const committed = await repo.listFiles().catch(() => null);
  if (committed) {
    const untracked = (await repo.raw(["ls-files", "--others", "--exclude-standard", "-z"]))
      .split("\0")
      .filter(Boolean);
    const { problems, warnings } = checkScopeFiles(config, committed, untracked);
    for (const w of warnings) io.err(`warning: ${w.path}: ${w.message}`);
    if (problems.length > 0) {
      io.err(formatProblems(values.config, problems));
      return 2;
    }
  }
  // Not fatal here: a config is often checked on a machine that will not run the agent.
  const agentIssue = agentProblem(config.agent, process.env);
  if (agentIssue) io.err(`warning: ${agentIssue}`);
  const [primary, ...others] = objectiveSpecs(config);
  const rule =
    others.length > 0 || config.decide.rule !== "primary" ? ` (rule ${config.decide.rule})` : "";
  io.out(
    `${values.config} is valid: ${primary!.name} (${primary!.goal})${rule}, target ${config.target.join(", ")}, frozen ${config.frozen.join(", ") || "(none)"}, agent ${config.agent.use}, ${config.budget.experiments} experiments per batch`,
  );
  return 0;
}

async function checkCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      config: { type: "string", default: "autoexp.yml" },
      runs: { type: "string" },
      effect: { type: "string" },
    },
    strict: true,
  });
  const config = await readValidConfig(resolve(io.cwd, values.config));
  const runs = positiveInt("runs", values.runs) ?? Math.max(3, config.decide.baseline_runs);
  if (runs < 2) throw new AutoexpError("--runs must be at least 2 to measure noise");
  let effect: number | undefined;
  if (values.effect !== undefined) {
    effect = Number(values.effect);
    if (!Number.isFinite(effect) || effect === 0)
      throw new AutoexpError(
        `--effect must be a non-zero number in the primary metric's units, got ${JSON.stringify(values.effect)}`,
      );
  }
  const repo = await new Git(io.cwd, io.env)
    .raw(["rev-parse", "--show-toplevel"])
    .catch(() => null);
  const dir = repo ? repo.trim() : io.cwd;
  io.out(
    `autoexp check: running \`${typeof config.eval.command === "string" ? config.eval.command : config.eval.command.join(" ")}\` ${runs} times in ${dir}`,
  );
  return checkEval({
    config,
    dir,
    runs,
    env: io.env,
    out: io.out,
    ...(effect !== undefined ? { effect } : {}),
  });
}

async function statusCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { config: { type: "string", default: "autoexp.yml" }, tag: { type: "string" } },
    strict: true,
  });
  const repo = new Git(io.cwd, io.env);
  let tag = values.tag;
  if (!tag) {
    const config = await readValidConfig(resolve(io.cwd, values.config));
    tag = defaultTag(config.name);
  }
  validateTag(tag);
  const head = await repo.resolve(`refs/heads/autoexp/${tag}`);
  const text = head ? await repo.show(head, `${recordDir(tag)}/log.jsonl`) : null;
  if (text === null) {
    const branches = (
      await repo.raw(["branch", "--list", "autoexp/*", "--format=%(refname:short)"])
    ).trim();
    throw new AutoexpError(
      `no autoexp record for tag ${tag}.${
        branches
          ? ` Tags here: ${branches
              .split("\n")
              .map((b) => b.replace("autoexp/", ""))
              .join(", ")}`
          : " Start one with `autoexp run`."
      }`,
    );
  }
  const view = viewFromLog(parseLog(text), tag);
  io.out(
    [
      `autoexp · ${tag}`,
      renderHeadline(view).replaceAll("**", ""),
      renderCounts(view),
      "",
      "recent:",
    ].join("\n"),
  );
  for (const r of view.rows.slice(-10)) {
    io.out(
      `  #${r.iteration} ${r.status.padEnd(14)} ${r.score ?? "—"}  ${r.commit}  ${r.description}`,
    );
  }
  if (view.stopReason) io.out(`last batch stopped: ${view.stopReason}`);
  return 0;
}

async function reportCommand(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { goal: { type: "string", default: "minimize" }, out: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const file = positionals[0];
  if (!file)
    throw new AutoexpError("report needs a file: autoexp report results.tsv (or log.jsonl)");
  if (values.goal !== "minimize" && values.goal !== "maximize") {
    throw new AutoexpError(
      `--goal must be minimize or maximize, got ${JSON.stringify(values.goal)}`,
    );
  }
  const text = await readFile(resolve(io.cwd, file), "utf8").catch(() => {
    throw new AutoexpError(`cannot read ${file}: no such file`);
  });
  let markdown: string;
  try {
    if (text.trimStart().startsWith("{")) {
      const log: ParsedLog = parseLog(text.endsWith("\n") ? text : `${text}\n`);
      markdown = renderDashboard(viewFromLog(log, file));
    } else {
      markdown = renderDashboard(viewFromTsv(parseResultsTsv(text), values.goal, file));
    }
  } catch (error) {
    throw new AutoexpError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (values.out) await writeFile(resolve(io.cwd, values.out), markdown);
  else io.out(markdown);
  return 0;
}
