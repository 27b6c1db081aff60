import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import * as core from "@actions/core";
import { parseConfigText } from "../config/parse-config-text.ts";
import type { Config } from "../config/schema.ts";
import { formatProblems, primaryMetric } from "../config/validate-config.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { showLedger } from "../engine/read-ledger.ts";
import { type BatchEvent, runBatch } from "../engine/run-batch.ts";
import { Git } from "../git/git.ts";
import { parseLog } from "../ledger/log-jsonl.ts";
import { FAILURES } from "../ledger/types.ts";
import { KNOWN_SECRETS, splitEnv } from "../process/secrets.ts";
import { formatEvent } from "../report/format-event.ts";
import { createProgressPrinter } from "../report/progress-printer.ts";
import { formatDuration } from "../util/duration.ts";
import { AutoexpError, defaultTag } from "../util/errors.ts";
import { watchInterrupts } from "../util/interrupt.ts";
import { createBatchCost } from "./batch-cost.ts";
import { publishChangeSets } from "./change-sets.ts";
import { readHandoff, writeHandoff } from "./handoff.ts";
import { type ActionInputs, inputVariable, readInputs } from "./inputs.ts";
import { type LiveFigures, liveStatusFromEnv } from "./live-status.ts";
import { measureMode } from "./measure-mode.ts";
import { publish } from "./publish.ts";
import { findLineHandoffs, publishLines } from "./publish-lines.ts";
import { readConfig, syncFromRemote } from "./tag-setup.ts";

/** GitHub's limit on one step's job summary is 1 MiB; stay well under it. */
export const SUMMARY_LIMIT = 1_000_000;

/** The run step's state for the post step (GITHUB_STATE): where the batch ran. */
const POST_STATE = "autoexp_batch";
/** Set once the run step posted its final status and wrote the summary: nothing left to do. */
const CLOSED_STATE = "autoexp_closed";
const STOPPED_NOTE =
  "**The batch did not end normally** (cancelled, killed or failed): below is what it recorded; the same tag resumes it.";

/** Outcomes worth an annotation: the failures, and candidates refused by a guard. */
const WARN: ReadonlySet<string> = new Set([...FAILURES, "guard_fail"]);

