import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PASS_ENV = ["PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "XDG_CONFIG_HOME", "SSH_AUTH_SOCK"];
/**
 * autoexp's own git never runs code the repository (or an eval that wrote to it) configured:
 * no hooks, no fsmonitor, no attributes-driven filters (the commands the engine uses write
 * blobs and trees directly), no untracked cache written back.
 */
const HARDEN = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "core.untrackedCache=false",
  "-c",
  "core.attributesFile=/dev/null",
  "-c",
  "core.sshCommand=ssh",
  "-c",
  "gc.auto=0",
  "-c",
  "maintenance.auto=false",
];
const ALLOWED_ENV = [
  "GIT_TERMINAL_PROMPT",
  "GIT_INDEX_FILE",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
];

/** A git command that failed; the message carries git's own words. */
export class GitError extends Error {
  override name = "GitError";
  constructor(args: readonly string[], message: string, options?: { cause?: unknown }) {
    super(`git ${args[0]} failed: ${message}`, options);
  }
}

let empty: Promise<string> | undefined;

/** A bare repository with nothing in it, made once per process (for check-ignore). */
function emptyRepo(env: Record<string, string | undefined>): Promise<string> {
  empty ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "autoexp-empty-"));
    await new Git(dir, env).raw(["init", "--quiet", "--bare"]);
    return dir;
  })();
  return empty;
}

/** One entry of a tree listing (`ls-tree -r`): mode, blob sha and path. */
export interface TreeEntry {
  mode: string;
  sha: string;
  path: string;
}

/** A changed path from `git status --porcelain -z` (XY code as git prints it). */
export interface ChangedPath {
  path: string;
  code: string;
}

/**
 * The git commands the engine needs, each one spawn of git. Plumbing where it matters: candidate
 * and record commits are built with write-tree/commit-tree (no hooks, no signing prompts, HEAD
 * untouched), and refs move with one atomic `update-ref --stdin` transaction.
 */
export class Git {
  readonly dir: string;
  #env: Record<string, string | undefined>;

  constructor(dir: string, env: Record<string, string | undefined> = process.env) {
    this.dir = dir;
    // git gets a small, known environment: ambient GIT_* variables (GIT_DIR from a hook, say)
    // would point it somewhere else.
    const pass = Object.entries(env).filter(
      ([k]) => PASS_ENV.includes(k) || ALLOWED_ENV.includes(k),
    );
    this.#env = { ...Object.fromEntries(pass), GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
  }

