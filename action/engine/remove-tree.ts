import { randomBytes } from "node:crypto";
import { chmodSync, readdirSync, renameSync, rmSync } from "node:fs";

/** Below this many bytes of path under the top, a folder is removed where it is. */
const HOIST_AT = 1024;
const SLASH = Buffer.from("/");

/**
 * Removes `path` and everything under it, whatever an agent or an eval left there: folders
 * nested past PATH_MAX (where `rm -r` by full path fails with ENAMETOOLONG), folders with no
 * permissions, names that are not UTF-8 (pass the raw bytes as a Buffer). Missing is fine.
 * Iterative: no recursion depth to run out of. The usual case is one rmSync.
 */
export function removeTree(path: string | Buffer): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch {
    // Too deep for this Node's rm, or a folder it may not read or write in.
    removeTreeByParts(path);
  }
}

/**
 * removeTree without relying on rm: every folder made readable and writable, any folder past
 * HOIST_AT bytes below the top moved up under the top (a rename needs only two short paths), so
 * that the final rm only ever sees short paths. Exported for its test (Node 24's rm copes with
 * depth itself).
 */
export function removeTreeByParts(path: string | Buffer): void {
  const top = Buffer.from(path);
  const stack = [top];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    try {
      chmodSync(dir, 0o700);
    } catch {
      // Not ours to change, or not a folder: rmSync below says so if it matters.
    }
    let entries: import("node:fs").Dirent<Buffer>[];
    try {
      entries = readdirSync(dir, { withFileTypes: true, encoding: "buffer" });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      let child = Buffer.concat([dir, SLASH, entry.name]);
      if (child.length - top.length > HOIST_AT) {
        const moved = Buffer.concat([
          top,
          Buffer.from(`/.removing-${randomBytes(6).toString("hex")}`),
        ]);
        renameSync(child, moved);
        child = moved;
      }
      stack.push(child);
    }
  }
  rmSync(top, { recursive: true, force: true });
}
