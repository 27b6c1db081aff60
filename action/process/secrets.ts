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

const GITHUB_SECRETS = new Set<string>([
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "ACTIONS_RUNTIME_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
]);

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

/**
 * Splits the environment so that credentials reach only the agent. A credential the user names
 * in eval.pass_env (`evalPassEnv`) reaches the eval as well (an agent.py that calls a model needs
 * its key), never the agent unless it is the agent's own; its value is still redacted everywhere.
 */
export function splitEnv(
  env: Record<string, string | undefined>,
  agent: AgentConfig,
  evalPassEnv: readonly string[] = [],
): SplitEnv {
  const own = agentSecretNames(agent);
  const strip = new Set<string>([...KNOWN_SECRETS, ...own]);
  const evalEnv: Record<string, string | undefined> = {};
  const agentEnv: Record<string, string | undefined> = {};
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!strip.has(name)) {
      evalEnv[name] = value;
      agentEnv[name] = value;
      continue;
    }
    if (value) values.push(value);
    // A GitHub token never: validate refuses it in pass_env, and this holds without validate.
    if (evalPassEnv.includes(name) && !GITHUB_SECRETS.has(name)) evalEnv[name] = value;
  }
  for (const name of own) if (env[name] !== undefined) agentEnv[name] = env[name];
  return { evalEnv, agentEnv, values };
}

/** Values shorter than this are not treated as secrets: redacting "1" would mangle every number. */
const MIN_SECRET = 8;

/**
 * The forms a secret can be written in that redaction recognises: as is, JSON-escaped, reversed,
 * hex (lower and upper case), URL-encoded, and base64 (standard and URL-safe, with and without
 * padding). Base64 at all three byte alignments: inside a longer base64 string the secret's
 * bytes may start at any offset, and only the characters made of its bits alone are fixed, so
 * those are the form (the one or two characters at each end that share bits with what
 * surrounds it are left).
 */
export function secretForms(value: string): string[] {
  const bytes = Buffer.from(value);
  const forms = new Set<string>([value, reverse(value)]);
  forms.add(bytes.toString("hex"));
  forms.add(bytes.toString("hex").toUpperCase());
  const url = encodeURIComponent(value);
  forms.add(url);
  forms.add(url.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  forms.add(url.replace(/%20/g, "+"));
  const full = bytes.toString("base64");
  forms.add(full);
  forms.add(full.replace(/=+$/, ""));
  for (let k = 0; k < 3; k++) {
    const shifted = Buffer.concat([Buffer.alloc(k), bytes]).toString("base64");
    const core = shifted.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    forms.add(core);
  }
  for (const form of [...forms]) {
    if (/[+/=]/.test(form) && /^[A-Za-z0-9+/=]+$/.test(form))
      forms.add(form.replace(/\+/g, "-").replace(/\//g, "_"));
    // As JSON writes it (a log line, the ledger).
    forms.add(JSON.stringify(form).slice(1, -1));
  }
  return [...forms];
}

function reverse(text: string): string {
  return [...text].reverse().join("");
}

/**
 * Replaces every occurrence of a secret value, in any form secretForms knows, with [redacted].
 * The forms are built once; a text holding none of them is returned as is. Longest first, so a
 * form inside another (the base64 core inside the padded whole) does not leave a remnant.
 */
export function createRedactor(values: readonly string[]): (text: string) => string {
  const secrets = [...new Set(values.map((v) => v.trim()))].filter((v) => v.length >= MIN_SECRET);
  const forms = [...new Set(secrets.flatMap(secretForms))]
    .filter((f) => f.length >= MIN_SECRET)
    .sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  // One search per form (V8's includes beats one alternation pattern on long texts): about
  // 2 ms per MB for three keys (bench: test/unit/redact.test.ts).
  return (text) => {
    let out = text;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join("[redacted]");
    return out;
  };
}

/** Redacts every string inside a JSON-like value. */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  return JSON.parse(redact(JSON.stringify(value))) as T;
}
