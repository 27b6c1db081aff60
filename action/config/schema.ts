import { z } from "zod";
import { parseDuration } from "../util/duration.ts";

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const METRIC_NAME = /^[A-Za-z_][\w.\-/]*$/;

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .refine((v) => parseDuration(v) !== undefined, {
      message: 'must be a duration like "90s", "10m" or "8h" (or a number of seconds)',
    })
    .transform((v) => parseDuration(v)!);

/** A command is either one string (run by /bin/sh, like a workflow `run:` step) or an argv array (no shell). */
const command = z.union(
  [z.string().trim().min(1, "must not be empty"), z.array(z.string()).min(1, "must not be empty")],
  {
    error: (issue) =>
      `${issue.input === undefined ? "is required" : "must be a command"}: a string like "node eval.js" or an argv array like ["node", "eval.js"]`,
  },
);

const globList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === "string" ? [v] : v))
  .pipe(z.array(z.string().trim().min(1, "a glob must not be empty")));

const guard = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((g) => g.min !== undefined || g.max !== undefined, {
    message: "a guard needs `min`, `max` or both, e.g. { max: 70000 }",
  })
  .refine((g) => g.min === undefined || g.max === undefined || g.min <= g.max, {
    message: "guard `min` must not be larger than `max`",
  });

/** How much worse a secondary metric may get: "100%" (relative: may double) or a number in its units. */
const TOLERANCE_HELP =
  'tolerance must be a percentage like "100%" (may double) or a number >= 0 in the metric\'s units';
const tolerance = z.union(
  [z.number().min(0, TOLERANCE_HELP), z.string().regex(/^\d+(\.\d+)?%$/, TOLERANCE_HELP)],
  { error: TOLERANCE_HELP },
);

const metric = z
  .strictObject({
    goal: z
      .enum(["minimize", "maximize"], { error: "goal must be `minimize` or `maximize`" })
      .optional(),
    guard: guard.optional(),
    tolerance: tolerance.optional(),
  })
  .refine((m) => m.goal !== undefined || m.guard !== undefined, {
    message: "a metric needs a `goal` (minimize | maximize) or a `guard` ({ min, max })",
  });

const searchAgent = z.strictObject({
  use: z.literal("search"),
  seed: z.int().default(1),
  exclude: z.array(z.string()).default(["seed", "random_state"]),
});

const commandAgent = z.strictObject({
  use: z.literal("command"),
  run: command,
  timeout: duration("30m"),
});

const agent = z.discriminatedUnion("use", [searchAgent, commandAgent], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? "agent.use must be one of: search, command"
      : "agent must be an object like { use: search }",
});

export const configSchema = z.strictObject({
  name: z
    .string({ error: "name is required: a short id like `tiny-train`" })
    .regex(NAME, "name must match [a-z0-9-]+ (at most 40 characters), e.g. `tiny-train`"),
  instructions: z.string().default("program.md"),
  target: globList.pipe(z.array(z.string()).min(1, "list at least one file the agent may change")),
  frozen: globList.default([]),
  eval: z.strictObject(
    {
      command,
      timeout: duration("10m"),
      metrics: z
        .record(
          z.string().regex(METRIC_NAME, "metric names look like `val_loss` or `SCORE`"),
          metric,
        )
        .refine((m) => Object.keys(m).length > 0, {
          message: "declare at least one metric, e.g. { val_loss: { goal: minimize } }",
        }),
      repeats: z.int().min(1).max(100).default(1),
      env: z.record(z.string(), z.string()).default({}),
    },
    { error: "eval is required: { command: ..., metrics: { val_loss: { goal: minimize } } }" },
  ),
  decide: z
    .strictObject({
      rule: z
        .enum(["primary", "pareto", "weighted"], {
          error: "decide.rule must be one of: primary, pareto, weighted",
        })
        .default("primary"),
      min_delta: z
        .union([z.literal("auto"), z.number(), z.record(z.string(), z.number())], {
          error: "min_delta must be `auto`, a number >= 0, or a map of metric to number",
        })
        .default("auto")
        .refine(
          (v) =>
            v === "auto" ||
            (typeof v === "number" ? v >= 0 : Object.values(v).every((x) => x >= 0)),
          {
            message:
              "min_delta is an improvement size, so it must be >= 0 (the goal sets the direction)",
          },
        ),
      baseline_runs: z.int().min(1).max(50).default(5),
      confidence: z
        .number({ error: "confidence must be a number between 0 and 1, e.g. 0.95" })
        .gt(0, "confidence must be between 0 and 1 (exclusive), e.g. 0.95")
        .lt(1, "confidence must be between 0 and 1 (exclusive), e.g. 0.95")
        .default(0.95),
      confirm: z
        .union([z.boolean(), z.literal("auto")], {
          error:
            "confirm must be true (or auto: repeat promising candidates) or false (one run decides)",
        })
        .default("auto")
        .transform((v) => v !== false),
      max_runs: z.int().min(2).max(50).default(5),
      remeasure_every: z.int().min(0).default(5),
      simplification: z.boolean().default(false),
      primary: z.string().optional(),
      weights: z.record(z.string(), z.number().positive("weights must be > 0")).optional(),
    })
    .prefault({}),
  checks: z
    .strictObject({
      command,
      timeout: duration("10m"),
    })
    .optional(),
  agent: agent.prefault({ use: "search" }),
  budget: z
    .strictObject({
      experiments: z.int().min(1).max(100_000).default(20),
      wall_clock: duration("24h"),
      cost_usd: z.number().positive().optional(),
      stop_after_failures: z.int().min(1).default(20),
      plateau: z.int().min(1).optional(),
    })
    .prefault({}),
  workers: z.literal(1, { error: "workers: only 1 is supported in this version" }).default(1),
});

/** The config as written by people (what the JSON Schema describes). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after defaults and normalisation (durations in ms, globs as arrays). */
export type Config = z.output<typeof configSchema>;
export type MetricSpec = Config["eval"]["metrics"][string];
export type AgentConfig = Config["agent"];
