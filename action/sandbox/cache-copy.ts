import {
  copyFileSync,
  type Dirent,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { walkTree } from "../files/walk-tree.ts";

/** What a copied entry was when autoexp wrote it: a change since is a run's (inode, ctime). */
interface Written {
  ino: bigint;
  ctimeNs: bigint;
  /** The source entry it was copied from: a change there is copied again. */
  from: string;
}

/** What one `CacheCopy.sync()` found and undid, as paths relative to the cache. */
export interface CacheChanges {
  /** Entries a run changed, added or removed in the copy: put back to the cache's state. */
  run: string[];
  /** Entries the cache itself gained, lost or changed since the last sync: copied again. */
  source: string[];
}

/**
 * A run's own copy of a declared writable cache (`isolation.writable`): bound at the cache's path
 * in the sandbox instead of the cache itself, and put back to the cache's state before every
 * run, so that nothing a run writes there (a poisoned entry, a slow config) reaches the next run,
 * another worker, verify's base runs or the next tag. Entries nobody touched are kept (inode and
 * ctime as autoexp left them: a write, a chmod or a rename changes the ctime, which no process
 * can set back), so putting it back costs a walk plus what the last run changed.
 */
export class CacheCopy {
  readonly source: string;
  readonly target: string;
  #written = new Map<string, Written>();
  /** Folders autoexp made in the copy: one the source no longer has is the source's change. */
  #dirs = new Set<string>();
  #synced = false;

  constructor(source: string, target: string) {
    this.source = source;
    this.target = target;
    this.#load();
  }

  /**
   * What the copy held when the last process to sync it was done with it, kept beside it (out of
   * the sandbox's reach: only the copy itself is bound): a new batch, or `check`, copies what
   * changed since instead of the whole cache (a uv cache is gigabytes). An entry is trusted only
   * while its inode and ctime are as written, as within one process.
   */
  #load(): void {
    let saved: {
      written: [string, { ino: string; ctimeNs: string; from: string }][];
      dirs: string[];
    };
    try {
      saved = JSON.parse(readFileSync(this.#manifest(), "utf8"));
    } catch {
      return;
    }
    if (!Array.isArray(saved?.written) || !Array.isArray(saved?.dirs)) return;
    for (const [rel, w] of saved.written)
      this.#written.set(rel, { ino: BigInt(w.ino), ctimeNs: BigInt(w.ctimeNs), from: w.from });
    for (const d of saved.dirs) this.#dirs.add(d);
  }

  #save(): void {
    const written = [...this.#written].map(([rel, w]) => [
      rel,
      { ino: String(w.ino), ctimeNs: String(w.ctimeNs), from: w.from },
    ]);
    try {
      writeFileSync(this.#manifest(), JSON.stringify({ written, dirs: [...this.#dirs] }));
    } catch {
      // Not kept: the next process copies the cache whole, as before.
    }
  }

  #manifest(): string {
    return `${this.target}.copied.json`;
  }

  /**
   * Makes the copy equal the source again, and says what differed: what a run did to the copy,
   * and what changed in the cache itself. The first sync reports nothing (whatever a copy left
   * from an earlier batch holds is no run's). Synchronous on purpose: many small stat calls
   * through the thread pool cost more than the work itself.
   */
  sync(): CacheChanges {
    const run = new Set<string>();
    const source = new Set<string>();
    const [written, dirs] = [this.#written.size, this.#dirs.size];
    mkdirSync(this.target, { recursive: true });
    const wanted = new Map<string, Dirent>();
    walkTree(this.source, (rel, entry) => {
      wanted.set(rel, entry);
    });
    // What the copy holds that the source does not, or that a run changed: removed.
    walkTree(this.target, (rel, entry) => {
      const src = wanted.get(rel);
      const ours = entry.isDirectory() ? this.#dirs.has(rel) : this.#intact(rel);
      if (src && sameType(src, entry) && (entry.isDirectory() || ours)) return;
      rmSync(join(this.target, rel), { recursive: true, force: true });
      this.#written.delete(rel);
      this.#dirs.delete(rel);
      // Left as autoexp wrote it: the source moved on. Otherwise a run made or changed it.
      if (ours) source.add(rel);
      else run.add(rel);
    });
    // What is missing or stale: copied from the source, its times kept.
    for (const [rel, entry] of wanted) {
      const to = join(this.target, rel);
      const from = join(this.source, rel);
      if (entry.isDirectory()) {
        mkdirSync(to, { recursive: true });
        this.#dirs.add(rel);
        continue;
      }
      const stamp = stampOf(from);
      const was = this.#written.get(rel);
      const intact = was !== undefined && this.#intact(rel);
      if (intact && was.from === stamp) continue;
      if (was && !intact) run.add(rel);
      else if (!run.has(rel)) source.add(rel);
      rmSync(to, { recursive: true, force: true });
      if (entry.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
      else {
        copyFileSync(from, to);
        const st = lstatSync(from);
        utimesSync(to, st.atime, st.mtime);
      }
      const now = lstatSync(to, { bigint: true });
      this.#written.set(rel, { ino: now.ino, ctimeNs: now.ctimeNs, from: stamp });
    }
    // Entries gone from both (a run removed one the source dropped too) are forgotten.
    for (const rel of this.#written.keys()) if (!wanted.has(rel)) this.#written.delete(rel);
    // Kept for the next process only when this sync changed what the copy holds (it runs before
    // and after every eval run): every entry copied or removed is in `run` or `source`.
    if (run.size + source.size > 0 || this.#written.size !== written || this.#dirs.size !== dirs)
      this.#save();
    const first = !this.#synced;
    this.#synced = true;
    if (first) return { run: [], source: [] };
    return { run: [...run].sort(), source: [...source].sort() };
  }

  #intact(rel: string): boolean {
    const was = this.#written.get(rel);
    if (!was) return false;
    try {
      const st = lstatSync(join(this.target, rel), { bigint: true });
      return st.ino === was.ino && st.ctimeNs === was.ctimeNs;
    } catch {
      return false;
    }
  }
}

/** A source entry's identity: a change in the cache itself (by anything) is copied again. */
function stampOf(path: string): string {
  const st = lstatSync(path, { bigint: true });
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.mode}`;
}

function sameType(a: Dirent, b: Dirent): boolean {
  return (
    a.isDirectory() === b.isDirectory() &&
    a.isSymbolicLink() === b.isSymbolicLink() &&
    a.isFile() === b.isFile()
  );
}
