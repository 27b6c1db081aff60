import { type Dirent, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Visits every entry under `root` (not root itself), a folder before what it holds, iteratively
 * (no depth limit, no stack overflow); `rel` is the entry's path relative to root. A folder that
 * cannot be read, or that the visit removed, is skipped. `visit` returning false ends the walk.
 */
export function walkTree(
  root: string,
  visit: (rel: string, entry: Dirent) => boolean | undefined,
): void {
  const stack = [""];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (visit(path, entry) === false) return;
      if (entry.isDirectory()) stack.push(path);
    }
  }
}
