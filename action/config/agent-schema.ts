import { z } from "zod";
import { command, duration, hostPath } from "./schema-parts.ts";

const searchAgent = z.strictObject({
  use: z.literal("search"),
  seed: z.int().default(1),
  exclude: z.array(z.string()).default(["seed", "random_state"]),
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const envName = z
  .string()
  .regex(ENV_NAME, "must be an environment variable name like OPENAI_API_KEY");

/** USD per million tokens, as providers publish them. */
const price = z.strictObject(
  {
    input: z.number().min(0, "price.input is USD per million input tokens, >= 0"),
    output: z.number().min(0, "price.output is USD per million output tokens, >= 0"),
  },
  { error: "price must be { input: USD per million tokens, output: USD per million tokens }" },
);

/** What every LLM agent shares: the size of its context, its pricing, the secrets only it sees. */
const llmCommon = {
  /** Upper bound on the context (prompt) in characters; the least useful parts are cut first. */
  context_chars: z.int().min(4000).max(2_000_000).default(60_000),
  price: price.optional(),
  /** Environment variables only the agent sees (never the eval or the checks). */
  secrets: z.array(envName).default([]),
};

/**
 * What a CLI agent sees in its sandbox beyond the system folders, its tools on PATH and its
 * preset's folders: paths outside its checkout it reads (read_only) or writes (writable), and
 * variables passed through as they are (pass_env; its keys belong in `secrets`, which the eval
 * never sees).
 */
const cliSandbox = {
  read_only: z.array(hostPath).default([]),
  writable: z.array(hostPath).default([]),
  pass_env: z.array(envName).default([]),
};

const commandAgent = z.strictObject({
  use: z.literal("command"),
  run: command,
  timeout: duration("30m"),
  ...cliSandbox,
  ...llmCommon,
});

/** claude-code, codex, aider: the tool's own program run headless with autoexp's flags. */
const cliPreset = (name: "claude-code" | "codex" | "aider") =>
  z.strictObject({
    use: z.literal(name),
    model: z.string().trim().min(1).optional(),
    /** The program to run, if not the tool's usual name on PATH. */
    command: z.string().trim().min(1).optional(),
    /** Extra arguments, appended after autoexp's own. */
    args: z.array(z.string()).default([]),
    timeout: duration("30m"),
    ...cliSandbox,
    ...llmCommon,
  });

/** openai (any OpenAI-compatible server) and anthropic: autoexp calls the API and applies the edits. */
const apiAgent = (name: "openai" | "anthropic", baseUrl: string, keyEnv: string) =>
  z.strictObject({
    use: z.literal(name),
    model: z
      .string({
        error: `agent.model is required for ${name}, e.g. model: ${name === "openai" ? "gpt-5" : "claude-sonnet-4-5"}`,
      })
      .trim()
      .min(1, "agent.model must not be empty"),
    base_url: z
      .url({
        protocol: /^https?$/,
        error: "base_url must be an http(s) URL, e.g. http://localhost:11434/v1",
      })
      .default(baseUrl),
    /** The variable holding the key; null for a local server that needs none. */
    api_key_env: envName.nullable().default(keyEnv),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.int().min(16).max(1_000_000).default(8192),
    /** Per API call. */
    timeout: duration("5m"),
    retries: z.int().min(0).max(10).default(4),
    /** First wait before a retry; doubled each time (a Retry-After header wins). */
    retry_delay: duration("2s"),
    /** Target files up to this many characters may be answered whole instead of with edits. */
    whole_file_max: z.int().min(0).default(8000),
    ...llmCommon,
  });

export const AGENT_NAMES = [
  "search",
  "command",
  "claude-code",
  "codex",
  "aider",
  "openai",
  "anthropic",
] as const;

export const agent = z.discriminatedUnion(
  "use",
  [
    searchAgent,
    commandAgent,
    cliPreset("claude-code"),
    cliPreset("codex"),
    cliPreset("aider"),
    apiAgent("openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    apiAgent("anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `agent.use must be one of: ${AGENT_NAMES.join(", ")}`
        : "agent must be an object like { use: search }",
  },
);