/** The Action: `run` a batch on the runner, or `publish` its result. Returns the exit code. */
export async function actionMain(
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  try {
    // action.yml runs this file again as its `post:` step (post-if: always()).
    if (env[`STATE_${POST_STATE}`] !== undefined) return await postStep(env);
    const inputs = readInputs(env);
    // The token (live status only) stays in this process: no agent, eval or git inherits it.
    if (inputs.token) core.setSecret(inputs.token);
    delete env[inputVariable("token")];
    const workspace = env.GITHUB_WORKSPACE || process.cwd();
    const repoDir = resolve(workspace, inputs["working-directory"]);
    if (!existsSync(repoDir))
      throw new AutoexpError(
        `input working-directory: ${repoDir} does not exist; nothing was run or pushed`,
      );
    const handoff = inputs.handoff
      ? isAbsolute(inputs.handoff)
        ? inputs.handoff
        : resolve(workspace, inputs.handoff)
      : join(env.RUNNER_TEMP || tmpdir(), "autoexp-handoff");
    // Mask every credential in the environment, whatever prints it.
    for (const name of KNOWN_SECRETS) if (env[name]) core.setSecret(env[name]);
    if (inputs.mode === "run") return await runMode(inputs, repoDir, handoff, env);
    if (inputs.mode === "publish") return await publishMode(inputs, repoDir, handoff, env);
    return await remeasureMode(inputs.mode, inputs, repoDir, handoff, env);
  } catch (error) {
    core.setFailed(
      error instanceof AutoexpError
        ? error.message
        : `autoexp failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return error instanceof AutoexpError ? error.exitCode : 1;
  }
}

async function runMode(
  inputs: ActionInputs,
  repoDir: string,
  handoff: string,
  env: Record<string, string | undefined>,
): Promise<number> {
  const config = shardConfig(await readConfig(repoDir, inputs.config), inputs.shard);
  for (const value of splitEnv(env, config.agent).values) core.setSecret(value);
  const tag = inputs.tag ?? defaultTag(config.name);
  const metric = primaryMetric(config);
  if (inputs.shard)
    core.info(
      `autoexp: shard ${inputs.shard.index} of ${inputs.shard.of}: its own line of autoexp/${tag}; the publish job brings the lines together`,
    );
  core.setOutput("tag", tag);
  core.setOutput("branch", `autoexp/${tag}`);
  const remoteHead = await syncFromRemote(repoDir, tag, inputs.remote, env);
  const live = liveStatusFromEnv(env, {
    token: inputs.token,
    everySeconds: inputs["live-status"],
    tag,
    line: inputs.shard,
    sha: remoteHead,
    metric,
    log: (line) => core.warning(line, { title: `autoexp ${tag}: live status` }),
  });

  core.saveState(
    POST_STATE,
    JSON.stringify({ repoDir, tag, sha: remoteHead, metric, shard: inputs.shard ?? null }),
  );

  const interrupts = watchInterrupts(() =>
    core.warning("autoexp: cancelled; stopping after the experiment in flight"),
  );
  // A long eval is not silence: its last output line every 30 s, as plain log lines.
  const heartbeat = createProgressPrinter(
    "plain",
    { line: core.info, write: core.info, columns: 120 },
    metric,
  );
  const cost = createBatchCost();
  // One log group per finished experiment, titled with its result. Pipelined, #2 and #3 start
  // before #1 ends: what is said of an experiment waits for its end, in its own group.
  const held = new Map<number, string[]>();
  const onEvent = (event: BatchEvent) => {
    live?.event(event);
    cost.event(event);
    if (event.type === "eval-progress" || event.type === "start") heartbeat.event(event);
    if (event.type === "eval-progress") return;
    if (event.type === "isolation" && event.mode === "none")
      for (const w of event.warnings) core.warning(w, { title: `autoexp ${tag}: unsandboxed` });
    if (event.type === "start") {
      held.set(event.iteration, []);
      return;
    }
    const line = formatEvent(event, metric);
    if (event.type === "run" && held.has(event.iteration)) {
      if (line !== null) held.get(event.iteration)!.push(line);
      return;
    }
    if (event.type === "experiment") {
      const { row } = event;
      core.startGroup(line ?? `#${row.iteration} ${row.status}`);
      for (const said of held.get(row.iteration) ?? []) core.info(said);
      held.delete(row.iteration);
      core.info(
        `progress: ${event.index}/${event.of} done, best ${metric} ${event.best}${event.etaMs !== null && event.index < event.of ? `, about ${formatDuration(event.etaMs)} left` : ""}`,
      );
      core.endGroup();
      if (WARN.has(row.status))
        core.warning(`#${row.iteration} ${row.status}: ${row.reason ?? row.description}`, {
          title: `autoexp ${tag}`,
        });
      return;
    }
    if (line !== null) core.info(line);
    if (event.type === "remeasure" && event.note)
      core.warning(event.note, { title: `autoexp ${tag}: drift` });
  };
  try {
    core.info(
      `autoexp: tag ${tag} on branch autoexp/${tag}, agent ${config.agent.use}; handoff in ${handoff}${trigger(env)}`,
    );
    const result = await runBatch({
      repoDir,
      config,
      tag,
      env,
      signal: interrupts.signal,
      onEvent,
      ...(inputs.experiments ? { experiments: inputs.experiments } : {}),
      ...(inputs.shard ? { line: inputs.shard } : {}),
      // A fresh runner has no journal: the remote head, which publish checked, is adopted
      // after the same checks (a local branch the journal vouches for needs none).
      adopt: remoteHead ?? undefined,
      checkpoint: async () => {
        await writeHandoff(repoDir, tag, handoff, env);
        await live?.checkpoint();
      },
    }).catch(async (error: unknown) => {
      await live?.finish(false);
      await writeSummary(repoDir, tag, env, [STOPPED_NOTE]).catch(() => {});
      core.saveState(CLOSED_STATE, "1");
      throw error;
    });
    await live?.finish(!result.stop.failed, { baseline: result.baseline, best: result.best });
    core.setOutput("baseline", String(result.baseline));
    core.setOutput("best", String(result.best));
    core.setOutput(
      "improvement",
      result.improvementPct === null ? "" : result.improvementPct.toFixed(4),
    );
    core.setOutput("kept", String(result.kept));
    core.setOutput("experiments", String(result.experiments));
    core.setOutput("stop_reason", result.stopReason);
    core.setOutput("handoff", handoff);
    await writeSummary(repoDir, tag, env, [cost.line(result.evalSeconds)]);
    core.saveState(CLOSED_STATE, "1");
    core.info(
      `done: ${result.experiments} experiment(s) this batch, ${result.total} on record, ${result.kept} kept; stopped: ${result.stopReason}`,
    );
    // A night that stopped on a failure fails the job (the publish job still runs: if: always()).
    if (result.stop.failed) {
      core.setFailed(`autoexp ${tag} stopped: ${result.stopReason}`);
      return 1;
    }
    return 0;
  } finally {
    interrupts.release();
  }
}

