import type { z } from "zod";
import { type Config, configSchema } from "./schema.ts";

/** One thing wrong with a config: where (a dotted field path) and what to do about it. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; config: Config; warnings: ConfigProblem[] }
  | { ok: false; problems: ConfigProblem[] };

/** Validates parsed YAML/JSON against the schema and the cross-field rules. Pure. */
export function validateConfig(raw: unknown): ValidationResult {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(toProblem) };
  const config = parsed.data;
  const problems = [...checkPrimaryMetric(config), ...checkScopeGlobs(config)];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config, warnings: [] };
}

/** The metric with a `goal` is the one being optimised; autoexp needs exactly one. */
export function primaryMetric(config: Pick<Config, "eval">): string {
  const name = Object.entries(config.eval.metrics).find(([, m]) => m.goal)?.[0];
  if (!name) throw new Error("config has no primary metric; validateConfig should have refused it");
  return name;
}

function checkPrimaryMetric(config: Config): ConfigProblem[] {
  const withGoal = Object.entries(config.eval.metrics).filter(([, m]) => m.goal);
  if (withGoal.length === 1) return [];
  if (withGoal.length === 0) {
    return [
      {
        path: "eval.metrics",
        message:
          "no metric has a `goal`: give the metric to optimise `goal: minimize` or `goal: maximize`",
      },
    ];
  }
  return [
    {
      path: "eval.metrics",
      message: `only one metric may have a goal with decide.rule primary, found ${withGoal
        .map(([n]) => n)
        .join(", ")}: keep the goal on the one to optimise and make the others guards`,
    },
  ];
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

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const path = issue.path.map(String).join(".") || "(top level)";
  if (issue.code === "unrecognized_keys") {
    return {
      path,
      message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}: check the spelling (see the config reference in README.md)`,
    };
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return {
      path,
      message: `is required${issue.message.startsWith("Invalid") ? "" : `: ${issue.message}`}`,
    };
  }
  return { path, message: issue.message };
}

/** Formats problems for a terminal: one line per problem, field first. */
export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  return [`${file}: ${problems.length} problem${problems.length > 1 ? "s" : ""}`]
    .concat(problems.map((p) => `  - ${p.path}: ${p.message}`))
    .join("\n");
}
