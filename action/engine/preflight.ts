import { checkScopeFiles } from "../config/check-scope-files.ts";
import type { Config } from "../config/schema.ts";
import { formatProblems } from "../config/validate-config.ts";
import { AutoexpError } from "../util/errors.ts";
import { findRepository } from "./find-repository.ts";

/** Checks for a new tag, before anything is created: a clean tree and globs that match committed files. */
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
}