/**
 * A matrix shard explores its own line of the tag: the offline search agent gets its own seed
 * (seed + i - 1); model agents are told which line they are, with program.md's `## Line <i>`
 * section (runBatch's `line`). The publish job brings the lines together.
 */
function shardConfig(config: Config, shard: ActionInputs["shard"]): Config {
  if (!shard || !("seed" in config.agent)) return config;
  return { ...config, agent: { ...config.agent, seed: config.agent.seed + shard.index - 1 } };
}

/**
 * action.yml's `post:` step, which runs even when the job is cancelled (post-if: always()). A
 * cancelled batch gets SIGINT, then SIGTERM, and may be gone before it posts its final status or
 * writes the summary; whatever the run step did not finish is done here, from the branch's record.
 */
async function postStep(env: Record<string, string | undefined>): Promise<number> {
  if (env[`STATE_${CLOSED_STATE}`]) return 0;
  const state = JSON.parse(env[`STATE_${POST_STATE}`] ?? "") as {
    repoDir: string;
    tag: string;
    sha: string | null;
    metric: string;
    shard: { index: number; of: number } | null;
  };
  const { repoDir, tag } = state;
  core.warning(
    `autoexp ${tag}: the batch step did not end normally (cancelled or killed); posting its final status and summary from what it recorded`,
  );
  const inputs = readInputs(env);
  if (inputs.token) core.setSecret(inputs.token);
  const live = liveStatusFromEnv(env, {
    token: inputs.token,
    everySeconds: inputs["live-status"],
    tag,
    line: state.shard ?? undefined,
    sha: state.sha,
    metric: state.metric,
    log: (line) => core.warning(line, { title: `autoexp ${tag}: live status` }),
  });
  if (live) await live.finish(false, await recordedFigures(repoDir, tag, env), "cancelled");
  await writeSummary(repoDir, tag, env, [STOPPED_NOTE]);
  return 0;
}

/** The live figures from the record on autoexp/<tag>: experiments, baseline, best. */
async function recordedFigures(
  repoDir: string,
  tag: string,
  env: Record<string, string | undefined>,
): Promise<Partial<LiveFigures>> {
  const git = new Git(repoDir, env);
  const text = await showLedger(git, `refs/heads/autoexp/${tag}`, tag).catch(() => null);
  if (!text) return {};
  const log = parseLog(text, { lenient: true });
  const baseline = log.results.find((r) => r.iteration === 0)?.score ?? null;
  return {
    done: log.results.filter((r) => r.iteration > 0).length,
    of: null,
    baseline,
    best: incumbentState(log)?.score ?? baseline,
  };
}

