import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inertCommitMessage } from "../util/markdown-inert.ts";
import type { GitCommand } from "./command.ts";
import { isAncestor, listRefs, resolveRef, showFile, updateRefs } from "./commands/refs.ts";
import {
  checkIgnore,
  commitObjects,
  commonDir,
  configValue,
  currentBranch,
  init,
  listFiles,
  objectFormat,
  pruneWorktrees,
  refreshIndex,
  topLevel,
  trackedChanges,
  untrackedFiles,
} from "./commands/repo.ts";
import {
  commitTree,
  ident,
  linesDelta,
  lsFolders,
  lsTree,
  readTreeInto,
  setIndexEntries,
  type TreeEntry,
  writeBlob,
  writeTree,
} from "./commands/trees.ts";
import { writeLooseBlob, writeLooseObject } from "./loose-objects.ts";
import { copyObjects, GitError, gitEnvironment, runGit, streamBlobs } from "./run-git.ts";
import {
  applyChanges,
  commitBody,
  type Folders,
  type PathChange,
  parseFolders,
} from "./tree-objects.ts";

export type { TreeEntry } from "./commands/trees.ts";
export { GitError } from "./run-git.ts";

let empty: Promise<string> | undefined;

/** A file of a commit: its bytes, or a blob already written (by `writeBlob`). */
export type CommitFile =
  | { content: string | Buffer; mode?: string }
  | { sha: string; mode?: string };

/** A tree listing with index entries applied (mode 0 removes the path). */
function applyEntries(
  list: readonly TreeEntry[],
  entries: readonly { mode: string; sha: string; path: string }[],
): TreeEntry[] {
  const byPath = new Map(list.map((e) => [e.path, e]));
  for (const e of entries) {
    if (e.mode === "0") byPath.delete(e.path);
    else byPath.set(e.path, { mode: e.mode, sha: e.sha, path: e.path });
  }
  return [...byPath.values()];
}

/** Per private index file, the commit whose tree it holds (written by commitFiles). */
const INDEX_HOLDS = new Map<string, string>();
/** Per repository folder, where blobs are written in process (null: let git write them). */
const OBJECTS = new Map<string, string | null>();

/** Tree listings by full commit sha (a commit's tree is fixed by its sha). */
const TREES = new Map<string, Promise<TreeEntry[]>>();
/** A commit's folders by full commit sha, for commits built in process (tree-objects.ts). */
const FOLDERS = new Map<string, Promise<Folders>>();
/** Author and committer (name and email) by repository and identity environment. */
const IDENTS = new Map<string, Promise<{ author: string; committer: string }>>();

/** Adds to a cache of at most 64 entries, the oldest dropped first; a failure is not kept. */
function remember<T>(cache: Map<string, Promise<T>>, key: string, value: Promise<T>): void {
  cache.set(key, value);
  value.catch(() => cache.delete(key));
  if (cache.size > 64) cache.delete(cache.keys().next().value!);
}

/** A bare repository with nothing in it, made once per process (for check-ignore). */
function emptyRepo(env: Record<string, string | undefined>): Promise<string> {
  empty ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "autoexp-empty-"));
    await new Git(dir, env).run(init({ bare: true }));
    return dir;
  })();
  return empty;
}

/**
 * A repository and the environment git runs with. Commands are data (git/commands/), run here
 * and parsed by their own parser; the few methods below compose several commands. Plumbing
 * where it matters: candidate and record commits are built with write-tree/commit-tree from
 * bytes autoexp holds (no checkout, no hooks, no signing prompts), and refs move with one atomic
 * `update-ref --stdin` transaction.
 */
export class Git {
  readonly dir: string;
  #env: Record<string, string | undefined>;

  constructor(dir: string, env: Record<string, string | undefined> = process.env) {
    this.dir = dir;
    this.#env = gitEnvironment(env);
  }

