import { type GitCommand, line, none } from "../command.ts";

/** One entry of a tree listing (`ls-tree -r`): mode, blob sha and path. */
export interface TreeEntry {
  mode: string;
  sha: string;
  path: string;
}

/** Every blob and link in a commit's tree (submodules skipped). */
export const lsTree = (commit: string): GitCommand<TreeEntry[]> => ({
  args: ["ls-tree", "-r", "-z", "--full-tree", commit],
  parse: (out) => {
    const entries: TreeEntry[] = [];
    for (const entry of out.split("\0")) {
      if (!entry) continue;
      const tab = entry.indexOf("\t");
      const [mode, type, sha] = entry.slice(0, tab).split(" ");
      if (type === "blob") entries.push({ mode: mode!, sha: sha!, path: entry.slice(tab + 1) });
    }
    return entries;
  },
});

/** Every entry of a commit's tree, folders and submodules included (for tree-objects.ts). */
export const lsFolders = (commit: string): GitCommand<string> => ({
  args: ["ls-tree", "-r", "-t", "-z", "--full-tree", commit],
  parse: (out) => out,
});

/** Who git would name as author or committer here (`GIT_AUTHOR_IDENT`), with a time. */
export const ident = (who: "AUTHOR" | "COMMITTER"): GitCommand<string> => ({
  args: ["var", `GIT_${who}_IDENT`],
  parse: line,
});

/** Writes bytes as a blob, exactly as given (no filters, no line-ending conversion). */
export const writeBlob = (content: string | Buffer): GitCommand<string> => ({
  args: ["hash-object", "-w", "--no-filters", "--stdin"],
  input: content,
  parse: line,
});

/** Loads a commit's tree into the index file `index`. */
export const readTreeInto = (commit: string, index: string): GitCommand<void> => ({
  args: ["read-tree", commit],
  env: { GIT_INDEX_FILE: index },
  parse: none,
});

/** Sets index entries (`<mode> <sha>\t<path>`; mode 0 removes the path). */
export const setIndexEntries = (
  entries: readonly { mode: string; sha: string; path: string }[],
  index: string,
): GitCommand<void> => ({
  args: ["update-index", "-z", "--index-info"],
  env: { GIT_INDEX_FILE: index },
  input: entries.map((e) => `${e.mode} ${e.sha}\t${e.path}\0`).join(""),
  parse: none,
});

/** The tree the index file holds. */
export const writeTree = (index: string): GitCommand<string> => ({
  args: ["write-tree"],
  env: { GIT_INDEX_FILE: index },
  parse: line,
});

/** A commit of `tree` on `parents`; never signed, no hooks (plumbing). */
export const commitTree = (
  tree: string,
  parents: readonly string[],
  message: string,
): GitCommand<string> => ({
  args: ["commit-tree", "--no-gpg-sign", tree, ...parents.flatMap((p) => ["-p", p]), "-m", message],
  parse: line,
});

/** Lines added minus lines removed between two commits (binary files count 0). */
export const linesDelta = (from: string, to: string): GitCommand<number> => ({
  args: ["diff", "--numstat", "--no-renames", "--no-ext-diff", "--no-textconv", from, to],
  parse: (out) => {
    let delta = 0;
    for (const l of out.split("\n")) {
      const [added, removed] = l.split("\t");
      if (added && removed && added !== "-") delta += Number(added) - Number(removed);
    }
    return delta;
  },
});

/**
 * A three-way merge of one file (`git merge-file -p`): the changes from `base` to `ours` applied
 * to `theirs`. Null when they conflict.
 */
export const mergeFile = (
  ours: string,
  base: string,
  theirs: string,
): GitCommand<string | null> => ({
  args: ["merge-file", "-p", "--quiet", ours, base, theirs],
  parse: (out) => out,
  onError: () => null,
});
