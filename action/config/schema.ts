import { z } from "zod";
import { parseDuration } from "../util/duration.ts";
import { agent, envName } from "./agent-schema.ts";
import { byteSize, command, duration, globList, hostPath, isolationMode } from "./schema-parts.ts";

export { AGENT_NAMES } from "./agent-schema.ts";

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const METRIC_NAME = /^[A-Za-z_][\w.\-/]*$/;

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

/** The README writes British English; configs may too. */
const BRITISH_GOALS = {
  minimize: "minimize",
  maximize: "maximize",
  minimise: "minimize",
  maximise: "maximize",
} as const;

const metric = z
  .strictObject({
    goal: z
      .enum(["minimize", "maximize", "minimise", "maximise"], {
        error: "goal must be `minimize` or `maximize` (`minimise` and `maximise` work too)",
      })
      .transform((g) => BRITISH_GOALS[g])
      .optional(),
    guard: guard.optional(),
    tolerance: tolerance.optional(),
  })
  .refine((m) => m.goal !== undefined || m.guard !== undefined, {
    message: "a metric needs a `goal` (minimize | maximize) or a `guard` ({ min, max })",
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
        })
        .superRefine((m, ctx) => {
          for (const name of Object.keys(m)) {
            if (name in Object.prototype || name === "__proto__")
              ctx.addIssue({
                code: "custom",
                path: [name],
                message: `"${name}" is a built-in JavaScript property name, which a metric cannot be: rename it, e.g. \`val_loss\``,
              });
          }
        }),
      repeats: z.int().min(1).max(100).default(1),
      env: z.record(z.string(), z.string()).default({}),
      /** Variables passed through from autoexp's environment, by name; nothing else is. */
      pass_env: z.array(envName).default([]),
      /**
       * The hidden holdout: a command printing the primary metric on data the agent never sees,
       * run only by `autoexp verify` (never in the loop, never named in a prompt). `read_only`:
       * paths mounted for the holdout runs only (put its data under HOME, which other evals do
       * not see).
       */
      holdout: z
        .union([command, z.strictObject({ command, read_only: z.array(hostPath).default([]) })], {
          error:
            'eval.holdout must be a command ("node holdout.js") or { command: ..., read_only: [~/holdout-data] }',
        })
        .transform((h) =>
          typeof h === "string" || Array.isArray(h) ? { command: h, read_only: [] as string[] } : h,
        )
        .optional(),
      /**
       * The cheap eval: a cheaper command (a shorter training budget, a data subset) run before the
       * full eval; only candidates that beat the incumbent on it get the full eval. `metric`: what
       * it prints (default: the primary metric), judged with the primary metric's goal. autoexp
       * measures how well it ranks candidates as the full eval does and stops using it when it
       * does not (decide/transfer.ts). Not decide.screen_sd (the full eval's first-run threshold).
       */
      screen: z
        .strictObject(
          {
            command,
            // Absent: the full eval's eval.timeout.
            timeout: z
              .union([z.string(), z.number()])
              .refine((v) => (parseDuration(v) ?? Number.POSITIVE_INFINITY) <= 2 ** 31 - 1, {
                message:
                  'eval.screen.timeout must be a duration like "90s" or "10m" (or a number of seconds)',
              })
              .transform((v) => parseDuration(v)!)
              .optional(),
            metric: z
              .string()
              .regex(METRIC_NAME, "eval.screen.metric looks like `val_loss` or `SCORE`")
              .optional(),
          },
          {
            error:
              "eval.screen must be { command: ..., timeout?: 2m, metric?: val_loss }: the cheap eval run before the full one",
          },
        )
        .optional(),
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
      /**
       * Measure a candidate that passes its first run in pairs beside fresh runs of the incumbent
       * (same worker, one AUTOEXP_SEED per pair, random order after the first) and keep on the
       * paired differences: drift between pairs cancels. false: against the incumbent's earlier
       * runs, topped up after each keep (the rule before pairs).
       */
      paired: z
        .boolean({ error: "decide.paired must be true (measure beside the incumbent) or false" })
        .default(true),
      /**
       * Paired measurement's screen: how much better than the incumbent's recent runs a first run
       * must be (in run-to-run sds) to be measured in pairs. auto: chosen from the night's own
       * first runs (decide/screen-choice.ts), with or without a second look, min_delta until there
       * are 10 of them. A number: one look. `{ at, second_look: { from, mean } }`: a first run
       * under `at` but at or above `from` gets a second run, and goes on to pairs when the mean
       * of the two reaches `mean`.
       */
      screen_sd: z
        .union(
          [
            z.literal("auto"),
            z.number(),
            z.strictObject({
              at: z.number(),
              second_look: z.strictObject({ from: z.number(), mean: z.number() }),
            }),
          ],
          {
            error:
              "decide.screen_sd must be auto (chosen from the night's first runs), a number of run-to-run standard deviations, e.g. 1, or { at: 1.5, second_look: { from: 0.5, mean: 1.25 } }",
          },
        )
        .default("auto")
        .superRefine((v, ctx) => {
          if (v === "auto") return;
          const at = typeof v === "number" ? v : v.at;
          const where = typeof v === "number" ? [] : ["at"];
          if (!(at >= 0 && at <= 2))
            ctx.addIssue({
              code: "custom",
              path: where,
              message:
                "decide.screen_sd must be between 0 and 2 standard deviations (a first run better than the incumbent by that much is measured in pairs), or auto",
            });
          if (typeof v === "number") return;
          const { from, mean } = v.second_look;
          if (!(from >= 0 && from < at))
            ctx.addIssue({
              code: "custom",
              path: ["second_look", "from"],
              message: `decide.screen_sd.second_look.from is where a first run under the screen gets a second run: it must be at least 0 and under at (${at}), e.g. ${Math.max(0, at - 1)}`,
            });
          if (!(mean >= 0 && mean <= 2))
            ctx.addIssue({
              code: "custom",
              path: ["second_look", "mean"],
              message:
                "decide.screen_sd.second_look.mean is what the two runs' mean must reach to go on to pairs: between 0 and 2 standard deviations, e.g. 1.25",
            });
        }),
      remeasure_every: z.int().min(0).default(5),
      /** With several workers: compare a candidate only with incumbent runs on the same device kind or worker. */
      compare_within: z
        .enum(["device", "worker", "any"], {
          error:
            "decide.compare_within must be one of: device (compare runs on the same GPU kind; the default), worker (each worker its own device: workers that differ or share hardware), any (compare all runs together)",
        })
        .default("device"),
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
      /**
       * Eval runs the batch may make, every run of its experiments counted (the baseline's, each
       * candidate's, the incumbent's beside them and its re-measures; not a verify after the
       * batch): checked before each experiment begins, and the experiments already begun
       * (pipelined: up to workers + proposers) finish, so a batch ends some runs over. The screen
       * (decide.screen_sd auto) reads it, with the wall clock, to know whether runs or proposals
       * run out first.
       */
      eval_runs: z.int().min(1).max(10_000_000).optional(),
      cost_usd: z.number().positive().optional(),
      stop_after_failures: z.int().min(1).default(20),
      plateau: z.int().min(1).optional(),
    })
    .prefault({}),
  /**
   * How proposals are placed: `climb` (every proposal on the incumbent, the default) or `branch`
   * (after `stall` experiments without a keep, also on up to `points` branch points: earlier
   * incumbents and the near-misses that came closest, chosen by a bandit; `remeasure`: pairs the
   * picked point is first measured in beside the incumbent, 0 none). See action/strategy/.
   */
  strategy: z
    .strictObject(
      {
        use: z
          .enum(["climb", "branch"], {
            error:
              "strategy.use must be climb (every proposal on the incumbent; the default) or branch (after a stall, also propose from the best points on record)",
          })
          .default("climb"),
        stall: z
          .int({
            error: "strategy.stall must be a whole number of experiments without a keep, e.g. 6",
          })
          .min(1, "strategy.stall must be at least 1 (experiments without a keep before branching)")
          .max(100_000)
          .default(6),
        points: z
          .int({ error: "strategy.points must be a whole number of branch points, e.g. 5" })
          .min(
            1,
            "strategy.points must be at least 1 (branch points offered besides the incumbent)",
          )
          .max(20, "strategy.points must be at most 20")
          .default(5),
        // Off by default: on bench/plateau the re-measure cost more runs than it saved (README).
        remeasure: z
          .int({
            error:
              "strategy.remeasure must be a whole number of pairs a picked branch point is re-measured in beside the incumbent, e.g. 2 (0: none)",
          })
          .min(0, "strategy.remeasure must be at least 0 (0: branch points are not re-measured)")
          .max(10, "strategy.remeasure must be at most 10 pairs")
          .default(0),
      },
      {
        error: (issue) =>
          issue.code === "unrecognized_keys"
            ? `strategy takes only use, stall, points and remeasure (unknown: ${issue.keys.join(", ")}), e.g. { use: branch, stall: 6, points: 5 }`
            : "strategy must be a mapping, e.g. { use: branch, stall: 6, points: 5 }",
      },
    )
    .prefault({}),
  /** Where evals and checks run: `isolation: none` is short for `{ mode: none }`. */
  isolation: z
    .preprocess(
      (v) => (typeof v === "string" ? { mode: v } : v),
      z.strictObject({
        mode: isolationMode.default("auto"),
        network: z.boolean().default(true),
        read_only: z.array(hostPath).default([]),
        /** Caches a run may write: each run writes its own copy, put back before the next run. */
        writable: z.array(hostPath).default([]),
        /**
         * Folders every run reads and writes in place (a run counter, outputs to keep): what one
         * run writes there, later runs read. A caveat on the dashboard and in the PR.
         */
        shared: z.array(hostPath).default([]),
        /**
         * What one eval, checks run or CLI agent may use: processes at once (a fork bomb ends
         * there), memory (optional), and the size of each private tmpfs (/tmp, HOME, /dev/shm).
         */
        limits: z
          .strictObject({
            processes: z
              .int({ error: "isolation.limits.processes must be a whole number, e.g. 4096" })
              .min(16, "isolation.limits.processes must be at least 16")
              .default(4096),
            memory: byteSize.optional(),
            tmp: z.union([z.string(), z.number()]).default("8g").pipe(byteSize),
          })
          .prefault({}),
      }),
    )
    .prefault({}),
  /** `autoexp verify` at the end of every batch: base and final code re-measured in `pairs` pairs. */
  verify: z
    .strictObject({
      pairs: z
        .int({ error: "verify.pairs must be a whole number of pairs, e.g. 8" })
        .min(2, "verify.pairs must be at least 2 (an interval needs two pairs)")
        .max(100),
    })
    .optional(),
  /** Evals run at once, each in its own slot (CPU benchmarks); `gpus` sets it per GPU instead. */
  workers: z
    .int({ error: "workers must be a whole number of evals run at once, e.g. 4" })
    .min(1, "workers must be at least 1")
    .max(64, "workers must be at most 64")
    .default(1),
  /** One worker per GPU, with CUDA_VISIBLE_DEVICES set: a list of indices, or auto (nvidia-smi). */
  gpus: z
    .union([z.literal("auto"), z.array(z.int().min(0)).min(1)], {
      error: "gpus must be a list of GPU indices like [0, 1, 2, 3], or auto",
    })
    .optional(),
  /** While a candidate evaluates, the agent proposes the next ones. */
  pipeline: z.boolean({ error: "pipeline must be true or false" }).default(true),
  /** Proposals made at once (when proposing is slower than evaluating). */
  proposers: z
    .int({ error: "proposers must be a whole number, e.g. 2" })
    .min(1, "proposers must be at least 1")
    .max(16, "proposers must be at most 16")
    .default(1),
});

/** The config as written by people (what the JSON Schema describes). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after defaults and normalisation (durations in ms, globs as arrays). */
export type Config = z.output<typeof configSchema>;
export type MetricSpec = Config["eval"]["metrics"][string];
export type AgentConfig = Config["agent"];
export type LlmAgentConfig = Exclude<AgentConfig, { use: "search" }>;
export type ApiAgentConfig = Extract<AgentConfig, { use: "openai" | "anthropic" }>;
export type CliAgentConfig = Extract<
  AgentConfig,
  { use: "claude-code" | "codex" | "aider" | "command" }
>;
