import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mergeFile, type TreeEntry } from "../git/commands/trees.ts";
import type { Git } from "../git/git.ts";
import { mergeLines } from "./merge-lines.ts";

/** The final code without one kept change, or why it cannot be built. */
export type Reverted =
  | { status: "reverted"; commit: string }
  | { status: "conflict"; paths: string[] }
  | { status: "superseded" };

/**
 * The final code with one kept change taken out, committed on the final code through a private
 * index (never in the user's checkout): each file the change touched is merged three-way, the
 * change's diff reverted onto the final code (base: the kept version, ours: its parent's, theirs:
 * the final code's), line by line where line counts allow (`mergeLines`), else `git merge-file`
 * (as rebase does). `.autoexp/` (the record) is left alone. Deterministic: contents only.
 */
export async function revertChange(
  repo: Git,
  change: { parent: string; commit: string; final: string; label: string },
  scratch: string,
): Promise<Reverted> {
  const [before, after, final] = await Promise.all(
    [change.parent, change.commit, change.final].map(async (c) => byPath(await repo.lsTree(c))),
  );
  const touched = [...new Set([...before!.keys(), ...after!.keys()])].filter(
    (p) => !p.startsWith(".autoexp/") && before!.get(p)?.sha !== after!.get(p)?.sha,
  );
  const shas = touched.flatMap((p) =>
    [before!.get(p), after!.get(p), final!.get(p)].flatMap((e) => (e ? [e.sha] : [])),
  );
  const blobs = await repo.readBlobs(shas);
  const blob = (e: TreeEntry | undefined) => (e ? (blobs.get(e.sha) ?? null) : null);
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const files: Record<string, { content: Buffer; mode: string } | null> = {};
  const conflicts: string[] = [];
  for (const path of touched) {
    const was = before!.get(path);
    const kept = after!.get(path);
    const now = final!.get(path);
    if (now?.sha === kept?.sha) {
      // The final code holds this file as the change left it: take the parent's version back.
      files[path] = was ? { content: blob(was)!, mode: was.mode } : null;
      continue;
    }
    if (now?.sha === was?.sha) continue; // already undone by a later change
    const [base, ours, theirs] = [blob(kept), blob(was), blob(now)];
    if (base === null || ours === null || theirs === null) {
      conflicts.push(path);
      continue;
    }
    const merged = await merge(repo, base, ours, theirs, scratch);
    if (merged === null) conflicts.push(path);
    else files[path] = { content: merged, mode: now!.mode };
  }
  await rm(scratch, { recursive: true, force: true });
  if (conflicts.length > 0) return { status: "conflict", paths: conflicts };
  const changed = Object.entries(files).filter(([p, f]) => !same(f, final!.get(p), blobs));
  if (changed.length === 0) return { status: "superseded" };
  const commit = await repo.commitFiles(
    change.final,
    Object.fromEntries(changed),
    join(scratch, "..", "attribute.index"),
    `autoexp attribute: the final code without ${change.label}`,
  );
  return { status: "reverted", commit };
}

async function merge(
  repo: Git,
  base: Buffer,
  ours: Buffer,
  theirs: Buffer,
  scratch: string,
): Promise<Buffer | null> {
  const lines = mergeLines(base.toString(), ours.toString(), theirs.toString());
  if (lines !== null) return Buffer.from(lines);
  const paths = ["ours", "base", "theirs"].map((n) => join(scratch, n));
  await Promise.all([
    writeFile(paths[0]!, ours),
    writeFile(paths[1]!, base),
    writeFile(paths[2]!, theirs),
  ]);
  const merged = await repo.run(mergeFile(paths[0]!, paths[1]!, paths[2]!));
  return merged === null ? null : Buffer.from(merged);
}

function byPath(entries: readonly TreeEntry[]): Map<string, TreeEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}

function same(
  file: { content: Buffer } | null,
  entry: TreeEntry | undefined,
  blobs: ReadonlyMap<string, Buffer>,
): boolean {
  if (file === null || !entry) return file === null && !entry;
  return blobs.get(entry.sha)?.equals(file.content) ?? false;
}