  /** Runs one command and parses what it printed; an expected failure becomes its result. */
  async run<T>(command: GitCommand<T>): Promise<T> {
    const env = command.env ? { ...this.#env, ...command.env } : this.#env;
    // A command that reads the work tree would run the clean filters the repository's config
    // names (code an unsandboxed eval could have planted there): each one is emptied for it.
    const args = READS_WORKTREE.has(command.args[0]!)
      ? [...(await filterOverrides(this.dir, this.#env)), ...command.args]
      : command.args;
    try {
      const out = await runGit(this.dir, env, args, {
        ...(command.input !== undefined ? { input: command.input } : {}),
      });
      return command.parse(String(out));
    } catch (error) {
      if (command.onError && error instanceof GitError) return command.onError(error);
      throw error;
    }
  }

  /** The same repository with another environment (a commit identity added, say). */
  withEnv(env: Record<string, string | undefined>): Git {
    return new Git(this.dir, env);
  }

  resolve(ref: string): Promise<string | null> {
    return this.run(resolveRef(ref));
  }

  show(ref: string, path: string): Promise<string | null> {
    return this.run(showFile(ref, path));
  }

  isAncestor(a: string, b: string): Promise<boolean> {
    return this.run(isAncestor(a, b));
  }

  updateRefs(updates: readonly { ref: string; sha: string; old?: string }[]): Promise<void> {
    return this.run(updateRefs(updates));
  }

  listRefs(prefix: string): Promise<Record<string, string>> {
    return this.run(listRefs(prefix));
  }

  /** A commit's tree listing; commits never change, so each is listed once per process. */
  lsTree(commit: string): Promise<TreeEntry[]> {
    if (!/^[0-9a-f]{40}$/.test(commit)) return this.run(lsTree(commit));
    const cached = TREES.get(commit);
    if (cached) return cached;
    const listing = this.run(lsTree(commit));
    remember(TREES, commit, listing);
    return listing;
  }

  linesDelta(from: string, to: string): Promise<number> {
    return this.run(linesDelta(from, to));
  }

  topLevel(): Promise<string> {
    return this.run(topLevel());
  }

  /** The checked-out branch's short name, or null when HEAD is detached. */
  currentBranch(): Promise<string | null> {
    return this.run(currentBranch());
  }

  commonDir(): Promise<string> {
    return this.run(commonDir());
  }

  pruneWorktrees(): Promise<void> {
    return this.run(pruneWorktrees());
  }

  listFiles(): Promise<string[]> {
    return this.run(listFiles());
  }

  trackedChanges(): Promise<string[]> {
    return this.run(trackedChanges());
  }

  untrackedFiles(): Promise<string[]> {
    return this.run(untrackedFiles());
  }

  /**
   * Each blob's bytes handed to `take` as they arrive (one `cat-file --batch` process, never the
   * whole set in memory: for materialising large trees).
   */
  async forEachBlob(
    shas: readonly string[],
    take: (sha: string, bytes: Buffer) => void,
  ): Promise<void> {
    const wanted = [...new Set(shas)];
    if (wanted.length > 0) await streamBlobs(this.dir, this.#env, wanted, take);
  }

  /** The bytes of several blobs, in one `cat-file --batch` process. */
  async readBlobs(shas: readonly string[]): Promise<Map<string, Buffer>> {
    const blobs = new Map<string, Buffer>();
    const wanted = [...new Set(shas)];
    if (wanted.length === 0) return blobs;
    const out = (await runGit(this.dir, this.#env, ["cat-file", "--batch"], {
      input: `${wanted.join("\n")}\n`,
      binary: true,
    })) as Buffer;
    let offset = 0;
    for (const sha of wanted) {
      const eol = out.indexOf(10, offset);
      const size = Number(out.subarray(offset, eol).toString().split(" ")[2]);
      if (!Number.isFinite(size)) throw new GitError(["cat-file"], `cannot read blob ${sha}`);
      blobs.set(sha, out.subarray(eol + 1, eol + 1 + size));
      offset = eol + 1 + size + 1;
    }
    return blobs;
  }

  /**
   * A commit on `parent` whose tree is the parent's with `files` replaced (null: removed), built
   * from bytes autoexp holds, through a private index: no worktree, no checkout, no hooks.
   */
  async commitFiles(
    parent: string,
    files: Readonly<Record<string, CommitFile | null>>,
    indexFile: string,
    description: string,
  ): Promise<string> {
    const message = inertCommitMessage(description); // it carries the agent's words
    const entries: PathChange[] = [];
    for (const [path, file] of Object.entries(files)) {
      if (file === null) entries.push({ mode: "0", sha: "0".repeat(40), path });
      else
        entries.push({
          mode: file.mode ?? "100644",
          sha: "sha" in file ? file.sha : await this.writeBlob(file.content),
          path,
        });
    }
    // A fixed date (split branches, reproducible by design) goes through git, which reads it.
    const objects = await this.#objectsDir();
    const dated = this.#env.GIT_AUTHOR_DATE || this.#env.GIT_COMMITTER_DATE;
    const commit =
      objects && /^[0-9a-f]{40}$/.test(parent) && !dated
        ? await this.#commitInProcess(objects, parent, entries, message)
        : await this.#commitThroughIndex(parent, entries, indexFile, message);
    // The new commit's listing is the parent's with these entries applied: no ls-tree later.
    const listed = TREES.get(parent);
    if (listed)
      remember(
        TREES,
        commit,
        listed.then((list) => applyEntries(list, entries)),
      );
    return commit;
  }

  /** commitFiles through a private index: update-index, write-tree, commit-tree. */
  async #commitThroughIndex(
    parent: string,
    entries: readonly PathChange[],
    indexFile: string,
    message: string,
  ): Promise<string> {
    // The index file remembers the last tree written through it: after a discard, the next
    // record's parent is that very commit, and reading its tree again would be a wasted process.
    if (INDEX_HOLDS.get(indexFile) !== parent) await this.run(readTreeInto(parent, indexFile));
    await this.run(setIndexEntries(entries, indexFile));
    const tree = await this.run(writeTree(indexFile));
    const commit = await this.run(commitTree(tree, [parent], message));
    INDEX_HOLDS.set(indexFile, commit);
    return commit;
  }

  /**
   * commitFiles without a git process: the changed folders' trees and the commit written as
   * loose objects, the parent's folders listed once (and known without listing for commits
   * built here). The objects are byte for byte those git would write; the identity is git's own
   * (`git var`, asked once), the time now.
   */
  async #commitInProcess(
    objects: string,
    parent: string,
    entries: readonly PathChange[],
    message: string,
  ): Promise<string> {
    let folders = FOLDERS.get(parent);
    if (!folders) {
      folders = this.run(lsFolders(parent)).then(parseFolders);
      remember(FOLDERS, parent, folders);
    }
    const built = applyChanges(await folders, entries, (body) =>
      writeLooseObject(objects, "tree", body),
    );
    const who = await this.#idents();
    const body = commitBody(built.root, parent, who, new Date(), message);
    const commit = writeLooseObject(objects, "commit", body);
    remember(FOLDERS, commit, Promise.resolve(built.folders));
    return commit;
  }

  /** Author and committer as git names them in this repository and environment. */
  #idents(): Promise<{ author: string; committer: string }> {
    const e = this.#env;
    const key = [
      this.dir,
      e.GIT_AUTHOR_NAME,
      e.GIT_AUTHOR_EMAIL,
      e.GIT_COMMITTER_NAME,
      e.GIT_COMMITTER_EMAIL,
      e.HOME,
      e.XDG_CONFIG_HOME,
    ].join("\0");
    let found = IDENTS.get(key);
    if (!found) {
      const bare = (s: string) => s.replace(/ \d+ [+-]\d{4}$/, "");
      found = Promise.all([this.run(ident("AUTHOR")), this.run(ident("COMMITTER"))]).then(
        ([a, c]) => ({ author: bare(a), committer: bare(c) }),
      );
      remember(IDENTS, key, found);
    }
    return found;
  }

  /** Writes one blob (in process where it can) and returns its id. */
  async writeBlob(content: string | Buffer): Promise<string> {
    const objects = await this.#objectsDir();
    return objects ? writeLooseBlob(objects, content) : this.run(writeBlob(content));
  }

  /** The objects folder when blobs can be written in process (SHA-1 repositories), else null. */
  async #objectsDir(): Promise<string | null> {
    let found = OBJECTS.get(this.dir);
    if (found === undefined) {
      const format = await this.run(objectFormat());
      found = format === "sha1" ? join(await this.commonDir(), "objects") : null;
      OBJECTS.set(this.dir, found);
    }
    return found;
  }

