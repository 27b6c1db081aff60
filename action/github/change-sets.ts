import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { createBundleFrom, fetch, lsRemote, pushAtomic } from "../git/commands/remote.ts";
import { Git, GitError } from "../git/git.ts";
import { AutoexpError } from "../util/errors.ts";
import { judgeCommit, type Refusal, refuseIfAny, scopeOf, walkCommits } from "./check-pushed.ts";

/**
 * The change-set branches `autoexp split` builds (autoexp/<tag>--<n>) travel from the GPU job to
 * the publish job beside the tag's handoff, in their own bundle: the tag's handoff stays what a
 * batch writes, and a folder without this file simply has no change sets.
 */
export const SPLITS_BUNDLE = "splits.bundle";

/** autoexp/<tag>--<n> branches among `refs` (name -> sha), keyed by branch name. */
function changeSets(refs: Record<string, string>, prefix: string, tag: string) {
  const out: Record<string, string> = {};
  const pattern = new RegExp(`^autoexp/${tag.replace(/[.]/g, "\\.")}--\\d+$`);
  for (const [ref, sha] of Object.entries(refs)) {
    if (!ref.startsWith(prefix)) continue;
    const branch = `autoexp/${ref.slice(prefix.length)}`;
    if (pattern.test(branch)) out[branch] = sha;
  }
  return out;
}

/** The change-set branches of `tag` in the repository at `repoDir`, branch -> sha. */
export async function localChangeSets(
  repoDir: string,
  tag: string,
  env: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const git = new Git(repoDir, env);
  return changeSets(await git.listRefs("refs/heads/autoexp/"), "refs/heads/autoexp/", tag);
}

/**
 * Writes (or replaces, atomically) the bundle of `tag`'s change-set branches into the handoff
 * folder `dir`; removes a stale one when there are none. Returns the branches bundled.
 */
export async function writeSplitHandoff(
  repoDir: string,
  tag: string,
  dir: string,
  env: Record<string, string | undefined>,
): Promise<string[]> {
  const branches = Object.keys(await localChangeSets(repoDir, tag, env)).sort();
  await mkdir(dir, { recursive: true });
  if (branches.length === 0) {
    await rm(join(dir, SPLITS_BUNDLE), { force: true });
    return [];
  }
  const temp = join(dir, `${SPLITS_BUNDLE}.tmp-${process.pid}`);
  await new Git(repoDir, env).run(
    createBundleFrom(
      temp,
      branches.map((b) => `refs/heads/${b}`),
    ),
  );
  await rename(temp, join(dir, SPLITS_BUNDLE));
  return branches;
}

export interface ChangeSetsPublished {
  /** Branches created or fast-forwarded on the remote. */
  pushed: string[];
  /** Already there at the same commit. */
  unchanged: string[];
  /** On the remote with commits this split did not build on: left alone, never force-pushed. */
  blocked: { branch: string; theirs: string; ours: string }[];
}

/**
 * Pushes `tag`'s change-set branches, from the handoff's splits.bundle when there is one, else
 * from the local branches. Never force-pushes: a branch the remote already has at the same commit
 * is left as it is (a rerun pushes nothing), one the new commit extends is fast-forwarded, and one
 * the remote holds with other commits is refused and reported. Run before the tag's branch is
 * published, so the App finds every branch its split line names when it opens the PRs.
 */
export async function publishChangeSets(options: {
  repoDir: string;
  tag: string;
  remote: string;
  handoff?: string | undefined;
  /** The config on the default branch: each change set's commits change only its target. */
  config: Pick<Config, "target" | "frozen">;
  env: Record<string, string | undefined>;
  log?: (line: string) => void;
}): Promise<ChangeSetsPublished> {
  const { tag, remote } = options;
  const log = options.log ?? (() => {});
  const git = new Git(options.repoDir, options.env);
  const ns = `refs/autoexp-publish/${tag}/split/`;
  const bundle = options.handoff ? join(options.handoff, SPLITS_BUNDLE) : null;
  let ours: Record<string, string>;
  // A persistent runner may hold refs of an earlier publish here: start from none.
  const stale = Object.keys(await git.listRefs(ns));
  if (stale.length > 0) await git.updateRefs(stale.map((ref) => ({ ref, sha: "0".repeat(40) })));
  if (bundle && existsSync(bundle)) {
    await git.run(fetch(bundle, [`+refs/heads/autoexp/${tag}--*:${ns}${tag}--*`]));
    ours = changeSets(await git.listRefs(ns), ns, tag);
  } else if (options.handoff) {
    ours = {}; // a handoff without change sets: a batch, not a split
  } else {
    ours = await localChangeSets(options.repoDir, tag, options.env);
  }
  const result: ChangeSetsPublished = { pushed: [], unchanged: [], blocked: [] };
  if (Object.keys(ours).length === 0) return result;
  // A change set is kept changes re-applied onto the tag's base: candidate commits only.
  const trusted = await git.resolve("HEAD");
  const scope = scopeOf(tag, options.config);
  const refusals: Refusal[] = [];
  for (const c of await git.run(walkCommits(Object.values(ours), trusted ? [trusted] : []))) {
    const verdict = judgeCommit(c, scope);
    refusals.push(...verdict.refusals);
    if (verdict.refusals.length === 0 && verdict.kind === "record" && c.changes.length > 0)
      refusals.push({
        commit: c.sha,
        path: c.changes[0]!.path,
        why: "is the record: a change set holds only kept changes",
      });
  }
  refuseIfAny(`the change sets of autoexp/${tag}`, refusals);
  const theirs = changeSets(
    await git.run(lsRemote(remote, "refs/heads/autoexp/*")),
    "refs/heads/autoexp/",
    tag,
  );
  const refspecs: string[] = [];
  for (const [branch, sha] of Object.entries(ours).sort()) {
    const there = theirs[branch];
    if (there === sha) {
      result.unchanged.push(branch);
      continue;
    }
    if (there !== undefined) {
      await git.run(fetch(remote, [`+refs/heads/${branch}:${ns}remote/${branch.slice(8)}`]));
      if (!(await git.isAncestor(there, sha))) {
        result.blocked.push({ branch, theirs: there, ours: sha });
        log(
          `warning: ${branch} on ${remote} is at ${there.slice(0, 7)}, which this split did not build on (${sha.slice(0, 7)}); left as it is (autoexp never force-pushes). Its PR shows the old change set: close it, delete the branch (git push ${remote} --delete ${branch}) and publish again`,
        );
        continue;
      }
    }
    refspecs.push(`${sha}:refs/heads/${branch}`);
    result.pushed.push(branch);
  }
  if (refspecs.length > 0) {
    try {
      await git.run(pushAtomic(remote, refspecs));
    } catch (error) {
      const message = error instanceof GitError ? error.message : String(error);
      throw new AutoexpError(
        `could not push the change sets ${result.pushed.join(", ")} of autoexp/${tag} to ${remote}: ${message}. Nothing of the tag was pushed; run the publish job again`,
        { exitCode: 1 },
      );
    }
    log(`pushed ${result.pushed.join(", ")} to ${remote}`);
  }
  if (result.unchanged.length > 0)
    log(`${result.unchanged.join(", ")} already on ${remote} at the same commit`);
  return result;
}
