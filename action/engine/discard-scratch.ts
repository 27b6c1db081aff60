import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { walkTree } from "../files/walk-tree.ts";
import { lstatQuiet } from "../util/fs-quiet.ts";
import { removeTree } from "./remove-tree.ts";

/** A file in an agent's scratch folder past this size is not a prompt or an answer: dropped. */
const SCRATCH_FILE_MAX = 16 * 1024 * 1024;

/**
 * What a killed or finished run left in the tag's folders that autoexp makes anew anyway: every
 * slot and rebase checkout, every agent's working copy, and any oversized file in an agent's
 * scratch folder (its prompts and answers stay for review). Run when a tag opens, after the
 * leftover processes are killed; the commits' object stores for scratch gits go too. Scratch that
 * filled the disk, or that no tool can walk (a 420-deep folder), can then not wedge the tag. Returns how many bytes were freed (about).
 */
export async function discardScratch(stateDir: string): Promise<number> {
  let freed = 0;
  for (const sub of ["slots", "rebase"]) {
    for (const name of await list(join(stateDir, sub))) {
      for (const part of ["tree", "caches"]) {
        const dir = join(stateDir, sub, name, part);
        freed += await sizeOf(dir);
        removeTree(dir);
      }
    }
  }
  // The commits' object stores agents' scratch gits read: made again on demand.
  freed += await sizeOf(join(stateDir, "agent-objects"));
  removeTree(join(stateDir, "agent-objects"));
  for (const name of await list(join(stateDir, "agents"))) {
    const work = join(stateDir, "agents", name, "work");
    freed += await sizeOf(work);
    removeTree(work);
    const scratch = join(stateDir, "agents", name, "scratch");
    for (const file of await list(scratch)) {
      const st = await lstat(join(scratch, file)).catch(() => null);
      if (st && (!st.isFile() || st.size > SCRATCH_FILE_MAX)) {
        freed += st.isFile() ? st.size : 0;
        removeTree(join(scratch, file));
      }
    }
  }
  return freed;
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** Bytes under `dir`, about: at most 100,000 entries are counted. */
async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  let seen = 0;
  walkTree(dir, (rel, e) => {
    if (e.isFile()) total += lstatQuiet(join(dir, rel))?.size ?? 0;
    return ++seen < 100_000;
  });
  return total;
}
