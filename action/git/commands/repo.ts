import { fields, type GitCommand, line, none, text } from "../command.ts";

/** The top level of the work tree containing the directory. */
export const topLevel = (): GitCommand<string> => ({
  args: ["rev-parse", "--show-toplevel"],
  parse: line,
});

/** The shared .git directory (the main one, also from a linked worktree), absolute. */
export const commonDir = (): GitCommand<string> => ({
  args: ["rev-parse", "--path-format=absolute", "--git-common-dir"],
  parse: line,
});

/** The checked-out branch's short name, or null when HEAD is detached. */
export const currentBranch = (): GitCommand<string | null> => ({
  args: ["symbolic-ref", "--quiet", "--short", "HEAD"],
  parse: (out) => out.trim() || null,
  onError: () => null,
});

/** The repository's object format: sha1, or sha256. */
export const objectFormat = (): GitCommand<string> => ({
  args: ["rev-parse", "--show-object-format"],
  parse: line,
});

/** Forgets worktrees whose folders are gone. */
export const pruneWorktrees = (): GitCommand<void> => ({
  args: ["worktree", "prune"],
  parse: none,
});

/** Tracked paths with uncommitted changes. Porcelain lines are "XY path": never trim the whole. */
export const trackedChanges = (): GitCommand<string[]> => ({
  args: ["status", "--porcelain", "--untracked-files=no"],
  parse: (out) =>
    out
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3)),
});

/** Untracked files that are not ignored. */
export const untrackedFiles = (): GitCommand<string[]> => ({
  args: ["ls-files", "--others", "--exclude-standard", "-z"],
  parse: fields,
});

/** Tracked files at HEAD of the checkout. */
export const listFiles = (): GitCommand<string[]> => ({ args: ["ls-files", "-z"], parse: fields });

/** A config value, or "" when it is not set. */
export const configValue = (key: string): GitCommand<string> => ({
  args: ["config", key],
  parse: line,
  onError: () => "",
});

export const setConfig = (key: string, value: string): GitCommand<void> => ({
  args: ["config", key, value],
  parse: none,
});

export const init = (options: { bare?: boolean; branch?: string } = {}): GitCommand<void> => ({
  args: [
    "init",
    "--quiet",
    ...(options.bare ? ["--bare"] : []),
    ...(options.branch ? [`--initial-branch=${options.branch}`] : []),
  ],
  parse: none,
});

/** Stages every change in the checkout (the demo's first commit; never used on a user's repo). */
export const addAll = (): GitCommand<void> => ({ args: ["add", "-A"], parse: none });

/** A plain commit of the index, hooks and signing off. */
export const commit = (message: string): GitCommand<void> => ({
  args: ["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message],
  parse: none,
});

/** Refreshes the index's stat data (a fresh checkout then shows as clean). */
export const refreshIndex = (): GitCommand<void> => ({
  args: ["update-index", "-q", "--refresh"],
  parse: none,
  onError: () => {},
});

/** Which of `paths` the .gitignore files ignore; a bare `--no-index` check with no excludes. */
export const checkIgnore = (
  paths: readonly string[],
  gitDir: string,
  workTree: string,
): GitCommand<string[]> => ({
  args: ["-c", "core.excludesFile=/dev/null", "check-ignore", "--no-index", "-z", "--stdin"],
  env: { GIT_DIR: gitDir, GIT_WORK_TREE: workTree },
  input: `${paths.join("\0")}\0`,
  parse: fields,
  // Exit 1: none of them is ignored.
  onError: () => [],
});

/** The objects one commit needs on its own: itself, its tree and every blob (no history). */
export const commitObjects = (commit: string): GitCommand<string> => ({
  args: ["rev-list", "--objects", "--no-walk", commit],
  parse: text,
});
