import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { pingApi } from "../agents/api-agent.ts";
import { checkScopeFiles } from "../config/check-scope-files.ts";
import type { AgentConfig, Config } from "../config/schema.ts";
import { formatProblems } from "../config/validate-config.ts";
import { AutoexpError } from "../util/errors.ts";
import { findRepository } from "./find-repository.ts";

/**
 * Checks for a new tag, before anything is created: a clean tree, globs that match committed
 * files, a `command` agent whose program is there, and a model API that answers a one-token
 * call with the key given (found now, not after the baseline runs).
 */
export async function preflightNewTag(
  repoDir: string,
  tag: string,
  config: Config,
  env: Record<string, string | undefined>,
): Promise<void> {
  const repo = await findRepository(repoDir, env);
  if (await repo.resolve(`refs/heads/autoexp/${tag}`)) return;
  if (!(await repo.resolve("HEAD"))) {
    throw new AutoexpError(`${repoDir} has no commit yet: commit your files, then run autoexp`);
  }
  const dirty = await repo.trackedChanges();
  if (dirty.length > 0) {
    throw new AutoexpError(
      `the working tree has uncommitted changes (${dirty.slice(0, 5).join(", ")}): autoexp experiments start from a commit, so commit or stash them first. Nothing was changed`,
    );
  }
  const { problems } = checkScopeFiles(config, await repo.listFiles(), await repo.untrackedFiles());
  if (problems.length > 0) throw new AutoexpError(formatProblems("autoexp.yml", problems));
  const missing = missingAgentProgram(config.agent, repoDir, env.PATH ?? "");
  if (missing) throw new AutoexpError(`${missing}. Nothing was run or written`);
  if (config.agent.use === "openai" || config.agent.use === "anthropic") {
    const ping = await pingApi(config.agent, env);
    // A passing trouble (429, 5xx) is left to the agent's retries in the batch.
    if (!ping.ok && ping.fatal) throw new AutoexpError(`${ping.error}. Nothing was run or written`);
  }
}

// A script an interpreter runs: the argument a missing file most often hides in.
const SCRIPT = /\.(?:py|js|mjs|cjs|ts|sh|rb|pl)$/;

/**
 * A `command` agent's program (agent.run's first word) that is not on PATH or not there, or the
 * script it is given (`[python3, agent_driver.py]`) that does not exist; null when both are
 * found. A shell string is checked by its first word only. Relative paths are the repository's,
 * as the agent's checkout holds them.
 */
export function missingAgentProgram(
  agent: AgentConfig,
  repoDir: string,
  path: string,
): string | null {
  if (agent.use !== "command") return null;
  const argv =
    typeof agent.run === "string"
      ? (agent.run.trim().split(/\s+/).slice(0, 1) as string[])
      : agent.run;
  const program = argv[0];
  if (!program || /[$`|;&<>()]/.test(program) || /^\w+=/.test(program)) return null;
  const at = (p: string) => (isAbsolute(p) ? p : join(repoDir, p));
  if (program.includes("/") ? !isExecutable(at(program)) : !onPath(program, path)) {
    return `agent.run: the agent's program \`${program}\` ${program.includes("/") ? "does not exist or is not executable" : "is not on PATH"}. Install it, or fix agent.run in autoexp.yml`;
  }
  const script = argv.slice(1).find((a) => SCRIPT.test(a) && !a.startsWith("-"));
  if (script && !existsSync(at(script))) {
    return `agent.run: \`${program}\` is given ${script}, which does not exist (${at(script)}). Fix agent.run in autoexp.yml (a path outside the repository must be absolute)`;
  }
  return null;
}

function onPath(program: string, path: string): boolean {
  return path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => isExecutable(join(dir, program)));
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
