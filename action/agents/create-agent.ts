import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { AgentConfig } from "../config/schema.ts";
import type { Agent } from "./agent.ts";
import { createApiAgent } from "./api-agent.ts";
import { cliProgram } from "./cli-agent/cli-program.ts";
import { createCliAgent } from "./cli-agent/create-cli-agent.ts";
import { createSearchAgent } from "./search-agent.ts";

/** Builds the agent a config names. */
export function createAgent(config: AgentConfig): Agent {
  switch (config.use) {
    case "search":
      return createSearchAgent({ seed: config.seed, exclude: config.exclude });
    case "openai":
    case "anthropic":
      return createApiAgent(config);
    default:
      return createCliAgent(config);
  }
}

const INSTALL: Record<string, string> = {
  "claude-code": "npm install -g @anthropic-ai/claude-code",
  codex: "npm install -g @openai/codex",
  aider: "python -m pip install aider-install && aider-install",
};

/**
 * What would stop the agent before its first experiment, checked before anything runs: a key
 * variable that is not set, a tool that is not installed. Null when ready. Never names a value.
 */
export function agentProblem(
  config: AgentConfig,
  env: Record<string, string | undefined>,
): string | null {
  switch (config.use) {
    case "search":
    case "command":
      return null;
    case "openai":
    case "anthropic":
      if (config.api_key_env && !env[config.api_key_env]) {
        return `agent ${config.use} reads its key from ${config.api_key_env} (agent.api_key_env), which is not set. Export it (in a workflow: env: ${config.api_key_env}: \${{ secrets.${config.api_key_env} }}), or set api_key_env: null for a local server that needs no key`;
      }
      return null;
    default: {
      const program = cliProgram(config)!;
      if (findProgram(program, env.PATH ?? "")) return null;
      const where = program.includes("/")
        ? "which does not exist or is not executable"
        : "which is not on PATH";
      return `agent ${config.use} runs \`${program}\`, ${where} (install: ${INSTALL[config.use]}); or set agent.command to its full path`;
    }
  }
}

function findProgram(program: string, path: string): boolean {
  const candidates = program.includes("/")
    ? [isAbsolute(program) ? program : join(process.cwd(), program)]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, program));
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
