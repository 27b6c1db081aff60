import { createHash } from "node:crypto";
import { glob, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * sha256 of every file matching the frozen globs, ignored files included (a dataset the eval
 * reads is usually gitignored). Compared before and after every eval.
 */
export async function hashFrozen(
  root: string,
  globs: readonly string[],
): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  if (globs.length === 0) return hashes;
  const paths: string[] = [];
  for await (const entry of glob([...globs], {
    cwd: root,
    withFileTypes: true,
    exclude: (d) => d.name === ".git",
  })) {
    if (entry.isFile()) paths.push(join(entry.parentPath, entry.name).slice(root.length + 1));
  }
  for (const path of paths.sort()) hashes[path] = await hashFile(join(root, path));
  return hashes;
}

async function hashFile(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Names what differs between two frozen manifests, or returns [] when they are identical. */
export function diffManifests(
  before: Record<string, string>,
  after: Record<string, string>,
): string[] {
  const changed: string[] = [];
  for (const [path, hash] of Object.entries(before)) {
    if (after[path] === undefined) changed.push(`${path} deleted`);
    else if (after[path] !== hash) changed.push(`${path} modified`);
  }
  for (const path of Object.keys(after))
    if (before[path] === undefined) changed.push(`${path} added`);
  return changed;
}

/** A key for "this exact code was already evaluated": the target files' paths and bytes. */
export async function contentKey(root: string, paths: readonly string[]): Promise<string> {
  return contentKeyOf(paths, (path) => readFile(join(root, path)).catch(() => null));
}

/** The same key, with the bytes read by `read` (null: the file is gone). */
export async function contentKeyOf(
  paths: readonly string[],
  read: (path: string) => Promise<Buffer | null>,
): Promise<string> {
  const hash = createHash("sha256");
  for (const path of [...paths].sort()) {
    const bytes = await read(path);
    hash
      .update(path)
      .update("\0")
      .update(bytes ?? "\u0000deleted")
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}
