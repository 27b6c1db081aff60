import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Hunk } from "../decide/split-groups.ts";
import { diffHunks } from "../git/commands/diff.ts";
import { mergeFile } from "../git/commands/trees.ts";
import type { Git } from "../git/git.ts";
import { mergeLines } from "./merge-lines.ts";

/** One kept change: its commit, the code just before it, and what it says it did. */
export interface KeptChange {
  iteration: number;
  /** The kept commit (`commit_full`). */
  commit: string;
  /** The code it was built on: the kept commit before it, or the tag's base. */
  before: string;
  description: string;
  timestamp: string;
}

/** The record's own folder never travels with a change. */
const RECORD = ".autoexp";

/** Each kept change's hunks against the code just before it (the record folder left out). */
export async function changeHunks(repo: Git, changes: readonly KeptChange[]): Promise<Hunk[][]> {
  const out: Hunk[][] = [];
  for (const c of changes) out.push(await repo.run(diffHunks(c.before, c.commit, [RECORD])));
  return out;
}

type FileState = { content: Buffer; mode: string } | null;

/** The files `paths` as they are at `commit` (null: absent). */
async function filesAt(
  repo: Git,
  commit: string,
  paths: readonly string[],
): Promise<Map<string, FileState>> {
  const listing = new Map((await repo.lsTree(commit)).map((e) => [e.path, e]));
  const blobs = await repo.readBlobs(paths.flatMap((p) => listing.get(p)?.sha ?? []));
  return new Map(
    paths.map((p) => {
      const e = listing.get(p);
      return [p, e ? { content: blobs.get(e.sha)!, mode: e.mode } : null];
    }),
  );
}

/**
 * A branch's commits: on `base`, each change of the group re-applied in order, three-way per file
 * (the code before the change, the change, the group so far) as `rebase` re-applies a stale
 * candidate: line by line first (`mergeLines`), then `git merge-file`. One commit per change,
 * with the change's own timestamp as its date, so the same changes give the same commits.
 * Returns the last commit, or the files that did not merge.
 */
export async function buildGroup(
  repo: Git,
  env: Record<string, string | undefined>,
  base: string,
  changes: readonly KeptChange[],
  hunks: readonly Hunk[][],
  scratch: string,
): Promise<{ commit: string } | { conflicts: string[] }> {
  let head = base;
  const conflicts: string[] = [];
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    for (const [k, change] of changes.entries()) {
      const paths = [...new Set(hunks[k]!.map((h) => h.file))];
      const [was, mine, theirs] = await Promise.all([
        filesAt(repo, change.before, paths),
        filesAt(repo, change.commit, paths),
        filesAt(repo, head, paths),
      ]);
      const files: Record<string, { content: Buffer; mode: string } | null> = {};
      for (const path of paths) {
        const merged = await mergeOne(
          repo,
          was.get(path)!,
          mine.get(path)!,
          theirs.get(path)!,
          scratch,
        );
        if (merged === "conflict") conflicts.push(path);
        else if (merged !== "unchanged") files[path] = merged;
      }
      if (conflicts.length > 0) return { conflicts };
      const date = `@${Math.floor(Date.parse(change.timestamp) / 1000) || 0} +0000`;
      const dated = repo.withEnv({ ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
      head = await dated.commitFiles(
        head,
        files,
        join(scratch, "index"),
        `#${change.iteration}: ${change.description || "(no description)"}\n\nautoexp kept change ${change.commit}`,
      );
    }
    return { commit: head };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** One file of a change re-applied onto the group so far. */
async function mergeOne(
  repo: Git,
  base: FileState,
  mine: FileState,
  theirs: FileState,
  scratch: string,
): Promise<FileState | "unchanged" | "conflict"> {
  if (same(theirs, base)) return mine;
  if (same(theirs, mine)) return "unchanged";
  if (mine === null || base === null || theirs === null) return "conflict";
  const [b, o, t] = [base.content.toString(), mine.content.toString(), theirs.content.toString()];
  const lines = mergeLines(b, o, t);
  if (lines !== null) return { content: Buffer.from(lines), mode: mine.mode };
  const files = ["ours", "base", "theirs"].map((n) => join(scratch, n));
  await Promise.all([
    writeFile(files[0]!, mine.content),
    writeFile(files[1]!, base.content),
    writeFile(files[2]!, theirs.content),
  ]);
  const merged = await repo.run(mergeFile(files[0]!, files[1]!, files[2]!));
  return merged === null ? "conflict" : { content: Buffer.from(merged), mode: mine.mode };
}

function same(a: FileState, b: FileState): boolean {
  return a === null || b === null ? a === b : a.content.equals(b.content) && a.mode === b.mode;
}
