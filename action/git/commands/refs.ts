import { type GitCommand, line, none, text } from "../command.ts";

/** A ref as a full commit sha, or null when it does not exist. */
export const resolveRef = (ref: string): GitCommand<string | null> => ({
  args: ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`],
  parse: (out) => out.trim() || null,
  onError: () => null,
});

/** Whether commit `a` is an ancestor of (or equal to) commit `b`. */
export const isAncestor = (a: string, b: string): GitCommand<boolean> => ({
  args: ["merge-base", "--is-ancestor", a, b],
  parse: () => true,
  onError: () => false,
});

export const mergeBase = (a: string, b: string): GitCommand<string> => ({
  args: ["merge-base", a, b],
  parse: line,
});

/** A file of a commit, or null when the path is not there. */
export const showFile = (ref: string, path: string): GitCommand<string | null> => ({
  args: ["show", `${ref}:${path}`],
  parse: text,
  onError: () => null,
});

/** Moves several refs in one transaction: all or none. `old: ""` means "must not exist yet". */
export const updateRefs = (
  updates: readonly { ref: string; sha: string; old?: string }[],
): GitCommand<void> => ({
  args: ["update-ref", "--stdin"],
  input: `${updates
    .map(
      (u) => `update ${u.ref} ${u.sha}${u.old === undefined ? "" : ` ${u.old || "0".repeat(40)}`}`,
    )
    .join("\n")}\n`,
  parse: none,
});

/** Refs under `prefix` with the commits they point at. */
export const listRefs = (prefix: string): GitCommand<Record<string, string>> => ({
  args: ["for-each-ref", "--format=%(refname) %(objectname)", prefix],
  parse: (out) => {
    const refs: Record<string, string> = {};
    for (const l of out.split("\n")) {
      const [ref, sha] = l.split(" ");
      if (ref && sha) refs[ref] = sha;
    }
    return refs;
  },
});

/** Local branches matching a pattern, short names. */
export const listBranches = (pattern: string): GitCommand<string[]> => ({
  args: ["branch", "--list", pattern, "--format=%(refname:short)"],
  parse: (out) => out.split("\n").filter(Boolean),
});