/** verify, attribute or split of the tag, in the experiment job; publish pushes the result. */
async function remeasureMode(
  mode: "verify" | "attribute" | "split",
  inputs: ActionInputs,
  repoDir: string,
  handoff: string,
  env: Record<string, string | undefined>,
): Promise<number> {
  const config = await readConfig(repoDir, inputs.config);
  for (const value of splitEnv(env, config.agent).values) core.setSecret(value);
  const tag = inputs.tag ?? defaultTag(config.name);
  core.setOutput("tag", tag);
  core.setOutput("branch", `autoexp/${tag}`);
  const remoteHead = await syncFromRemote(repoDir, tag, inputs.remote, env);
  core.info(`autoexp ${mode} of autoexp/${tag}; handoff in ${handoff}${trigger(env)}`);
  const live = liveStatusFromEnv(env, {
    token: inputs.token,
    everySeconds: inputs["live-status"],
    tag,
    sha: remoteHead,
    metric: primaryMetric(config),
    log: (line) => core.warning(line, { title: `autoexp ${tag}: live status` }),
  });
  const lines = await measureMode(mode, {
    repoDir,
    config,
    tag,
    handoff,
    env,
    live,
    adopt: remoteHead ?? undefined,
  });
  core.setOutput("handoff", handoff);
  await writeSummary(repoDir, tag, env, lines);
  return 0;
}

