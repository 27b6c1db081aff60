import {
  chmodSync,
  type Dirent,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { Git, TreeEntry } from "../git/git.ts";
import { formatBytes } from "../util/bytes.ts";
import { lstatQuiet } from "../util/fs-quiet.ts";
import { removeTree } from "./remove-tree.ts";

/** The access and modification time of everything in a slot before each run: 2000-01-01 UTC. */
export const TREE_TIME = 946_684_800;

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
  /** The tree last materialised: what sweep() leaves. */
  #wanted: ReadonlyMap<string, TreeEntry> | null = null;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Makes the directory hold exactly `commit`'s tree (minus paths `exclude` names, such as the
   * record under .autoexp/). Returns how many files were (re)written and removed. File system
   * calls are synchronous on purpose: hundreds of lstat calls through the thread pool cost more
   * than the work itself.
   */
  async materialise(
    git: Git,
    commit: string,
    exclude: (path: string) => boolean = () => false,
  ): Promise<{ written: number; removed: number }> {
    const entries = (await git.lsTree(commit)).filter((e) => !exclude(e.path));
    const wanted = new Map(entries.map((e) => [e.path, e]));
    this.#wanted = wanted;
    // The folder itself replaced by a link (an unsandboxed eval could): never write through it.
    const st = lstatQuiet(this.dir);
    if (st && !st.isDirectory()) {
      removeTree(this.dir);
      this.#written.clear();
    }
    mkdirSync(this.dir, { recursive: true });
    const removed = this.#prune(wanted);
    const stale = entries.filter((entry) => !this.#intact(entry));
    const bySha = new Map<string, TreeEntry[]>();
    for (const entry of stale) bySha.set(entry.sha, [...(bySha.get(entry.sha) ?? []), entry]);
    await git.forEachBlob([...bySha.keys()], (sha, bytes) => {
      for (const entry of bySha.get(sha) ?? []) this.#write(entry, bytes);
    });
    this.#blindTimes(wanted);
    return { written: stale.length, removed };
  }

  /**
   * Every file's, link's and folder's access and modification times set to TREE_TIME (blind
   * runs): a file rewritten for this run looked newer than the rest, and one an earlier run read
   * kept that read's access time, so an eval could tell a candidate's first run from the
   * incumbent's, a confirmation from a first run, and count its runs in a slot (ten files' access
   * times made a counter an outsider read in the loop and in verify). The change time cannot be
   * set: touching every entry before every run gives them all about the same one. Every entry,
   * even one whose times are already right: skipped, it would keep an older change time than a
   * file rewritten for this run, which is the tell. What it costs per run: 8 ms at 100 files, 20
   * ms at 1,000, 120-160 ms at 10,000, against 8, 10 and 56 ms before (bench/slot-prepare.ts).
   */
  #blindTimes(wanted: ReadonlyMap<string, TreeEntry>): void {
    const dirs = new Set<string>(["."]);
    for (const path of wanted.keys())
      for (let d = dirname(path); d !== "."; d = dirname(d)) dirs.add(d);
    for (const path of wanted.keys()) {
      try {
        lutimesSync(join(this.dir, path), TREE_TIME, TREE_TIME);
      } catch {
        continue; // Not there: the next materialise writes it.
      }
      const was = this.#written.get(path);
      const st = lstatQuiet(join(this.dir, path), true);
      if (was && st) {
        was.mtimeNs = st.mtimeNs;
        was.ctimeNs = st.ctimeNs;
      }
    }
    // Deepest first: setting a folder's times does not change its parent's.
    for (const dir of [...dirs].sort((a, b) => b.length - a.length))
      try {
        utimesSync(join(this.dir, dir), TREE_TIME, TREE_TIME);
      } catch {
        // Gone or unreadable: the next materialise removes and remakes it.
      }
  }

  /**
   * Removes what a run wrote beside the tree last materialised (outputs, caches, a file that
   * filled the disk), now rather than at the next materialise: the space is free before autoexp
   * writes its journal. Returns how many entries were removed.
   */
  sweep(): number {
    return this.#wanted ? this.#prune(this.#wanted) : 0;
  }

  #write(entry: TreeEntry, bytes: Buffer): void {
    const path = join(this.dir, entry.path);
    const place = () => {
      removeTree(path);
      mkdirSync(dirname(path), { recursive: true });
      if (entry.mode === "120000") symlinkSync(bytes.toString(), path);
      else writeFileSync(path, bytes, { mode: entry.mode === "100755" ? 0o755 : 0o644 });
    };
    try {
      place();
    } catch {
      // A folder on the way left read-only (by an agent or an eval): made writable again.
      for (let d = dirname(entry.path); d !== "."; d = dirname(d)) chmodQuiet(join(this.dir, d));
      chmodQuiet(this.dir);
      place();
    }
    const st = lstatSync(path, { bigint: true });
    this.#written.set(entry.path, {
      sha: entry.sha,
      mode: entry.mode,
      ino: Number(st.ino),
      size: Number(st.size),
      mtimeNs: st.mtimeNs,
      ctimeNs: st.ctimeNs,
    });
  }

  /**
   * Whether the file at `path` is still exactly what autoexp wrote there, and that was blob
   * `sha`: same inode, size, mtime and ctime. Lets a caller skip reading files nobody touched.
   */
  untouched(path: string, sha: string, mode: string): boolean {
    return this.#intact({ path, sha, mode });
  }

  #intact(entry: TreeEntry): boolean {
    const was = this.#written.get(entry.path);
    if (!was || was.sha !== entry.sha || was.mode !== entry.mode) return false;
    const st = lstatQuiet(join(this.dir, entry.path), true);
    return (
      st !== null &&
      Number(st.ino) === was.ino &&
      Number(st.size) === was.size &&
      st.mtimeNs === was.mtimeNs &&
      st.ctimeNs === was.ctimeNs
    );
  }

  /**
   * Removes everything that is not a wanted file (and everything under a wanted path's place):
   * whatever was left there, however deep, unreadable or oddly named (names are read as bytes,
   * so one that is not UTF-8 is removed too). Only the wanted folders are walked.
   */
  #prune(wanted: ReadonlyMap<string, TreeEntry>): number {
    const dirs = new Set<string>();
    for (const path of wanted.keys()) {
      for (let d = dirname(path); d !== "."; d = dirname(d)) dirs.add(d);
    }
    let removed = 0;
    const stack = [""];
    while (stack.length > 0) {
      const rel = stack.pop()!;
      const here = Buffer.from(rel ? join(this.dir, rel) : this.dir);
      let entries: Dirent<Buffer>[];
      try {
        entries = readdirSync(here, { withFileTypes: true, encoding: "buffer" });
      } catch {
        // A folder made unreadable: removed whole, and what belongs there written again.
        removeTree(here);
        if (!rel) mkdirSync(this.dir, { recursive: true });
        for (const path of [...this.#written.keys()])
          if (!rel || path.startsWith(`${rel}/`)) this.#written.delete(path);
        removed++;
        continue;
      }
      for (const entry of entries) {
        const name = entry.name.toString();
        const path = rel ? `${rel}/${name}` : name;
        const exact = Buffer.from(name).equals(entry.name);
        if (exact && entry.isDirectory() && dirs.has(path)) stack.push(path);
        else if (!exact || !wanted.has(path) || entry.isDirectory()) {
          removeTree(Buffer.concat([here, Buffer.from("/"), entry.name]));
          this.#written.delete(path);
          removed++;
        }
      }
    }
    return removed;
  }
}

