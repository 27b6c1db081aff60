import type { Config } from "../config/schema.ts";
import { formatProblems } from "../config/validate-config.ts";
import { loadConfig } from "../files/load-config.ts";
import { Git } from "../git/git.ts";
import { AutoexpError } from "../util/errors.ts";

/** A `--name N` flag that must be a whole number >= 1, or absent. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new AutoexpError(`--${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** The config at `file`, or an error listing every problem with its field (exit 2). */
export async function readValidConfig(file: string, shown = file): Promise<Config> {
  const result = await loadConfig(file);
  if (!result.ok) throw new AutoexpError(formatProblems(shown, result.problems));
  return result.config;
}

/** The flags every command that runs a batch shares. */
export const OUTPUT_OPTIONS = {
  quiet: { type: "boolean", help: "no progress; only errors and the final summary" },
  json: {
    type: "boolean",
    help: "every event as one JSON line on stdout, then one `done` line (for scripts)",
  },
} as const;

/** `--json` for a command that reports findings: each a JSON line, then one `done` line. */
export const JSON_OPTION = {
  json: {
    type: "boolean",
    help: "each finding as one JSON line on stdout, then one `done` line with the exit code",
  },
} as const;

/** The top of the git repository holding `dir`, or an error that says how to get one (exit 2). */
export async function requireRepository(
  dir: string,
  env: Record<string, string | undefined>,
): Promise<string> {
  const top = await new Git(dir, env).topLevel().catch(() => null);
  if (top === null) {
    throw new AutoexpError(
      `${dir} is not inside a git repository: run autoexp in your project's repository (or \`git init\` and commit your files first)`,
    );
  }
  return top.trim();
}