async function publishMode(
  inputs: ActionInputs,
  repoDir: string,
  handoff: string,
  env: Record<string, string | undefined>,
): Promise<number> {
  // The tag and the config are the publish job's own: its input, and the config committed on the
  // default branch it checked out. The handoff (written where agent code ran) chooses neither.
  const config = await committedConfig(repoDir, inputs.config, env);
  const accepted = inputs.tag ? [inputs.tag] : nightTags(config.name);
  const described = await readHandoff(handoff).catch(() => null);
  // A matrix's publish: one subfolder per line (shard), each with its handoff.
  const lines = described ? [] : await findLineHandoffs(handoff);
  const handed = described ? [{ dir: handoff, handoff: described }] : lines;
  const foreign = handed.find((l) => !accepted.includes(l.handoff.tag));
  if (foreign)
    throw new AutoexpError(
      `the handoff in ${foreign.dir} is for tag ${foreign.handoff.tag}, but this publish job publishes ${accepted.join(" or ")} (${inputs.tag ? "its tag input" : `no tag input: the night's tag of ${config.name}`}); nothing was pushed. A handoff never chooses the branch it moves: give the publish step the run's tag (tag: \${{ inputs.tag }})`,
    );
  const tag = handed[0]?.handoff.tag ?? accepted[0]!;
  core.setOutput("tag", tag);
  core.setOutput("branch", `autoexp/${tag}`);
  const log = (line: string) =>
    line.startsWith("warning: ") ? core.warning(line.slice(9)) : core.info(line);
  if (lines.length > 0) {
    const other = lines.find((l) => l.handoff.tag !== tag);
    if (other)
      throw new AutoexpError(
        `the handoff in ${other.dir} is for tag ${other.handoff.tag}, not ${tag}; nothing was pushed`,
      );
    const results = await publishLines(lines, {
      repoDir,
      tag,
      remote: inputs.remote,
      config,
      env,
      log,
    });
    const last = results.at(-1)!.result;
    core.setOutput("published", results[0]!.result.outcome);
    core.setOutput("experiments", String(last.experiments));
    core.info(
      `autoexp/${tag}: ${results.length} line(s) published (${results.map((r) => r.result.outcome).join(", ")}), at ${last.head.slice(0, 7)}, ${last.experiments} experiment(s) on ${inputs.remote}`,
    );
    return 0;
  }
  if (!described && !(await new Git(repoDir, env).resolve(`refs/heads/autoexp/${tag}`))) {
    // A run that stopped before it recorded anything (a baseline that failed) hands nothing off:
    // there is nothing to publish, and the run job's own failure says why.
    core.warning(
      `nothing to publish for autoexp/${tag}: ${handoff} holds no handoff and this checkout has no branch autoexp/${tag}. The experiment job handed off no record (did it stop before its first experiment, e.g. on a failed baseline? see its log); nothing was pushed`,
      { title: `autoexp ${tag}: nothing to publish` },
    );
    core.setOutput("published", "nothing");
    return 0;
  }
  // Change sets of `autoexp split` first (the tag's record names them, and the App opens their
  // PRs), once the tag's branch is checked: a refused handoff pushes nothing at all.
  let sets: Awaited<ReturnType<typeof publishChangeSets>> | null = null;
  const options = {
    repoDir,
    tag,
    remote: inputs.remote,
    handoff: described ? handoff : undefined,
    config,
    env,
    log,
  };
  const result = await publish({
    ...options,
    beforePush: async () => {
      sets = await publishChangeSets(options);
    },
  });
  const blocked = sets!.blocked;
  core.setOutput("published", result.outcome);
  core.setOutput("experiments", String(result.experiments));
  core.info(
    `autoexp/${tag}: ${result.outcome} at ${result.head.slice(0, 7)}, ${result.experiments} experiment(s) on ${inputs.remote}`,
  );
  if (blocked.length > 0) {
    core.setFailed(
      `autoexp/${tag} is published, but ${blocked.map((b) => b.branch).join(", ")} could not be: ${inputs.remote} holds other commits there (see the warning above)`,
    );
    return 1;
  }
  return 0;
}

/** How long after a scheduled batch starts its publish job may run: 360 + 15 minutes. */
const NIGHT_WINDOW_MS = (360 + 15) * 60_000;

/**
 * The tags a publish job without a tag input accepts: the night's tag of the config's name
 * (`<name>-<date>`, as the experiment job names it) when the experiment job started, which is
 * within the jobs' time limits before now: one date, or two when the night's date turned in
 * between. Pure.
 */
export function nightTags(name: string, now = new Date()): string[] {
  const then = new Date(now.getTime() - NIGHT_WINDOW_MS);
  return [...new Set([defaultTag(name, now), defaultTag(name, then)])];
}

/** autoexp.yml as committed at HEAD (the default branch the publish job checked out). */
async function committedConfig(
  repoDir: string,
  file: string,
  env: Record<string, string | undefined>,
): Promise<Config> {
  const text = await new Git(repoDir, env).show("HEAD", `./${file}`);
  if (text === null)
    throw new AutoexpError(
      `input config: ${file} is not committed on the branch checked out in ${repoDir}. Publish reads the config from the default branch, never from the handoff; nothing was pushed`,
    );
  const result = parseConfigText(text);
  if (!result.ok) throw new AutoexpError(formatProblems(file, result.problems));
  return result.config;
}

/** The dashboard as the job summary, cut to fit GitHub's limit. */
async function writeSummary(
  repoDir: string,
  tag: string,
  env: Record<string, string | undefined>,
  lead: readonly string[] = [],
): Promise<void> {
  if (!env.GITHUB_STEP_SUMMARY) return;
  const git = new Git(repoDir, env);
  const dashboard =
    (await git.show(`refs/heads/autoexp/${tag}`, `.autoexp/${tag}/dashboard.md`)) ?? "";
  const text = lead.length > 0 ? `${lead.join("\n")}\n\n${dashboard}` : dashboard;
  await core.summary.addRaw(fitSummary(text)).write();
}

/** Cuts a dashboard to the summary limit at a line boundary, saying so. */
export function fitSummary(markdown: string): string {
  if (Buffer.byteLength(markdown) <= SUMMARY_LIMIT) return markdown;
  const note =
    "\n\n_The rest of the dashboard is cut to fit GitHub's job summary limit; see dashboard.md on the branch._\n";
  let cut = markdown.slice(0, SUMMARY_LIMIT - 2000);
  while (Buffer.byteLength(cut) > SUMMARY_LIMIT - 2000) cut = cut.slice(0, -1000);
  return cut.slice(0, cut.lastIndexOf("\n")) + note;
}

/** "; triggered by schedule" or "; triggered by workflow_dispatch (octocat)", from the event. */
function trigger(env: Record<string, string | undefined>): string {
  if (!env.GITHUB_EVENT_NAME) return "";
  let who = "";
  try {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH ?? "", "utf8")) as {
      sender?: { login?: string };
    };
    if (event.sender?.login) who = ` (${event.sender.login})`;
  } catch {
    // no payload: the name is enough
  }
  return `; triggered by ${env.GITHUB_EVENT_NAME}${who}`;
}

/** The `run()` export that @github/local-action (and the main.ts convention) calls. */
export async function run(): Promise<void> {
  process.exitCode = await actionMain();
}
