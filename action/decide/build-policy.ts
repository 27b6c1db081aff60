import type { Config } from "../config/schema.ts";
import { goalMetrics, primaryMetric, WEIGHTED_METRIC } from "../config/validate-config.ts";
import type { ConfigEntry, Goal } from "../ledger/types.ts";
import type { Noise } from "./noise.ts";
import type { Objective, Policy } from "./policy.ts";

/** The metrics the decision compares, from the config. */
export function objectiveSpecs(config: Config): { name: string; goal: Goal }[] {
  if (config.decide.rule === "weighted") return [{ name: WEIGHTED_METRIC, goal: "maximize" }];
  const goals = goalMetrics(config).map((name) => ({
    name,
    goal: config.eval.metrics[name]!.goal!,
  }));
  const first = primaryMetric(config);
  return [...goals.filter((g) => g.name === first), ...goals.filter((g) => g.name !== first)];
}

/** The policy with each objective's min_delta chosen for the noise seen now (chooseMinDeltas). */
export function withMinDeltas(
  policy: Policy,
  config: Config,
  noise: Record<string, Noise>,
): Policy {
  const deltas = chooseMinDeltas(config, noise);
  return {
    ...policy,
    objectives: policy.objectives.map((o) => ({ ...o, minDelta: deltas[o.name] ?? o.minDelta })),
  };
}

/**
 * min_delta per objective. `auto` reads the pooled noise: a quarter of a standard deviation
 * when candidates are confirmed (only the screen after one run; the t-test decides), two when
 * one run decides (so an unchanged program is rarely kept on luck).
 */
export function chooseMinDeltas(
  config: Config,
  noise: Record<string, Noise>,
): Record<string, number> {
  const factor = config.decide.confirm ? 0.25 : 2;
  const setting = config.decide.min_delta;
  const specs = objectiveSpecs(config);
  return Object.fromEntries(
    specs.map((o, i) => {
      const fixed =
        typeof setting === "number"
          ? i === 0
            ? setting
            : undefined
          : setting === "auto"
            ? undefined
            : setting[o.name];
      return [o.name, fixed ?? factor * (noise[o.name]?.sd ?? 0)];
    }),
  );
}

function parseTolerance(
  t: number | string | undefined,
): Pick<Objective, "tolerance" | "relativeTolerance"> {
  if (t === undefined) return {};
  if (typeof t === "number") return { tolerance: t };
  return { relativeTolerance: Number(t.slice(0, -1)) / 100 };
}

/** The config's guards: each metric with a `guard`, and its bounds. */
export function guardsOf(config: Pick<Config, "eval">): Policy["guards"] {
  return Object.fromEntries(
    Object.entries(config.eval.metrics).flatMap(([name, m]) => (m.guard ? [[name, m.guard]] : [])),
  );
}

/** The decision policy of a tag: the config's rule with the min_deltas fixed at its start. */
export function buildPolicy(
  config: Config,
  header: Pick<ConfigEntry, "min_deltas" | "min_delta">,
): Policy {
  const specs = objectiveSpecs(config);
  const objectives: Objective[] = specs.map((o, i) => ({
    ...o,
    minDelta: header.min_deltas?.[o.name] ?? (i === 0 ? header.min_delta : 0),
    ...(config.decide.rule === "primary" && i > 0
      ? parseTolerance(config.eval.metrics[o.name]?.tolerance)
      : {}),
  }));
  return {
    rule: config.decide.rule === "pareto" ? "pareto" : "primary",
    objectives,
    guards: guardsOf(config),
    confidence: config.decide.confidence,
    maxRuns: config.decide.confirm ? config.decide.max_runs : 1,
    simplification: config.decide.simplification,
  };
}

/**
 * Adds rule weighted's combined score to one run's metrics: the weighted sum of each metric's
 * relative improvement over its baseline mean (positive = better), so metrics in different
 * units combine. 0.01 means "1% better, on the weighted average".
 */
export function withWeightedScore(
  metrics: Record<string, number>,
  config: Config,
  baselineMeans: Record<string, number>,
): Record<string, number> {
  const weights = config.decide.weights;
  if (config.decide.rule !== "weighted" || !weights) return metrics;
  let score = 0;
  for (const [name, w] of Object.entries(weights)) {
    const value = metrics[name];
    const base = baselineMeans[name];
    if (value === undefined || base === undefined) return metrics;
    const scale = Math.abs(base) > 0 ? Math.abs(base) : 1;
    const rel = (value - base) / scale;
    score += w * (config.eval.metrics[name]!.goal === "minimize" ? -rel : rel);
  }
  return { ...metrics, [WEIGHTED_METRIC]: score };
}
