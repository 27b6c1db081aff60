import { type ConfigProblem, problemOf } from "./config-problem.ts";
import { type Config, configSchema } from "./schema.ts";

export type ValidationResult =
  | { ok: true; config: Config; warnings: ConfigProblem[] }
  | { ok: false; problems: ConfigProblem[] };

/** Validates parsed YAML/JSON against the schema and the cross-field rules. Pure. */
export function validateConfig(raw: unknown): ValidationResult {
  // reportInput: the messages say what was written ("expected a number, got "two"").
  const parsed = configSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(problemOf) };
  const config = parsed.data;
  const problems = [
    ...checkObjectives(config),
    ...checkScopeGlobs(config),
    ...checkAgent(config),
    ...checkPassEnv(config),
  ];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config, warnings: [] };
}

/** The name results.tsv and the dashboard use for the weighted rule's combined score. */
export const WEIGHTED_METRIC = "weighted_score";

/** Metrics with a `goal`, in the order the config lists them. */
export function goalMetrics(config: Pick<Config, "eval">): string[] {
  return Object.entries(config.eval.metrics).flatMap(([n, m]) => (m.goal ? [n] : []));
}

/**
 * The metric decisions are read on, and the first column of results.tsv: the one goal metric, or
 * `decide.primary`, the first objective with rule pareto, or the combined score with rule weighted.
 */
export function primaryMetric(config: Pick<Config, "eval" | "decide">): string {
  if (config.decide.rule === "weighted") return WEIGHTED_METRIC;
  const name = config.decide.primary ?? goalMetrics(config)[0];
  if (!name) throw new Error("config has no primary metric; validateConfig should have refused it");
  return name;
}

function checkObjectives(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const goals = goalMetrics(config);
  const declared = Object.keys(config.eval.metrics);
  const { rule, primary, weights, min_delta } = config.decide;
  if (goals.length === 0) {
    add(
      "eval.metrics",
      "no metric has a `goal`: give the metric to optimise `goal: minimize` or `goal: maximize`",
    );
    return problems;
  }
  if (rule === "primary" && goals.length > 1 && primary === undefined) {
    add(
      "decide.primary",
      `several metrics have a goal (${goals.join(", ")}): name the one that must improve, e.g. \`primary: ${goals[0]}\`; the others become soft limits (see \`tolerance\`)`,
    );
  }
  if (primary !== undefined && !goals.includes(primary)) {
    add(
      "decide.primary",
      `"${primary}" is not a metric with a goal; declared metrics with a goal: ${goals.join(", ")}`,
    );
  }
  if (rule === "pareto" && goals.length < 2) {
    add(
      "decide.rule",
      "rule pareto needs at least two metrics with a goal; use rule primary for one",
    );
  }
  if (rule === "weighted") {
    if (!weights) {
      add(
        "decide.weights",
        `rule weighted needs weights for ${goals.join(", ")} that sum to 1, e.g. { ${goals.map((g, i) => `${g}: ${i === 0 ? 0.7 : (0.3 / (goals.length - 1)).toFixed(2)}`).join(", ")} }`,
      );
    } else {
      for (const name of Object.keys(weights)) {
        if (!goals.includes(name))
          add(
            `decide.weights.${name}`,
            `"${name}" is not a metric with a goal; weights apply to: ${goals.join(", ")}`,
          );
      }
      const missing = goals.filter((g) => weights[g] === undefined);
      if (missing.length > 0)
        add(
          "decide.weights",
          `every metric with a goal needs a weight; missing: ${missing.join(", ")}`,
        );
      const sum = Object.values(weights).reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > 1e-6)
        add("decide.weights", `weights must sum to 1, but they sum to ${Number(sum.toFixed(6))}`);
    }
  } else if (weights) {
    add("decide.weights", `weights only apply with \`rule: weighted\` (rule is ${rule})`);
  }
  if (typeof min_delta === "object") {
    const allowed = rule === "weighted" ? [WEIGHTED_METRIC] : goals;
    for (const name of Object.keys(min_delta)) {
      if (!allowed.includes(name))
        add(
          `decide.min_delta.${name}`,
          `"${name}" is not a metric with a goal; use one of: ${allowed.join(", ")}`,
        );
    }
  } else if (typeof min_delta === "number" && rule === "pareto") {
    add(
      "decide.min_delta",
      `with rule pareto each metric needs its own min_delta: auto, or a map like { ${goals.map((g) => `${g}: 0.01`).join(", ")} }`,
    );
  }
  const decision = rule === "primary" ? (primary ?? goals[0]) : undefined;
  for (const name of declared) {
    const m = config.eval.metrics[name]!;
    if (m.tolerance === undefined) continue;
    if (rule !== "primary" || !m.goal || name === decision) {
      add(
        `eval.metrics.${name}.tolerance`,
        "tolerance applies to a secondary metric (one with a goal that is not decide.primary) under rule primary",
      );
    }
  }
  return problems;
}

/** A cost budget must be countable: agents that report only tokens need a price. */
function checkAgent(config: Config): ConfigProblem[] {
  const { agent, budget } = config;
  if (budget.cost_usd === undefined) return [];
  if (
    (agent.use === "openai" || agent.use === "anthropic" || agent.use === "codex") &&
    !agent.price
  ) {
    return [
      {
        path: "agent.price",
        message: `budget.cost_usd needs a price to count against: ${agent.use} reports tokens, not dollars. Add price: { input: <USD per million input tokens>, output: <USD per million output tokens> }`,
      },
    ];
  }
  return [];
}

/** GitHub's tokens: they write to the repository, and nothing an eval does needs that. */
const GITHUB_TOKENS = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "ACTIONS_RUNTIME_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
];

/**
 * eval.pass_env hands a variable to code the agent wrote: a provider key named there is the
 * user's choice (README: Secrets), a GitHub token never is, so naming one is refused, not dropped.
 */
function checkPassEnv(config: Config): ConfigProblem[] {
  return config.eval.pass_env.flatMap((name, i) =>
    GITHUB_TOKENS.includes(name)
      ? [
          {
            path: `eval.pass_env.${i}`,
            message: `"${name}" is a GitHub token, which never reaches the eval (it could push to your repository from code an agent wrote). Remove it from eval.pass_env; an eval that needs GitHub data should read a copy of it (isolation.read_only)`,
          },
        ]
      : [],
  );
}

function checkScopeGlobs(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.target.forEach((glob, i) => {
    if (glob.startsWith(".autoexp") || glob.startsWith("/") || glob.split("/").includes("..")) {
      problems.push({
        path: `target.${i}`,
        message: `"${glob}" is not allowed: targets are paths inside the repository, outside .autoexp/`,
      });
    }
  });
  return problems;
}

/** Formats problems for a terminal: one line per problem, field first. */
export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  return [`${file}: ${problems.length} problem${problems.length > 1 ? "s" : ""}`]
    .concat(problems.map((p) => `  - ${p.path}: ${p.message}`))
    .join("\n");
}