  /**
   * Runs git with argv (never a shell) and returns stdout. Spawned directly rather than through
   * simple-git, which waits a fixed 50 ms after every command that prints nothing (`reset -q`,
   * `clean`, a clean `status`): that alone was most of an experiment's overhead.
   */
  raw(args: readonly string[], env?: Record<string, string>, input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        "git",
        [...HARDEN, ...args],
        {
          cwd: this.dir,
          env: env ? { ...this.#env, ...env } : this.#env,
          maxBuffer: 256 * 1024 * 1024,
          encoding: "utf8",
        },
        (error, stdout, stderr) => {
          if (error) reject(new GitError(args, stderr.trim() || error.message, { cause: error }));
          else resolve(stdout);
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /** The same repository with another environment (a commit identity added, say). */
  withEnv(env: Record<string, string | undefined>): Git {
    return new Git(this.dir, env);
  }

  /**
   * A throwaway repository in `dir` whose HEAD and index are `commit`, reading this repository's
   * objects through alternates (read-only): tools that need git work, and nothing they do there
   * reaches this repository's refs, config or hooks.
   */
  async initScratchRepo(dir: string, commit: string): Promise<void> {
    const local = new Git(dir, this.#env);
    await local.raw(["init", "--quiet"]);
    const objects = join(await this.commonDir(), "objects");
    await writeFile(join(dir, ".git", "objects", "info", "alternates"), `${objects}\n`);
    await local.raw(["update-ref", "HEAD", commit]);
    await local.raw(["read-tree", commit]);
    await local.raw(["update-index", "-q", "--refresh"]).catch(() => "");
  }

  /**
   * Which of `paths` (relative to `dir`) the .gitignore files in `dir` ignore, judged by a
   * repository that has no excludes or config of its own (a checkout's info/exclude or index
   * flags cannot hide a change).
   */
  async checkIgnored(dir: string, paths: readonly string[]): Promise<string[]> {
    const empty = await emptyRepo(this.#env);
    const out = await new Git(dir, this.#env)
      .raw(
        ["-c", "core.excludesFile=/dev/null", "check-ignore", "--no-index", "-z", "--stdin"],
        { GIT_DIR: empty, GIT_WORK_TREE: dir },
        `${paths.join("\0")}\0`,
      )
      .catch(() => "");
    return out.split("\0").filter(Boolean);
  }

  /** The top level of the work tree containing this directory. */
  async topLevel(): Promise<string> {
    return (await this.raw(["rev-parse", "--show-toplevel"])).trim();
  }

  /** The shared .git directory (the main one, also from a linked worktree), absolute. */
  async commonDir(): Promise<string> {
    return (await this.raw(["rev-parse", "--path-format=absolute", "--git-common-dir"])).trim();
  }

  /** Forgets worktrees whose folders are gone. */
  async pruneWorktrees(): Promise<void> {
    await this.raw(["worktree", "prune"]);
  }

  /** Whether commit `a` is an ancestor of (or equal to) commit `b`. */
  async isAncestor(a: string, b: string): Promise<boolean> {
    return this.raw(["merge-base", "--is-ancestor", a, b]).then(
      () => true,
      () => false,
    );
  }

  /** Resolves a ref to a full sha, or null when it does not exist. */
  async resolve(ref: string): Promise<string | null> {
    try {
      return (
        (await this.raw(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim() || null
      );
    } catch {
      return null;
    }
  }

  /** Reads a file from a commit, or null when the path is not there. */
  async show(ref: string, path: string): Promise<string | null> {
    try {
      return await this.raw(["show", `${ref}:${path}`]);
    } catch {
      return null;
    }
  }

  /** Paths that differ from HEAD or are untracked (ignored files excluded). */
  async changedPaths(): Promise<ChangedPath[]> {
    const out = await this.raw(["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
    const changes: ChangedPath[] = [];
    const fields = out.split("\0");
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (field.length < 4) continue;
      const code = field.slice(0, 2);
      changes.push({ path: field.slice(3), code });
      // A rename carries its source as the next field; both paths changed.
      if (code[0] === "R" || code[0] === "C") changes.push({ path: fields[++i]!, code });
    }
    return changes;
  }

  /** Lines added minus lines removed between two commits (binary files count 0). */
  async linesDelta(from: string, to: string): Promise<number> {
    const out = await this.raw(["diff", "--numstat", "--no-renames", from, to]);
    let delta = 0;
    for (const line of out.split("\n")) {
      const [added, removed] = line.split("\t");
      if (added && removed && added !== "-") delta += Number(added) - Number(removed);
    }
    return delta;
  }

  /** Tracked paths with uncommitted changes in this checkout. */
  async trackedChanges(): Promise<string[]> {
    // Porcelain lines are "XY path"; trimming the whole output would eat the first X.
    return (await this.raw(["status", "--porcelain", "--untracked-files=no"]))
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3));
  }

  /** Untracked files that are not ignored. */
  async untrackedFiles(): Promise<string[]> {
    return (await this.raw(["ls-files", "--others", "--exclude-standard", "-z"]))
      .split("\0")
      .filter(Boolean);
  }

  /** Tracked files at HEAD of this checkout. */
  async listFiles(): Promise<string[]> {
    return (await this.raw(["ls-files", "-z"])).split("\0").filter(Boolean);
  }

  /** Stages `paths` (or everything) and commits the index on `parent` without moving HEAD. */
  async commitWorktree(
    paths: readonly string[] | "all",
    parent: string,
    message: string,
  ): Promise<string> {
    await this.raw(["add", "-A", "--", ...(paths === "all" ? ["."] : paths)]);
    const tree = (await this.raw(["write-tree"])).trim();
    return this.commitTree(tree, [parent], message);
  }

  /**
   * Commits `parent`'s tree with `paths` replaced by the worktree's copies, through a private
   * index file so the checkout's own index and files are not touched.
   */
  async commitFilesOnto(
    parent: string,
    paths: readonly string[],
    indexFile: string,
    message: string,
  ): Promise<string> {
    const env = { GIT_INDEX_FILE: indexFile };
    await this.raw(["read-tree", parent], env);
    await this.raw(["update-index", "--add", "--", ...paths], env);
    const tree = (await this.raw(["write-tree"], env)).trim();
    return this.commitTree(tree, [parent], message);
  }

  async commitTree(tree: string, parents: readonly string[], message: string): Promise<string> {
    const args = [
      "commit-tree",
      "--no-gpg-sign",
      tree,
      ...parents.flatMap((p) => ["-p", p]),
      "-m",
      message,
    ];
    return (await this.raw(args)).trim();
  }

  /** Moves several refs in one transaction: all or none. `old: ""` means "must not exist yet". */
  async updateRefs(updates: readonly { ref: string; sha: string; old?: string }[]): Promise<void> {
    const lines = updates.map(
      (u) => `update ${u.ref} ${u.sha}${u.old === undefined ? "" : ` ${u.old || "0".repeat(40)}`}`,
    );
    await this.raw(["update-ref", "--stdin"], undefined, `${lines.join("\n")}\n`);
  }

  /** Every blob and link in a commit's tree (submodules skipped), by path. */
  async lsTree(commit: string): Promise<TreeEntry[]> {
    const out = await this.raw(["ls-tree", "-r", "-z", "--full-tree", commit]);
    const entries: TreeEntry[] = [];
    for (const line of out.split("\0")) {
      if (!line) continue;
      const tab = line.indexOf("\t");
      const [mode, type, sha] = line.slice(0, tab).split(" ");
      if (type === "blob") entries.push({ mode: mode!, sha: sha!, path: line.slice(tab + 1) });
    }
    return entries;
  }

  /** The bytes of several blobs, in one `cat-file --batch` process. */
  async readBlobs(shas: readonly string[]): Promise<Map<string, Buffer>> {
    const blobs = new Map<string, Buffer>();
    const wanted = [...new Set(shas)];
    if (wanted.length === 0) return blobs;
    const out = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile(
        "git",
        [...HARDEN, "cat-file", "--batch"],
        { cwd: this.dir, env: this.#env, maxBuffer: 4 * 1024 * 1024 * 1024, encoding: "buffer" },
        (error, stdout, stderr) => {
          if (error) reject(new GitError(["cat-file"], stderr.toString().trim() || error.message));
          else resolve(stdout);
        },
      );
      child.stdin?.end(`${wanted.join("\n")}\n`);
    });
    let offset = 0;
    for (const sha of wanted) {
      const eol = out.indexOf(10, offset);
      const header = out.subarray(offset, eol).toString();
      const size = Number(header.split(" ")[2]);
      if (!Number.isFinite(size)) throw new GitError(["cat-file"], `cannot read blob ${sha}`);
      blobs.set(sha, out.subarray(eol + 1, eol + 1 + size));
      offset = eol + 1 + size + 1;
    }
    return blobs;
  }

  /** Writes bytes as a blob, exactly as given (no filters, no line-ending conversion). */
  async writeBlob(content: string | Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        "git",
        [...HARDEN, "hash-object", "-w", "--no-filters", "--stdin"],
        { cwd: this.dir, env: this.#env, encoding: "utf8" },
        (error, stdout, stderr) => {
          if (error) reject(new GitError(["hash-object"], stderr.trim() || error.message));
          else resolve(stdout.trim());
        },
      );
      child.stdin?.end(content);
    });
  }

  /**
   * A commit on `parent` whose tree is the parent's with `files` replaced (null: removed), built
   * from bytes autoexp holds, through a private index: no worktree, no checkout, no hooks.
   */
  async commitFiles(
    parent: string,
    files: Readonly<Record<string, { content: string | Buffer; mode?: string } | null>>,
    indexFile: string,
    message: string,
  ): Promise<string> {
    const env = { GIT_INDEX_FILE: indexFile };
    await this.raw(["read-tree", parent], env);
    const lines: string[] = [];
    for (const [path, file] of Object.entries(files)) {
      if (file === null) lines.push(`0 ${"0".repeat(40)}\t${path}`);
      else lines.push(`${file.mode ?? "100644"} ${await this.writeBlob(file.content)}\t${path}`);
    }
    await this.raw(
      ["update-index", "-z", "--index-info"],
      env,
      lines.map((l) => `${l}\0`).join(""),
    );
    const tree = (await this.raw(["write-tree"], env)).trim();
    return this.commitTree(tree, [parent], message);
  }

  /** Refs under `prefix` with the commits they point at. */
  async listRefs(prefix: string): Promise<Record<string, string>> {
    const out = await this.raw(["for-each-ref", "--format=%(refname) %(objectname)", prefix]);
    const refs: Record<string, string> = {};
    for (const line of out.split("\n")) {
      const [ref, sha] = line.split(" ");
      if (ref && sha) refs[ref] = sha;
    }
    return refs;
  }

  /** Puts the checkout at `sha` (detached) and removes untracked files; ignored files stay. */
  async resetHard(sha: string): Promise<void> {
    await this.raw(["reset", "--hard", "--quiet", sha]);
    await this.raw(["clean", "-fdq"]);
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
  const email = await git.raw(["config", "user.email"]).catch(() => "");
  if (email.trim()) return env;
  return {
    ...env,
    GIT_AUTHOR_NAME: "autoexp",
    GIT_AUTHOR_EMAIL: "autoexp@users.noreply.invalid",
    GIT_COMMITTER_NAME: "autoexp",
    GIT_COMMITTER_EMAIL: "autoexp@users.noreply.invalid",
  };
}
