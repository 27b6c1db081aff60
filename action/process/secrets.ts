import type { AgentConfig } from "../config/schema.ts";

/**
 * Variables that hold credentials for model providers or for GitHub. The eval and the checks run
 * code an agent wrote, so they never see any of these, whatever the agent.
 */
export const KNOWN_SECRETS = [
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "CODEX_API_KEY",
  "AZURE_OPENAI_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "MISTRAL_API_KEY",
  "GROQ_API_KEY",
  "DEEPSEEK_API_KEY",
  "OPENROUTER_API_KEY",
  "TOGETHER_API_KEY",
  "FIREWORKS_API_KEY",
  "XAI_API_KEY",
  "HF_TOKEN",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "ACTIONS_RUNTIME_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
] as const;

/** What each CLI tool reads its credentials from, passed to that tool only. */
const PRESET_SECRETS: Record<string, readonly string[]> = {
  "claude-code": ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"],
  codex: ["OPENAI_API_KEY", "CODEX_API_KEY"],
  aider: [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "DEEPSEEK_API_KEY",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
    "MISTRAL_API_KEY",
  ],
};

/** The variables the configured agent may see and nothing else may. */
export function agentSecretNames(agent: AgentConfig): string[] {
  if (agent.use === "search") return [];
  const names = new Set<string>(agent.secrets);
  for (const name of PRESET_SECRETS[agent.use] ?? []) names.add(name);
  if ((agent.use === "openai" || agent.use === "anthropic") && agent.api_key_env)
    names.add(agent.api_key_env);
  return [...names];
}

export interface SplitEnv {
  /** For the eval and the checks: every credential removed. */
  evalEnv: Record<string, string | undefined>;
  /** For the agent process: the eval's environment plus the agent's own secrets. */
  agentEnv: Record<string, string | undefined>;
  /** The secret values present, for redaction. */
  values: string[];
}

/** Splits the environment so that credentials reach only the agent. */
export function splitEnv(env: Record<string, string | undefined>, agent: AgentConfig): SplitEnv {
  const own = agentSecretNames(agent);
  const strip = new Set<string>([...KNOWN_SECRETS, ...own]);
  const evalEnv: Record<string, string | undefined> = {};
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (strip.has(name)) {
      if (value) values.push(value);
    } else evalEnv[name] = value;
  }
  const agentEnv = { ...evalEnv };
  for (const name of own) if (env[name] !== undefined) agentEnv[name] = env[name];
  return { evalEnv, agentEnv, values };
}

/** Values shorter than this are not treated as secrets: redacting "1" would mangle every number. */
const MIN_SECRET = 8;

/** Replaces every occurrence of a secret value (and of its JSON-escaped form) with [redacted]. */
export function createRedactor(values: readonly string[]): (text: string) => string {
  const secrets = [
    ...new Set(values.flatMap((v) => [v.trim(), JSON.stringify(v.trim()).slice(1, -1)])),
  ]
    .filter((v) => v.length >= MIN_SECRET)
    .sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of secrets)
      if (out.includes(secret)) out = out.split(secret).join("[redacted]");
    return out;
  };
}

/** Redacts every string inside a JSON-like value. */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  return JSON.parse(redact(JSON.stringify(value))) as T;
}
