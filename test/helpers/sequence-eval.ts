import { join } from "node:path";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import type { BatchEvent } from "../../action/engine/run-batch.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { type ParsedLog, parseLog } from "../../action/ledger/log-jsonl.ts";
import { git, makeRepo, tempDir, writeFiles } from "./repo.ts";

// loss = truth + the next value of a fixed noise sequence, in the global order of runs (a counter
// outside the sandbox: isolation none, so that nothing is shared and first runs are screened); the
// run numbered SLOW_RUN, where it is passed, sleeps two seconds first.
export const SEQUENCE_EVAL = `
const fs = require("node:fs");
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
const noise = JSON.parse(process.env.NOISE);
const file = process.env.COUNTER;
const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : 0);
fs.writeFileSync(file, String(n + 1));
if (n === Number(process.env.SLOW_RUN)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
console.log("loss: " + (truth + (noise[n] ?? 0)));
`;

// The agent plays a plan (PLAN), one step per iteration: an effect on the incumbent's truth, or
// [effect, description] (the description is "effect <effect>" otherwise).
export const PLAN_AGENT = `
const fs = require("node:fs");
const step = JSON.parse(process.env.PLAN)[Number(process.env.AUTOEXP_ITERATION) - 1];
const [effect, description] = Array.isArray(step) ? step : [step, "effect " + step];
const truth = Number(/truth: (\\S+)/.exec(fs.readFileSync("candidate.txt", "utf8"))[1]);
fs.writeFileSync("candidate.txt", "truth: " + (truth + effect) + "\\nidea " + process.env.AUTOEXP_ITERATION + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, description);
`;

/**
 * A night of PLAN_AGENT playing `plan` on a fresh repo holding `files`, under the config `yaml`
 * (the agent and budget lines are added): real git, real eval processes. `env` adds to the batch's
 * environment, given the agent's folder (outside the repo, for a counter). The ledger as the
 * branch holds it.
 */
export async function planNight(
  files: Record<string, string>,
  yaml: string,
  plan: readonly (number | readonly [number, string])[],
  env: (dir: string) => Record<string, string> = () => ({}),
  onEvent?: (event: BatchEvent) => void,
): Promise<ParsedLog> {
  const repo = makeRepo(files);
  const dir = tempDir();
  writeFiles(dir, { "agent.js": PLAN_AGENT });
  return nightLog(
    repo,
    `${yaml}
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PLAN] }
budget: { experiments: ${plan.length} }
`,
    { PLAN: JSON.stringify(plan), ...env(dir) },
    onEvent,
  );
}

/**
 * One batch of `repo` under the config text `yaml` (tag t), `env` added to the environment, its
 * events to `onEvent`: the ledger as the branch holds it. A config with problems throws them.
 */
export async function nightLog(
  repo: string,
  yaml: string,
  env: Record<string, string> = {},
  onEvent?: (event: BatchEvent) => void,
): Promise<ParsedLog> {
  const parsed = parseConfigText(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  await runBatch({
    repoDir: repo,
    config: parsed.config,
    tag: "t",
    env: { ...process.env, ...env },
    ...(onEvent ? { onEvent } : {}),
  });
  return parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));
}

/**
 * One serial night (pipeline false, isolation none) from truth 10, loss minimized, each run's
 * noise the next of `noise`, the agent playing `plan`: real git, real eval processes. `decide` is
 * the config's decide line; the batch's events go to `onEvent`. The ledger as the branch holds it.
 */
export function sequenceNight(
  plan: readonly (number | readonly [number, string])[],
  noise: readonly number[],
  decide: string,
  onEvent?: (event: BatchEvent) => void,
): Promise<ParsedLog> {
  return planNight(
    { "candidate.txt": "truth: 10\n", "eval.js": SEQUENCE_EVAL },
    sequenceConfig("sequence", decide, false),
    plan,
    (dir) => ({ NOISE: JSON.stringify(noise), COUNTER: join(dir, "counter") }),
    onEvent,
  );
}

/**
 * The config of a night of SEQUENCE_EVAL (candidate.txt's truth, loss minimized, isolation none)
 * under `decide`, pipelined or not; the agent and budget lines are the caller's.
 */
export function sequenceConfig(name: string, decide: string, pipeline: boolean): string {
  return `
name: ${name}
target: [candidate.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics:
    loss: { goal: minimize }
  pass_env: [COUNTER, NOISE, SLOW_RUN]
isolation: none
decide: ${decide}
pipeline: ${pipeline}`;
}
