import { createHash } from "node:crypto";
import { type Dirent, readdirSync } from "node:fs";
import { lstat, mkdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Git, TreeEntry } from "../git/git.ts";
import { TreeDir } from "./materialise.ts";
import { removeTree } from "./remove-tree.ts";

/** One path the agent changed, as autoexp read it from the agent's checkout. */
export interface Change {
  path: string;
  kind: "added" | "modified" | "deleted";
  /** What is there now: a regular file's bytes, a link (never taken as a candidate), or nothing. */
  file:
    | { type: "file"; content: Buffer; mode: "100644" | "100755" }
    | { type: "other"; what?: string; link?: string }
    | null;
}

/** Folders nested deeper than this (beyond the commit's own) are not walked: a violation. */
export const MAX_DEPTH = 64;
/** Nor paths longer than this many bytes (PATH_MAX is 4096 with the checkout's own path). */
export const MAX_PATH_BYTES = 1024;
const TOO_DEEP = `folders nested past ${MAX_DEPTH} levels or ${MAX_PATH_BYTES} bytes of path, not read`;

function tooDeep(path: string): boolean {
  let depth = 1;
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) depth++;
  return depth > MAX_DEPTH || Buffer.byteLength(path) > MAX_PATH_BYTES;
}

/**
 * The agent's own copy of the incumbent: the commit's tracked files, a scratch folder for
 * prompts and answers, and for CLI tools a throwaway git of its own (so `git diff` works) that
 * shares no file with the user's `.git`. autoexp reads back only bytes from it; the agent's
 * index flags, excludes and hooks mean nothing to autoexp.
 */
export class AgentCheckout {
  readonly root: string;
  readonly scratch: string;
  readonly pidFile: string;
  #tree: TreeDir;
  #entries: TreeEntry[] = [];

  /** Where the commits' object stores for scratch repositories live (see Git.initScratchRepo). */
  readonly stores: string;
  /** The object store the scratch repository reads, once prepared with git; null without. */
  objects: string | null = null;

  constructor(root: string, stores = join(root, "..", "..", "agent-objects")) {
    this.root = root;
    this.stores = stores;
    this.scratch = join(root, "scratch");
    this.pidFile = join(root, "agent.pid");
    this.#tree = new TreeDir(join(root, "work"));
  }

  get dir(): string {
    return this.#tree.dir;
  }

  /** A clean copy of `commit`; with `withGit`, a private repository whose HEAD is that commit. */
  async prepare(repo: Git, commit: string, withGit: boolean): Promise<void> {
    removeTree(join(this.dir, ".git"));
    await this.#tree.materialise(repo, commit, isRecord);
    this.#entries = (await repo.lsTree(commit)).filter((e) => !isRecord(e.path));
    // The scratch folder persists: agents keep their last prompts and answers there for review.
    await mkdir(this.scratch, { recursive: true });
    this.objects = withGit ? await repo.initScratchRepo(this.dir, commit, this.stores) : null;
  }

  /**
   * What differs from the commit it was prepared from: every path, target or not. Walked
   * without recursion, names read as bytes; what cannot be a candidate's file is reported as
   * `other` with the reason (a link, a name that is not UTF-8, a folder it cannot read, folders
   * nested past MAX_DEPTH or a path past MAX_PATH_BYTES, which are not walked further).
   */
  async changes(): Promise<Change[]> {
    const before = new Map(this.#entries.map((e) => [e.path, e]));
    const trackedDirs = new Set<string>();
    for (const path of before.keys())
      for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1))
        trackedDirs.add(path.slice(0, i));
    const changes: Change[] = [];
    const seen = new Set<string>();
    const refuse = (path: string, what: string) =>
      changes.push({
        path,
        kind: before.has(path) ? "modified" : "added",
        file: { type: "other", what },
      });
    const stack = [""];
    while (stack.length > 0) {
      const rel = stack.pop()!;
      let entries: Dirent<Buffer>[];
      try {
        entries = readdirSync(Buffer.from(rel ? join(this.dir, rel) : this.dir), {
          withFileTypes: true,
          encoding: "buffer",
        });
      } catch (error) {
        refuse(rel, `a folder autoexp cannot read (${(error as NodeJS.ErrnoException).code})`);
        continue;
      }
      for (const entry of entries) {
        const name = entry.name.toString();
        const path = rel ? `${rel}/${name}` : name;
        if (!Buffer.from(name).equals(entry.name)) {
          refuse(path, "a name that is not UTF-8");
          continue;
        }
        if (path === ".git") continue; // the agent's own throwaway repository
        if (entry.isDirectory()) {
          if (!trackedDirs.has(path) && tooDeep(path)) refuse(path, TOO_DEEP);
          else stack.push(path);
          continue;
        }
        seen.add(path);
        const was = before.get(path);
        // Files the agent never touched keep the identity autoexp wrote them with: skip them.
        if (was && this.#tree.untouched(path, was.sha, was.mode)) continue;
        const change = await readChange(join(this.dir, path), path, was);
        if (change) changes.push(change);
      }
    }
    for (const [path] of before) {
      if (!seen.has(path)) changes.push({ path, kind: "deleted", file: null });
    }
    return changes.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** The bytes of a file of the checkout as it is now (null: not a regular file). */
  async read(path: string): Promise<Buffer | null> {
    const st = await lstat(join(this.dir, path)).catch(() => null);
    return st?.isFile() ? readFile(join(this.dir, path)) : null;
  }
}

/** The record under .autoexp/ is autoexp's: never in an agent's or an eval's copy. */
export function isRecord(path: string): boolean {
  return path.startsWith(".autoexp/");
}

async function readChange(
  full: string,
  path: string,
  was: TreeEntry | undefined,
): Promise<Change | null> {
  const st = await lstat(full);
  const kind = was ? "modified" : "added";
  if (st.isSymbolicLink()) {
    const link = await readlink(full);
    if (was?.mode === "120000" && blobSha(Buffer.from(link)) === was.sha) return null;
    return { path, kind, file: { type: "other", what: "a link", link } };
  }
  if (!st.isFile()) return { path, kind, file: { type: "other", what: "not a regular file" } };
  const content = await readFile(full);
  const mode = st.mode & 0o111 ? "100755" : "100644";
  if (was && was.mode === mode && blobSha(content) === was.sha) return null;
  return { path, kind, file: { type: "file", content, mode } };
}

/** git's object id for a blob holding `content`. */
function blobSha(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}
