import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { showLedger } from "../engine/read-ledger.ts";
import { mergeBase } from "../git/commands/refs.ts";
import { fetch, lsRemote, pushAtomic } from "../git/commands/remote.ts";
import { Git, GitError, withIdentity } from "../git/git.ts";
import { parseLog } from "../ledger/log-jsonl.ts";
import { recordFiles } from "../ledger/record-files.ts";
import { AutoexpError } from "../util/errors.ts";
import { checkPushed, refuseIfAny, scopeOf } from "./check-pushed.ts";
import { handoffBundles, readHandoff } from "./handoff.ts";
import { mergeLedgers } from "./merge-records.ts";

export interface PublishOptions {
  repoDir: string;
  tag: string;
  remote: string;
  /** A handoff folder from the run job; without one, the local branch is published. */
  handoff?: string | undefined;
  /**
   * The config as the default branch has it: every commit to push is checked against its
   * target and frozen files (check-pushed.ts), whatever the handoff's own ledger says.
   */
  config: Pick<Config, "target" | "frozen">;
  /** The default branch's head, whose history is trusted (default: HEAD of repoDir). */
  trusted?: string | undefined;
  /** Runs once everything is checked, before the first push (the change sets go first). */
  beforePush?: () => Promise<void>;
  env: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Attempts when another publisher moves the branch in between. */
  attempts?: number;
}

export interface PublishResult {
  /** created: a new branch; fast-forward; merged: another batch had published first; up-to-date. */
  outcome: "created" | "fast-forward" | "merged" | "up-to-date";
  head: string;
  /** Experiments on the remote branch after publishing (baseline not counted). */
  experiments: number;
  attempts: number;
}

/**
 * Pushes a tag's branch, its experiments' refs and its record to the remote, and never
 * force-pushes. If the remote branch moved on since this batch started (another publisher of the
 * same tag), the two records are combined on top of the remote's (see merge-records.ts) and the
 * push is tried again; the remote's commits are never rewritten.
 */
