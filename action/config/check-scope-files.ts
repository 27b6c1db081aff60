import picomatch from "picomatch";
import { closest } from "../util/did-you-mean.ts";
import type { ConfigProblem } from "./config-problem.ts";
import type { Config } from "./schema.ts";

/** Compiles globs into one path matcher (dotfiles included, paths relative to the repo root). */
export function compileGlobs(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  return picomatch([...globs], { dot: true });
}

/**
 * Checks the config's globs against the files of the commit that experiments start from.
 * `committed` are tracked paths; `uncommitted` are untracked ones in the user's checkout.
 */
export function checkScopeFiles(
  config: Pick<Config, "target" | "frozen" | "instructions"> & {
    eval?: Pick<Config["eval"], "command">;
  },
  committed: readonly string[],
  uncommitted: readonly string[] = [],
): { problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  config.target.forEach((glob, i) => {
    const match = picomatch(glob, { dot: true });
    if (committed.some((p) => match(p))) return;
    const loose = uncommitted.filter((p) => match(p));
    problems.push({
      path: `target.${i}`,
      message:
        loose.length > 0
          ? `"${glob}" matches only uncommitted files (${loose.slice(0, 3).join(", ")}): experiments start from a commit, so commit them first`
          : `"${glob}" matches no file in the repository: fix the glob or create the file`,
    });
  });
  const isTarget = compileGlobs(config.target);
  const isFrozen = compileGlobs(config.frozen);
  const both = committed.filter((p) => isTarget(p) && isFrozen(p));
  if (both.length > 0) {
    problems.push({
      path: "frozen",
      message: `${both.slice(0, 3).join(", ")} is both target and frozen: a file the agent may change cannot also be frozen`,
    });
  }
  config.frozen.forEach((glob, i) => {
    const match = picomatch(glob, { dot: true });
    if (!committed.some((p) => match(p))) {
      warnings.push({ path: `frozen.${i}`, message: `"${glob}" matches no committed file` });
    }
  });
  if (!committed.includes(config.instructions)) {
    warnings.push({
      path: "instructions",
      message: `${config.instructions} is not committed; agents get no research direction`,
    });
  }
  if (config.eval) warnings.push(...evalFileWarnings(config.eval.command, committed, uncommitted));
  return { problems, warnings };
}

/** A script's name in a command: a relative path ending in a source or script extension. */
const SCRIPT = /^(?!-)(?!\/)[\w.\-/]+\.(?:py|sh|bash|js|mjs|cjs|ts|rb|pl|jl|R|lua)$/;

/**
 * Scripts the eval command names that are not committed: the baseline would fail to run them.
 * A warning, not a problem: a command may `cd` first or make the file itself.
 */
function evalFileWarnings(
  command: string | readonly string[],
  committed: readonly string[],
  uncommitted: readonly string[],
): ConfigProblem[] {
  const words = typeof command === "string" ? command.split(/\s+/) : command;
  return words
    .map((w) => w.replace(/^["']|["';&|]+$/g, "").replace(/^\.\//, ""))
    .filter((w) => SCRIPT.test(w) && !committed.includes(w))
    .map((w) => {
      if (uncommitted.includes(w))
        return {
          path: "eval.command",
          message: `${w} is not committed: experiments start from a commit, so commit it first`,
        };
      const guess = closest(w, committed);
      return {
        path: "eval.command",
        message: `names ${w}, which is not a file in the repository${guess ? ` (did you mean ${guess}?)` : ""}: the baseline would fail to run it`,
      };
    });
}
