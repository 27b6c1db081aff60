import { parseDuration } from "../util/duration.ts";
import { AutoexpError } from "../util/errors.ts";

/** The most shards `init --shards` writes: one runner each. */
export const MAX_SHARDS = 16;

/**
 * The workflow for K self-hosted GPU runners: the experiment job becomes a matrix of K shards,
 * each running its own line of the tag (`shard: i/K`) and handing off under its own artifact
 * name; the one publish job downloads every shard's handoff and publishes the lines together
 * (the best first; the others' keeps queued for a re-check). GitHub Actions is the distributed
 * engine: no cluster of our own. Pure: a rewrite of the single-runner workflow's lines.
 */
export function matrixWorkflow(single: string, shards: number): string {
  if (!Number.isInteger(shards) || shards < 2 || shards > MAX_SHARDS) {
    throw new AutoexpError(
      `--shards must be a whole number from 2 to ${MAX_SHARDS} (one GPU runner each), not ${shards}`,
    );
  }
  const list = Array.from({ length: shards }, (_, i) => i + 1).join(", ");
  const edits: [string, string][] = [
    [
      "    runs-on: [self-hosted, gpu]\n    timeout-minutes: 360\n",
      `    runs-on: [self-hosted, gpu]\n    timeout-minutes: 360\n    # ${shards} shards on ${shards} GPU runners, each its own line of the tag; one failing leaves the rest.\n    strategy:\n      fail-fast: false\n      matrix:\n        shard: [${list}]\n`,
    ],
    [
      "          experiments: ${{ inputs.experiments }}\n",
      `          experiments: \${{ inputs.experiments }}\n          shard: \${{ matrix.shard }}/${shards}\n`,
    ],
    [
      "          name: autoexp-handoff\n          path:",
      "          name: autoexp-handoff-${{ matrix.shard }}\n          path:",
    ],
    [
      "        with:\n          name: autoexp-handoff\n          path: ${{ runner.temp }}/autoexp-handoff\n      - name: Publish",
      "        with:\n          pattern: autoexp-handoff-* # one folder per shard\n          path: ${{ runner.temp }}/autoexp-handoff\n      - name: Publish",
    ],
  ];
  let text = single;
  for (const [from, to] of edits) {
    if (!text.includes(from))
      throw new Error(`init: the workflow template lacks ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return text;
}

/** The key each agent reads (README: Agents); the others need none, or one the user names. */
const AGENT_KEYS: Record<string, string> = {
  "claude-code": "ANTHROPIC_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  codex: "OPENAI_API_KEY",
  openai: "OPENAI_API_KEY",
};

/**
 * The workflow's batch step passes the key its agent reads, and no other: for the offline search
 * agent, none (the step's env is left as a comment to uncomment when the agent changes).
 */
export function agentKeys(workflow: string, use: string): string {
  const block =
    /^( +)env:\n\1 {2}# Keys reach the agent only.*\n\1 {2}#? ?ANTHROPIC_API_KEY: (.*)\n\1 {2}#? ?OPENAI_API_KEY: (.*)\n/m;
  const m = block.exec(workflow);
  if (!m) return workflow;
  const [, pad, anthropic, openai] = m;
  const key = AGENT_KEYS[use];
  const line = (name: string, value: string, on: boolean) =>
    `${pad}${on ? "  " : "  # "}${name}: ${value}`;
  const lines = key
    ? [
        `${pad}env:`,
        `${pad}  # Keys reach the agent only, never the eval: ${key} for agent ${use}.`,
        line("ANTHROPIC_API_KEY", anthropic!, key === "ANTHROPIC_API_KEY"),
        line("OPENAI_API_KEY", openai!, key === "OPENAI_API_KEY"),
      ]
    : [
        `${pad}# agent ${use} reads no key. For an LLM agent, uncomment (keys reach the agent only):`,
        `${pad}# env:`,
        `${pad}#   ANTHROPIC_API_KEY: ${anthropic}`,
        `${pad}#   OPENAI_API_KEY: ${openai}`,
      ];
  return workflow.replace(block, `${lines.join("\n")}\n`);
}

/** The experiment job's timeout when the config sets no longer night (GitHub's own default). */
const JOB_MINUTES = 360;

/**
 * The workflow's experiment job given time for the config's whole night: its budget.wall_clock
 * and an hour for the baseline's overrun, verify and the record. The template's 360 minutes
 * killed the autoresearch template's 9-hour night at 6 hours.
 */
export function jobTimeout(workflow: string, config: string): string {
  const wall = /^\s+wall_clock:\s*([^\s#]+)/m.exec(config)?.[1];
  const ms = wall ? parseDuration(wall) : undefined;
  const minutes =
    ms === undefined ? JOB_MINUTES : Math.max(JOB_MINUTES, Math.ceil(ms / 60_000) + 60);
  return workflow.replace(
    `    timeout-minutes: ${JOB_MINUTES}\n`,
    `    timeout-minutes: ${minutes}${minutes > JOB_MINUTES ? " # budget.wall_clock and an hour" : ""}\n`,
  );
}
