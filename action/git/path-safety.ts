/**
 * Paths git treats as its own. A tree holding one of them is refused by `git checkout` and by
 * remotes with fsck on (a `.git` in any case or alias), or checks out bytes other than the blobs
 * autoexp measured (`.gitattributes`: ident, eol, filters), or points git at other repositories
 * (`.gitmodules`). autoexp never writes them into a commit; an agent that makes one commits a
 * violation. The aliases are git's own (fsck.c, path.c): any case, HFS+ ignorable code points,
 * NTFS trailing dots and spaces, alternate streams and 8.3 short names.
 */

/** Code points HFS+ ignores when it compares names (git's next_hfs_char). */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/** What a name is once HFS+ and NTFS have had their way with it, in lower case. */
function normalise(name: string): string {
  const stream = name.indexOf(":");
  const bare = stream < 0 ? name : name.slice(0, stream);
  return bare
    .replace(HFS_IGNORABLE, "")
    .toLowerCase()
    .replace(/[. ]+$/, "");
}

const DOT_GIT = "a .git folder: git refuses the name in a tree";
const KINDS: readonly [RegExp, string][] = [
  [/^(\.git|git~\d+)$/, DOT_GIT],
  [
    /^(\.gitattributes|gitatt~\d+|gi7d29~\d+)$/,
    "git attributes: git checkout would write other bytes",
  ],
  [
    /^(\.gitmodules|gitmod~\d+|gi7eba~\d+)$/,
    "git submodules: git reads other repositories from it",
  ],
];

/**
 * Why git treats `path` (slash-separated, as in a tree) as its own, naming the part that does,
 * or null for an ordinary path. Backslashes count as separators too, as they do on NTFS.
 */
export function gitOwnedPath(path: string): { at: string; why: string } | null {
  const parts = path.split("/");
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!;
    const at = parts.slice(0, i + 1).join("/");
    if (name === "" || name === "." || name === "..")
      return { at, why: "an empty, . or .. name: git refuses it in a tree" };
    for (const piece of name.split("\\")) {
      const n = normalise(piece);
      for (const [pattern, why] of KINDS) if (pattern.test(n)) return { at, why };
    }
  }
  return null;
}

/** Whether git refuses `path` in a tree outright (fsck's hasDotgit, hasDot, emptyName...). */
export function gitRefusesPath(path: string): boolean {
  const owned = gitOwnedPath(path);
  return owned !== null && (owned.why === DOT_GIT || owned.why.startsWith("an empty"));
}