export async function publish(options: PublishOptions): Promise<PublishResult> {
  const { tag, remote } = options;
  const log = options.log ?? (() => {});
  const git = new Git(
    options.repoDir,
    await withIdentity(new Git(options.repoDir, options.env), options.env),
  );
  const dir = `.autoexp/${tag}`;
  const ns = `refs/autoexp-publish/${tag}`;

  // What to publish: the handoff's bundle, or the local branch.
  let head: string | null;
  let refs: Record<string, string>;
  const handoff = options.handoff ? await readHandoff(options.handoff) : null;
  if (handoff) {
    if (handoff.tag !== tag)
      throw new AutoexpError(
        `the handoff in ${options.handoff} is for tag ${handoff.tag}, not ${tag}; nothing was pushed`,
      );
    // A persistent runner may hold refs of an earlier publish here: start from none.
    const stale = Object.keys(await git.listRefs(`${ns}/`));
    if (stale.length > 0) await git.updateRefs(stale.map((ref) => ({ ref, sha: "0".repeat(40) })));
    // The chain in order: each link needs what the ones before brought; the last has the head.
    for (const bundle of handoffBundles(handoff))
      await git.run(
        fetch(join(options.handoff!, bundle), [
          `+refs/heads/autoexp/${tag}:${ns}/head`,
          `+refs/autoexp/${tag}/*:${ns}/n/*`,
        ]),
      );
    head = await git.resolve(`${ns}/head`);
    refs = renameRefs(await git.listRefs(`${ns}/n/`), `${ns}/n/`, `refs/autoexp/${tag}/`);
  } else {
    head = await git.resolve(`refs/heads/autoexp/${tag}`);
    refs = await git.listRefs(`refs/autoexp/${tag}/`);
  }
  if (!head) {
    throw new AutoexpError(
      `nothing to publish for tag ${tag}: no handoff${options.handoff ? ` in ${options.handoff}` : ""} and no local branch autoexp/${tag}`,
    );
  }
  const ours = await showLedger(git, head, tag);
  if (ours === null)
    throw new AutoexpError(
      `autoexp/${tag} has no ${dir}/log.jsonl: it is not an autoexp branch; nothing was pushed`,
    );

  // Nothing from the GPU job is trusted: every commit and ref it adds is checked first.
  const trusted = options.trusted ?? (await git.resolve("HEAD"));
  if (!trusted)
    throw new AutoexpError(
      `${options.repoDir} has no commit checked out: publish checks the tag against the default branch, so check it out (actions/checkout); nothing was pushed`,
    );
  const remoteHead = await fetchRemoteHead(git, remote, tag, `${ns}/remote`);
  if (
    remoteHead &&
    !(await git.isAncestor(remoteHead, head)) &&
    (await showLedger(git, remoteHead, tag)) === null
  )
    throw notAutoexps(tag);
  const published = await git.run(lsRemote(remote, `refs/autoexp/${tag}/*`));
  refuseIfAny(
    `autoexp/${tag}${handoff ? ` from the handoff in ${options.handoff}` : ""}`,
    await checkPushed(git, {
      scope: scopeOf(tag, options.config),
      trusted,
      remoteHead,
      head,
      refs,
      published: Object.values(published),
    }),
  );
  await options.beforePush?.();

  const attempts = options.attempts ?? 5;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const remoteHead = await fetchRemoteHead(git, remote, tag, `${ns}/remote`);
    const remoteRefs = await git.run(lsRemote(remote, `refs/autoexp/${tag}/*`));
    let target = head;
    let push: Record<string, string> = refs;
    let outcome: PublishResult["outcome"];
    if (!remoteHead) outcome = "created";
    else if (remoteHead === head || (await git.isAncestor(head, remoteHead)))
      outcome = "up-to-date";
    else if (await git.isAncestor(remoteHead, head)) outcome = "fast-forward";
    else {
      const theirs = await showLedger(git, remoteHead, tag);
      if (theirs === null) throw notAutoexps(tag);
      const common = await git.run(mergeBase(head, remoteHead));
      const base = (await showLedger(git, common, tag)) ?? "";
      const merged = mergeLedgers(base, ours, theirs, tag);
      target = await recordCommit(
        git,
        remoteHead,
        dir,
        merged.text,
        {
          ours: (await git.show(head, `${dir}/notes.md`)) ?? "",
          theirs: (await git.show(remoteHead, `${dir}/notes.md`)) ?? "",
          base: (await git.show(common, `${dir}/notes.md`)) ?? "",
        },
        `autoexp(${tag}): ${merged.added} experiment(s) from a parallel batch, numbered after the remote's`,
      );
      push = {};
      for (const [name, sha] of Object.entries(refs)) {
        const n = Number(name.slice(`refs/autoexp/${tag}/`.length));
        const moved = merged.renumbered.get(n);
        if (moved !== undefined) push[`refs/autoexp/${tag}/${moved}`] = sha;
      }
      outcome = "merged";
      log(
        `the remote branch moved on since this batch started: ${merged.added} experiment(s) of this batch are added after the remote's`,
      );
    }
    const refspecs: string[] = [];
    if (outcome !== "up-to-date") refspecs.push(`${target}:refs/heads/autoexp/${tag}`);
    for (const [name, sha] of Object.entries(push)) {
      if (remoteRefs[name] === sha) continue;
      if (remoteRefs[name] !== undefined) {
        log(`warning: ${name} already exists on ${remote} with other content; left as it is`);
        continue;
      }
      refspecs.push(`${sha}:${name}`);
    }
    if (refspecs.length === 0) {
      log(`autoexp/${tag} on ${remote} already has everything`);
      return {
        outcome: "up-to-date",
        head: remoteHead ?? head,
        experiments: countExperiments(ours),
        attempts: attempt,
      };
    }
    try {
      await git.run(pushAtomic(remote, refspecs));
      const published = outcome === "up-to-date" ? remoteHead! : target;
      const text = (await showLedger(git, published, tag)) ?? ours;
      log(
        `pushed autoexp/${tag} (${outcome}) and ${refspecs.length - (outcome === "up-to-date" ? 0 : 1)} experiment ref(s) to ${remote}`,
      );
      return { outcome, head: published, experiments: countExperiments(text), attempts: attempt };
    } catch (error) {
      const message = error instanceof GitError ? error.message : String(error);
      const raced =
        /rejected|non-fast-forward|fetch first|stale info|failed to update ref|cannot lock ref/i.test(
          message,
        );
      if (!raced || attempt === attempts) {
        throw new AutoexpError(`could not push autoexp/${tag} to ${remote}: ${message}`, {
          exitCode: 1,
        });
      }
      log(
        `the push was refused because ${remote} moved (attempt ${attempt} of ${attempts}); fetching again`,
      );
    }
  }
  throw new AutoexpError(`could not publish autoexp/${tag}: the remote kept moving`, {
    exitCode: 1,
  });
}

function notAutoexps(tag: string): AutoexpError {
  return new AutoexpError(
    `the remote's branch autoexp/${tag} exists but has no .autoexp/${tag}/log.jsonl, so it was not made by autoexp; nothing was pushed. Use another tag`,
  );
}

/** The remote branch's head (fetched into `into`), or null when the remote has no such branch. */
async function fetchRemoteHead(
  git: Git,
  remote: string,
  tag: string,
  into: string,
): Promise<string | null> {
  const listed = await git.run(lsRemote(remote, `refs/heads/autoexp/${tag}`));
  if (!listed[`refs/heads/autoexp/${tag}`]) return null;
  await git.run(fetch(remote, [`+refs/heads/autoexp/${tag}:${into}`]));
  return git.resolve(into);
}

/** A record commit on `parent` whose .autoexp/<tag> holds the combined ledger and its renderings. */
async function recordCommit(
  git: Git,
  parent: string,
  dir: string,
  logText: string,
  notes: { ours: string; theirs: string; base: string },
  message: string,
): Promise<string> {
  const added = notes.ours.startsWith(notes.base)
    ? notes.ours.slice(notes.base.length)
    : notes.ours;
  const tag = dir.slice(".autoexp/".length);
  const files = recordFiles(tag, parseLog(logText), logText, notes.theirs + added);
  const temp = await mkdtemp(join(tmpdir(), "autoexp-publish-"));
  try {
    return await git.commitFiles(parent, files, join(temp, "index"), message);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function renameRefs(
  refs: Record<string, string>,
  from: string,
  to: string,
): Record<string, string> {
  return Object.fromEntries(Object.entries(refs).map(([n, s]) => [to + n.slice(from.length), s]));
}

function countExperiments(text: string): number {
  return Math.max(0, parseLog(text).results.length - 1);
}
