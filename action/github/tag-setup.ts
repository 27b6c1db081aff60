import { existsSync } from "node:fs";
import { join } from "node:path";
import * as core from "@actions/core";
import type { Config } from "../config/schema.ts";
import { formatProblems } from "../config/validate-config.ts";
import { loadConfig } from "../files/load-config.ts";
import { fetch, hasRemote, lsRemote } from "../git/commands/remote.ts";
import { Git } from "../git/git.ts";
import { AutoexpError } from "../util/errors.ts";

/** autoexp.yml from the checkout, validated; a clear failure naming the input otherwise. */
export async function readConfig(repoDir: string, file: string): Promise<Config> {
  const path = join(repoDir, file);
  if (!existsSync(path)) {
    throw new AutoexpError(
      `input config: ${file} not found in ${repoDir}. Create it with \`npx autoexp init\`, or point config at your file; nothing was run or pushed`,
    );
  }
  const result = await loadConfig(path);
  if (!result.ok) throw new AutoexpError(formatProblems(file, result.problems));
  return result.config;
}

/**
 * Brings the tag's branch from the remote so that a batch (or verify, attribute, split) works on
 * it. A local branch ahead of the remote (work not yet published on a persistent runner) is kept;
 * nothing local is overwritten. Returns the remote's head of the branch (what the tag's PR shows),
 * or null when the remote has none or cannot be read.
 */
export async function syncFromRemote(
  repoDir: string,
  tag: string,
  remote: string,
  env: Record<string, string | undefined>,
): Promise<string | null> {
  const git = new Git(repoDir, env);
  if (!(await git.run(hasRemote(remote)))) {
    core.info(`no remote named ${remote}: the tag starts or resumes from this repository alone`);
    return null;
  }
  // The remote itself when this job may read it; else what checkout fetched (fetch-depth: 0 and
  // persist-credentials: false leave refs/remotes/<remote>/* and no token for agent code to find).
  const tracking = `refs/remotes/${remote}/autoexp/${tag}`;
  let theirs: string | null = null;
  const listed = await git.run(lsRemote(remote, `refs/heads/autoexp/${tag}`)).catch(() => null);
  if (listed === null) {
    theirs = await git.resolve(tracking);
    core.info(
      `${remote} cannot be read from this job; resuming from ${theirs ? tracking : "this repository alone"}`,
    );
  } else if (Object.keys(listed).length > 0) {
    const into = `refs/autoexp-remote/${tag}`;
    await git.run(fetch(remote, [`+refs/heads/autoexp/${tag}:${into}`]));
    theirs = await git.resolve(into);
  }
  if (!theirs) return null;
  const ours = await git.resolve(`refs/heads/autoexp/${tag}`);
  if (ours === theirs) return theirs;
  if (!ours || (await git.isAncestor(ours, theirs))) {
    await git.updateRefs([{ ref: `refs/heads/autoexp/${tag}`, sha: theirs, old: ours ?? "" }]);
    core.info(`resuming autoexp/${tag} from ${remote} at ${theirs.slice(0, 7)}`);
  } else {
    core.warning(
      `the local autoexp/${tag} has experiments ${remote} does not have yet; continuing from the local branch (publish will combine them)`,
    );
  }
  return theirs;
}
