import { execFile } from "node:child_process";

const PASS_ENV = ["PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "XDG_CONFIG_HOME", "SSH_AUTH_SOCK"];
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
        [...args],
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
