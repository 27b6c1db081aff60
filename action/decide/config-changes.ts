import type { Config } from "../config/schema.ts";
import type { ConfigEntry } from "../ledger/types.ts";
import { guardsOf, objectiveSpecs } from "./build-policy.ts";

/** What a tag's decisions depend on, as a config describes it today. */
export type DecisionFacts = Pick<
  ConfigEntry,
  "metric" | "goal" | "rule" | "objectives" | "guards" | "eval_command" | "target" | "frozen"
> & {
  weights: Record<string, number> | undefined;
  confidence: number;
  frozen_hashes: Record<string, string>;
  trust: TrustSettings;
};

/**
 * What decides whom the experiments trust and what they may reach: the sandbox (`isolation`:
 * its mode, read_only, writable, limits), the checks, what the eval's environment holds
 * (`eval.env`, `eval.pass_env`) and the agent. A resume under other settings is a config change:
 * an agent could otherwise append `isolation: none` to autoexp.yml and go unnoticed.
 */
export type TrustSettings = NonNullable<ConfigEntry["trust"]>;

export function trustSettings(config: Config): TrustSettings {
  return {
    isolation: config.isolation,
    checks: config.checks ?? null,
    "eval.env": config.eval.env,
    "eval.pass_env": config.eval.pass_env,
    // A matrix line runs the search agent with its own seed (seed + line - 1): not a trust
    // setting, and it differs between the lines of one tag by design.
    agent: config.agent.use === "search" ? { ...config.agent, seed: 0 } : config.agent,
  };
}

/** The facts of `config` that a tag's ledger header fixes (frozen hashes measured by the caller). */
export function decisionFacts(config: Config, frozenHashes: Record<string, string>): DecisionFacts {
  const objectives = objectiveSpecs(config);
  return {
    metric: objectives[0]!.name,
    goal: objectives[0]!.goal,
    rule: config.decide.rule,
    objectives,
    guards: guardsOf(config),
    eval_command:
      typeof config.eval.command === "string" ? config.eval.command : config.eval.command.join(" "),
    target: config.target,
    frozen: config.frozen,
    weights: config.decide.weights,
    confidence: config.decide.confidence,
    frozen_hashes: frozenHashes,
    trust: trustSettings(config),
  };
}

/**
 * How today's config differs from the one a tag started with, in what decides: each change as
 * "field: before → now" for people. Empty: resuming means the same thing. Fields a ledger
 * written by an older autoexp lacks are not compared. `measuring`: for verify, attribute and
 * split, which run no agent. Pure.
 */
export function configChanges(
  header: ConfigEntry,
  now: DecisionFacts,
  options: { measuring?: boolean } = {},
): string[] {
  const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v ?? null));
  const changes: string[] = [];
  const compare = (field: string, before: unknown, after: unknown) => {
    if (before === undefined) return;
    if (JSON.stringify(before) === JSON.stringify(after)) return;
    // The agent's and isolation's settings: the keys that differ, not both whole (a switch of
    // agent printed every default of both, timeouts and all).
    if ((field === "agent" || field === "isolation") && isPlain(before) && isPlain(after)) {
      // Another agent altogether: its settings are its own, the switch says it.
      if (field === "agent" && before.use !== after.use) {
        changes.push(`agent: ${show(before.use)} → ${show(after.use)}`);
        return;
      }
      const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
        (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
      );
      changes.push(
        `${field}: ${keys.map((k) => `${k} ${show(before[k])} → ${show(after[k])}`).join(", ")}`,
      );
    } else changes.push(`${field}: ${show(before)} → ${show(after)}`);
  };
  compare("metric", header.metric, now.metric);
  compare("goal", header.goal, now.goal);
  compare("decide.rule", header.rule, now.rule);
  // The first objective is the primary metric, already compared by name and goal.
  compare("secondary metrics", header.objectives?.slice(1), now.objectives?.slice(1));
  compare("guards", header.guards, now.guards);
  compare("eval.command", header.eval_command, now.eval_command);
  compare("target", header.target, now.target);
  compare("frozen", header.frozen, now.frozen);
  compare("decide.weights", header.weights, now.weights);
  compare("decide.confidence", header.confidence, now.confidence);
  // A header from before trust settings were recorded has none: not compared (see README).
  // Measuring a tag's commits again (verify, attribute, split) runs no agent: its settings
  // cannot change what is measured.
  for (const [field, value] of Object.entries(now.trust))
    if (!(options.measuring && field === "agent")) compare(field, header.trust?.[field], value);
  const harness = Object.keys({ ...header.frozen_hashes, ...now.frozen_hashes }).filter(
    (p) => header.frozen_hashes[p] !== now.frozen_hashes[p],
  );
  if (harness.length > 0)
    changes.push(
      `the frozen harness (${harness.slice(0, 3).join(", ")}${harness.length > 3 ? ", …" : ""})`,
    );
  return changes;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
