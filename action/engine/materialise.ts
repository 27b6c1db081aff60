import { lstat, mkdir, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Git, TreeEntry } from "../git/git.ts";

/** What autoexp wrote at a path: the blob and the file's identity right after writing it. */
interface Written {
  sha: string;
  mode: string;
  ino: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * A directory holding exactly one commit's tracked files: no `.git`, no ignored files, nothing
 * left by an earlier run. Written by autoexp from git's blobs (no filters, no hooks). Reused
 * between runs only where a file is provably untouched since autoexp wrote it: same inode, size,
 * mtime and ctime (a process can reset mtime, but not ctime, without changing the clock; a
 * chmod changes ctime too).
 */
export class TreeDir {
  readonly dir: string;
  #written = new Map<string, Written>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Makes the directory hold exactly `commit`'s tree. Returns how many files were (re)written. */
  async materialise(git: Git, commit: string): Promise<{ written: number; removed: number }> {
    const entries = await git.lsTree(commit);
    const wanted = new Map(entries.map((e) => [e.path, e]));
    // The folder itself replaced by a link (an unsandboxed eval could): never write through it.
    const st = await lstat(this.dir).catch(() => null);
    if (st && !st.isDirectory()) {
      await rm(this.dir, { force: true });
      this.#written.clear();
    }
    await mkdir(this.dir, { recursive: true });
    const removed = await this.#prune(wanted);
    const stale: TreeEntry[] = [];
    for (const entry of entries) {
      if (!(await this.#intact(entry))) stale.push(entry);
    }
    const blobs = await git.readBlobs(stale.map((e) => e.sha));
    for (const entry of stale) {
      const path = join(this.dir, entry.path);
      await rm(path, { recursive: true, force: true });
      await mkdir(dirname(path), { recursive: true });
      const bytes = blobs.get(entry.sha)!;
      if (entry.mode === "120000") await symlink(bytes.toString(), path);
      else await writeFile(path, bytes, { mode: entry.mode === "100755" ? 0o755 : 0o644 });
      const st = await lstat(path, { bigint: true });
      this.#written.set(entry.path, {
        sha: entry.sha,
        mode: entry.mode,
        ino: Number(st.ino),
        size: Number(st.size),
        mtimeNs: st.mtimeNs,
        ctimeNs: st.ctimeNs,
      });
    }
    return { written: stale.length, removed };
  }

  async #intact(entry: TreeEntry): Promise<boolean> {
    const was = this.#written.get(entry.path);
    if (!was || was.sha !== entry.sha || was.mode !== entry.mode) return false;
    const st = await lstat(join(this.dir, entry.path), { bigint: true }).catch(() => null);
    return (
      st !== null &&
      Number(st.ino) === was.ino &&
      Number(st.size) === was.size &&
      st.mtimeNs === was.mtimeNs &&
      st.ctimeNs === was.ctimeNs
    );
  }

  /** Removes everything that is not a wanted file (and everything under a wanted path's place). */
  async #prune(wanted: ReadonlyMap<string, TreeEntry>): Promise<number> {
    const dirs = new Set<string>();
    for (const path of wanted.keys()) {
      for (let d = dirname(path); d !== "."; d = dirname(d)) dirs.add(d);
    }
    let removed = 0;
    const walk = async (rel: string): Promise<void> => {
      const here = rel ? join(this.dir, rel) : this.dir;
      for (const entry of await readdir(here, { withFileTypes: true })) {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory() && dirs.has(path)) {
          await walk(path);
        } else if (!wanted.has(path) || entry.isDirectory()) {
          await rm(join(this.dir, path), { recursive: true, force: true });
          this.#written.delete(path);
          removed++;
        }
      }
    };
    await walk("");
    return removed;
  }
}
