import { type GitCommand, none } from "../command.ts";

/** Whether a remote of that name is configured. */
export const hasRemote = (remote: string): GitCommand<boolean> => ({
  args: ["remote", "get-url", "--", remote],
  parse: () => true,
  onError: () => false,
});

/** The remote's refs matching a pattern, name -> sha. Fails when the remote cannot be read. */
export const lsRemote = (remote: string, pattern: string): GitCommand<Record<string, string>> => ({
  args: ["ls-remote", "--", remote, pattern],
  parse: (out) => {
    const refs: Record<string, string> = {};
    for (const l of out.split("\n")) {
      const [sha, name] = l.split("\t");
      if (sha && name) refs[name] = sha;
    }
    return refs;
  },
});

/** Fetches refspecs (no tags) from a remote or a bundle. */
export const fetch = (source: string, refspecs: readonly string[]): GitCommand<void> => ({
  args: ["fetch", "--quiet", "--no-tags", source, ...refspecs],
  parse: none,
});

/** Pushes refspecs atomically: all move or none. */
export const pushAtomic = (remote: string, refspecs: readonly string[]): GitCommand<void> => ({
  args: ["push", "--atomic", "--porcelain", "--quiet", remote, ...refspecs],
  parse: none,
});

/**
 * A bundle file holding `refs` and what they reach beyond the commits in `having` (which the
 * bundle then requires: fetch it where those are). Revisions go on stdin: thousands of
 * experiments' refs would not fit a command line.
 */
export const createBundleFrom = (
  file: string,
  refs: readonly string[],
  having: readonly string[] = [],
): GitCommand<void> => ({
  args: ["bundle", "create", "--quiet", file, "--stdin"],
  input: [...refs, ...having.map((sha) => `^${sha}`)].map((r) => `${r}\n`).join(""),
  parse: none,
});
