import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { walkTree } from "../files/walk-tree.ts";

/** Entries watched per declared path at most; past that, the rest is not watched (said so). */
const MAX_ENTRIES = 200_000;

/**
 * Watches the declared read-only data (`isolation.read_only`) for any change, by anything, from
 * the start of the batch: each entry's size, mtime, ctime, inode and mode (a write, a chmod or a
 * rename changes the ctime, which no process can set back), and each link's target. Cheaper than
 * hashing gigabytes of data, and as strict: no content changes without its ctime. Returns the
 * check: null when nothing changed, else what changed.
 */
export function watchReadOnly(paths: readonly string[]): {
  check: () => string | null;
  warnings: string[];
} {
  const warnings: string[] = [];
  const take = (root: string) => {
    const { entries, cut } = manifest(root);
    if (cut)
      warnings.push(
        `read-only data ${root} holds more than ${MAX_ENTRIES} entries: only the first ${MAX_ENTRIES} are watched for changes`,
      );
    return entries;
  };
  const before = new Map(paths.map((p) => [p, take(p)]));
  return {
    warnings,
    check: () => {
      const changed: string[] = [];
      for (const [root, was] of before) {
        const now = manifest(root).entries;
        for (const [rel, stamp] of was)
          if (now.get(rel) !== stamp) changed.push(rel ? join(root, rel) : root);
        for (const rel of now.keys()) if (!was.has(rel)) changed.push(join(root, rel));
        if (changed.length >= 5) break;
      }
      if (changed.length === 0) return null;
      return `read-only data changed during the batch (${changed.slice(0, 5).join(", ")}${changed.length > 5 ? ", ..." : ""}): runs made since then measured other data, so they do not count and the batch stopped. Put the data back (or start a new tag for the new data)`;
    },
  };
}

function manifest(root: string): { entries: Map<string, string>; cut: boolean } {
  const entries = new Map<string, string>();
  entries.set("", stamp(root));
  let cut = false;
  walkTree(root, (rel) => {
    if (entries.size >= MAX_ENTRIES) {
      cut = true;
      return false;
    }
    entries.set(rel, stamp(join(root, rel)));
  });
  return { entries, cut };
}

function stamp(path: string): string {
  try {
    const st = lstatSync(path, { bigint: true });
    const link = st.isSymbolicLink() ? `:${readlinkSync(path)}` : "";
    // A folder's own times change when an entry is added or removed: its entries say that.
    const times = st.isDirectory() ? "" : `:${st.mtimeNs}:${st.ctimeNs}`;
    return `${st.mode}:${st.ino}:${st.isDirectory() ? "" : st.size}${times}${link}`;
  } catch {
    return "missing";
  }
}