function chmodQuiet(dir: string): void {
  try {
    chmodSync(dir, 0o755);
  } catch {
    // Not there, or not a folder: the retry says what is wrong.
  }
}

/** Files under a `node_modules/` folder a commit tracks, by top folder (committed by `git add -A`). */
export interface TrackedDependencies {
  folders: string[];
  files: number;
  bytes: number;
}

/**
 * What `commit` tracks under `node_modules/` folders: every slot and agent checkout holds the
 * commit's tracked files, so a committed install is copied into each of them. Null when none.
 */
export async function trackedDependencies(
  git: Git,
  commit: string,
): Promise<TrackedDependencies | null> {
  const listing = await git.run({
    args: ["ls-tree", "-r", "-l", "-z", "--full-tree", commit],
    parse: (out) => out.split("\0"),
  });
  const folders = new Set<string>();
  let files = 0;
  let bytes = 0;
  for (const entry of listing) {
    const tab = entry.indexOf("\t");
    const path = entry.slice(tab + 1);
    const at = path.indexOf("node_modules/");
    if (tab < 0 || (at > 0 && path[at - 1] !== "/") || at < 0) continue;
    folders.add(path.slice(0, at + "node_modules".length));
    files++;
    bytes += Number(entry.slice(0, tab).split(/ +/)[3]) || 0;
  }
  return files === 0 ? null : { folders: [...folders].sort(), files, bytes };
}

/** The warning for a committed install, with its size and the fix. */
export function dependenciesWarning(deps: TrackedDependencies): string {
  const names = deps.folders.join(" ");
  return `${names} ${deps.folders.length > 1 ? "are" : "is"} committed (${deps.files} files, ${formatBytes(deps.bytes)}): every eval slot and agent checkout gets its own copy. Untrack it and keep it out: git rm -r --cached ${names} && echo node_modules/ >> .gitignore && git commit -m "untrack node_modules"`;
}