  /**
   * A throwaway repository in `dir` whose HEAD and index are `commit`: tools that need git work,
   * and nothing they do there reaches this repository's objects, refs, config or hooks. Returns
   * the objects folder it reads through alternates (bind it read-only for a sandboxed agent).
   */
  async initScratchRepo(dir: string, commit: string, stores: string): Promise<string> {
    const local = new Git(dir, this.#env);
    await local.run(init());
    // Its objects: the one commit and its tree, packed once per commit into a store of its own
    // (under `stores`, outside the checkout), reached through an alternates file, as a shallow
    // clone of that commit. Nothing of the user's .git is shared: a sandboxed agent sees the
    // store read-only and nothing else; one that is not cannot write the user's objects.
    const objects = await this.#commitStore(commit, stores);
    await writeFile(join(dir, ".git", "objects", "info", "alternates"), `${objects}\n`);
    await writeFile(join(dir, ".git", "shallow"), `${commit}\n`);
    await local.run(updateRefs([{ ref: "HEAD", sha: commit }]));
    await local.run(readTreeInto(commit, join(dir, ".git", "index")));
    await local.run(refreshIndex());
    return objects;
  }

  #stores = new Map<string, Promise<string>>();

  /**
   * The objects folder holding `commit`, its tree and blobs, and nothing else: made once per
   * commit (an incumbent serves every proposal made on it), the newest STORES_KEPT kept.
   */
  #commitStore(commit: string, root: string): Promise<string> {
    const key = join(root, commit);
    let made = this.#stores.get(key);
    if (!made) {
      made = (async () => {
        const repo = join(root, commit);
        const objects = join(repo, "objects");
        if (existsSync(join(repo, "complete"))) return objects;
        await rm(repo, { recursive: true, force: true });
        await mkdir(repo, { recursive: true });
        await new Git(repo, this.#env).run(init({ bare: true }));
        await copyObjects(this.dir, repo, this.#env, await this.run(commitObjects(commit)));
        await writeFile(join(repo, "complete"), `${commit}\n`);
        await pruneStores(root, STORES_KEPT);
        return objects;
      })();
      made.catch(() => this.#stores.delete(key));
      this.#stores.set(key, made);
    }
    return made;
  }

  /**
   * Which of `paths` (relative to `dir`) the .gitignore files in `dir` ignore, judged by an empty
   * repository with no excludes or config of its own (a checkout's info/exclude or index flags
   * cannot hide a change).
   */
  async checkIgnored(dir: string, paths: readonly string[]): Promise<string[]> {
    return new Git(dir, this.#env).run(checkIgnore(paths, await emptyRepo(this.#env), dir));
  }
}

/**
 * `env` with a commit identity added when the repository at `git` has none configured (a fresh
 * CI machine): record commits must never fail for want of a user.email.
 */
export async function withIdentity(
  git: Git,
  env: Record<string, string | undefined>,
): Promise<Record<string, string | undefined>> {
  const email = await git.run(configValue("user.email"));
  if (email.trim()) return env;
  return {
    ...env,
    GIT_AUTHOR_NAME: "autoexp",
    GIT_AUTHOR_EMAIL: "autoexp@users.noreply.invalid",
    GIT_COMMITTER_NAME: "autoexp",
    GIT_COMMITTER_EMAIL: "autoexp@users.noreply.invalid",
  };
}

/** Commit object stores kept for agents' scratch repositories (a few incumbents back). */
const STORES_KEPT = 4;

async function pruneStores(root: string, keep: number): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  const dated = await Promise.all(
    names.map(async (name) => ({
      name,
      at: (await stat(join(root, name)).catch(() => null))?.mtimeMs ?? 0,
    })),
  );
  for (const { name } of dated.sort((a, b) => b.at - a.at).slice(keep))
    await rm(join(root, name), { recursive: true, force: true });
}

/** The commands of autoexp's that read files of a work tree, where git applies clean filters. */
const READS_WORKTREE = new Set(["status", "add", "commit", "update-index"]);

const FILTERS = new Map<string, Promise<string[]>>();

/** `-c filter.<name>.clean=` (and smudge, process) for every filter the repository's config names. */
function filterOverrides(dir: string, env: Record<string, string | undefined>): Promise<string[]> {
  let found = FILTERS.get(dir);
  if (!found) {
    found = runGit(dir, env, ["config", "--name-only", "--get-regexp", "^filter\\."])
      .then((out) => {
        const names = new Set(
          String(out)
            .split("\n")
            .map((l) => /^filter\.(.+)\.[^.]+$/.exec(l.trim())?.[1])
            .filter((n): n is string => !!n),
        );
        return [...names].flatMap((n) =>
          ["clean", "smudge", "process"].flatMap((k) => ["-c", `filter.${n}.${k}=`]),
        );
      })
      .catch(() => [] as string[]);
    FILTERS.set(dir, found);
  }
  return found;
}
