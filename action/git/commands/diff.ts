import type { Hunk } from "../../decide/split-groups.ts";
import type { GitCommand } from "../command.ts";

/**
 * The hunks between two commits, with no context lines (`diff -U0`), renames off: every changed
 * file with its line ranges in `from`'s and `to`'s numbering. A binary file is one `whole` hunk.
 * `exclude`: paths left out (a record folder, say).
 */
export const diffHunks = (
  from: string,
  to: string,
  exclude: readonly string[] = [],
): GitCommand<Hunk[]> => ({
  args: [
    "-c",
    "core.quotePath=false",
    "diff",
    "-U0",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    from,
    to,
    "--",
    ".",
    ...exclude.map((p) => `:(exclude)${p}`),
  ],
  parse: parseHunks,
});

/** Reads `git diff -U0` output. Exported for tests. */
export function parseHunks(out: string): Hunk[] {
  const hunks: Hunk[] = [];
  let file: string | null = null;
  let seen = 0;
  // A file with no hunk of its own (a mode change, an empty file): the whole file.
  const close = () => {
    if (file !== null && seen === hunks.length)
      hunks.push({ file, oldStart: 0, oldLines: 0, newStart: 0, newLines: 0, whole: true });
  };
  for (const line of out.split("\n")) {
    if (line.startsWith("diff --git ")) {
      close();
      seen = hunks.length;
      // "a/P b/P" with the same P on both sides (renames are off).
      const rest = line.slice("diff --git ".length);
      file = rest.slice(2, 2 + (rest.length - 5) / 2);
    } else if (line.startsWith("Binary files ") && file !== null) {
      hunks.push({ file, oldStart: 0, oldLines: 0, newStart: 0, newLines: 0, whole: true });
    } else if (line.startsWith("@@ ") && file !== null) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!m) continue;
      hunks.push({
        file,
        oldStart: Number(m[1]),
        oldLines: m[2] === undefined ? 1 : Number(m[2]),
        newStart: Number(m[3]),
        newLines: m[4] === undefined ? 1 : Number(m[4]),
      });
    }
  }
  close();
  return hunks;
}
