import { realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { PRESETS } from "../agents/cli-agent/presets.ts";
import type { AgentConfig, CliAgentConfig } from "../config/schema.ts";
import { findProgram } from "./probe-sandbox.ts";

/**
 * The folders a CLI tool keeps its login, settings and sessions in, as the tools install
 * themselves today: bound into the agent's sandbox (HOME is otherwise an empty tmpfs). A tool
 * that keeps them elsewhere is given them with agent.read_only / agent.writable.
 */
export const PRESET_PATHS: Record<
  "claude-code" | "codex" | "aider",
  { readOnly: readonly string[]; writable: readonly string[] }
> = {
  // ~/.claude holds the login, settings and session files, which the tool writes as it works;
  // ~/.claude.json its account state. The native installer puts the program under ~/.local/share.
  "claude-code": {
    readOnly: ["~/.local/share/claude"],
    writable: ["~/.claude", "~/.claude.json"],
  },
  codex: { readOnly: [], writable: ["~/.codex"] },
  aider: { readOnly: ["~/.aider.conf.yml", "~/.aider.model.settings.yml"], writable: ["~/.aider"] },
};

/**
 * The host paths a CLI agent sees beside the system folders and its tools: its preset's and the
 * declared ones, resolved (`~` to HOME, relative to the repository). Empty for the in-process
 * agents (search, openai, anthropic), which run no program.
 */
export function agentPaths(
  agent: AgentConfig,
  resolve: (path: string) => string,
): { readOnly: string[]; writable: string[] } {
  if (agent.use === "search" || agent.use === "openai" || agent.use === "anthropic")
    return { readOnly: [], writable: [] };
  const cli = agent as CliAgentConfig;
  const preset = cli.use === "command" ? { readOnly: [], writable: [] } : PRESET_PATHS[cli.use];
  return {
    readOnly: [...preset.readOnly, ...cli.read_only].map(resolve),
    writable: [...preset.writable, ...cli.writable].map(resolve),
  };
}

/**
 * What `autoexp check` says of a CLI agent's folders: each preset or declared path that does
 * not exist, with what to do. A preset's folder is missing when the tool was never logged in or
 * keeps it elsewhere; a declared one is the user's to fix.
 */
export function missingAgentPaths(
  agent: AgentConfig,
  resolve: (path: string) => string,
  exists: (path: string) => boolean,
): string[] {
  if (agent.use === "search" || agent.use === "openai" || agent.use === "anthropic") return [];
  const cli = agent as CliAgentConfig;
  const preset = cli.use === "command" ? null : PRESET_PATHS[cli.use];
  const out: string[] = [];
  const say = (path: string, from: string, how: string) => {
    if (!exists(resolve(path))) out.push(`agent ${cli.use}: ${path} not found (${from}): ${how}`);
  };
  for (const p of preset ? [...preset.readOnly, ...preset.writable] : [])
    say(
      p,
      "a folder the tool usually keeps its login or settings in",
      "if the tool keeps them elsewhere, declare that path in agent.read_only or agent.writable; otherwise log in once (run the tool by hand)",
    );
  for (const p of cli.read_only)
    say(p, "agent.read_only", "create it or remove it from agent.read_only");
  for (const p of cli.writable)
    say(p, "agent.writable", "create it or remove it from agent.writable");
  return out;
}

/**
 * The agent's program as installed: a tool on PATH is often a link into a folder of its own
 * (claude's native installer: ~/.local/bin/claude -> ~/.local/share/claude/versions/<v>), which
 * is bound read-only so that the tool runs inside the sandbox.
 */
export function agentProgram(agent: AgentConfig, path: string): string[] {
  if (agent.use !== "claude-code" && agent.use !== "codex" && agent.use !== "aider") return [];
  const name = agent.command ?? PRESETS[agent.use].program;
  const found = isAbsolute(name) ? name : findProgram(name, path);
  if (!found) return [];
  try {
    const real = realpathSync(found);
    return [...new Set([found, dirname(real)])];
  } catch {
    return [found];
  }
}

/**
 * Files a command names by absolute path (a `command` agent's script: `node /opt/agents/a.js`),
 * bound read-only so that it runs: the user wrote them into the config. Only existing regular
 * paths, never folders: a folder the agent needs is declared (agent.read_only).
 */
export function commandPaths(command: string | readonly string[]): string[] {
  const words = typeof command === "string" ? command.split(/\s+/) : [...command];
  return [
    ...new Set(
      words
        .map((w) => w.replace(/^['"]|['"]$/g, ""))
        .filter((w) => isAbsolute(w) && !w.split("/").includes("..") && isFile(w)),
    ),
  ];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
