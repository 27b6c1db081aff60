/**
 * A commit's trees held in process, folder by folder, so that a commit changing a few files is
 * built without a git process: only the trees on the changed paths are written again (as loose
 * objects), every other subtree keeps its id. The same trees `update-index` + `write-tree` give
 * (test/integration/tree-objects.test.ts checks them against git's own), and the commit
 * object `commit-tree` would write.
 */

import { gitRefusesPath } from "./path-safety.ts";

/** One entry of a tree object: its mode as trees store it (40000 for a folder) and its id. */
export interface TreeObjectEntry {
  mode: string;
  sha: string;
}

/** Every folder of a commit ("" is the root) with its entries by name. Never modified in place. */
export type Folders = ReadonlyMap<string, ReadonlyMap<string, TreeObjectEntry>>;

/** A change to apply: a path and its new blob (mode 0: removed). */
export interface PathChange {
  path: string;
  mode: string;
  sha: string;
}

const FOLDER = "40000";

/** The folders of `ls-tree -r -t -z --full-tree <commit>` output. */
export function parseFolders(out: string): Folders {
  const folders = new Map<string, Map<string, TreeObjectEntry>>([["", new Map()]]);
  for (const record of out.split("\0")) {
    if (!record) continue;
    const tab = record.indexOf("\t");
    const [mode, type, sha] = record.slice(0, tab).split(" ") as [string, string, string];
    const path = record.slice(tab + 1);
    const [dir, name] = split(path);
    if (!folders.has(dir)) folders.set(dir, new Map());
    folders.get(dir)!.set(name, { mode: type === "tree" ? FOLDER : mode, sha });
    if (type === "tree" && !folders.has(path)) folders.set(path, new Map());
  }
  return folders;
}

function split(path: string): [string, string] {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? ["", path] : [path.slice(0, slash), path.slice(slash + 1)];
}

/**
 * The folders after `changes`, with the root tree's id; `write` stores a tree object and returns
 * its id. Folders left empty disappear, as git drops empty trees.
 */
export function applyChanges(
  folders: Folders,
  changes: readonly PathChange[],
  write: (body: Buffer) => string,
): { root: string; folders: Folders } {
  const next = new Map(folders) as Map<string, ReadonlyMap<string, TreeObjectEntry>>;
  const touched = new Map<string, Map<string, TreeObjectEntry>>();
  const editable = (dir: string) => {
    let entries = touched.get(dir);
    if (!entries) {
      entries = new Map(next.get(dir) ?? []);
      touched.set(dir, entries);
      next.set(dir, entries);
    }
    return entries;
  };
  const dropFolder = (path: string) => {
    for (const dir of [...next.keys()])
      if (dir === path || dir.startsWith(`${path}/`)) {
        next.delete(dir);
        touched.delete(dir);
      }
  };
  // The root is always written again: a commit changing nothing still names its tree.
  editable("");
  // Removals first: a folder emptied by them can then become a file or a link of that name.
  const ordered = [
    ...changes.filter((c) => c.mode === "0"),
    ...changes.filter((c) => c.mode !== "0"),
  ];
  for (const change of ordered) {
    if (gitRefusesPath(change.path))
      throw new Error(`git refuses the path ${JSON.stringify(change.path)} in a tree`);
    const [dir, name] = split(change.path);
    // Every folder on the way is written again, and made where it did not exist.
    for (let d = dir; ; d = split(d)[0]) {
      editable(d);
      if (d === "") break;
    }
    const entries = editable(dir);
    if (entries.get(name)?.mode === FOLDER) dropFolder(change.path); // a folder becomes a file
    if (change.mode === "0") entries.delete(name);
    else entries.set(name, { mode: change.mode, sha: change.sha });
  }
  // Deepest first, so each folder's id is known before its parent is written.
  const order = [...touched.keys()].sort((a, b) => depth(b) - depth(a));
  let root = "";
  for (const dir of order) {
    if (!next.has(dir)) continue;
    const entries = next.get(dir)!;
    if (dir === "") {
      root = write(serialise(entries));
      continue;
    }
    const [parent, name] = split(dir);
    const parentEntries = editable(parent);
    if (entries.size === 0) {
      next.delete(dir);
      parentEntries.delete(name);
    } else parentEntries.set(name, { mode: FOLDER, sha: write(serialise(entries)) });
  }
  return { root, folders: next };
}

function depth(dir: string): number {
  if (dir === "") return -1;
  let n = 0;
  for (const c of dir) if (c === "/") n++;
  return n;
}

/** A tree object's bytes: entries in git's order (a folder sorts as if its name ended in "/"). */
function serialise(entries: ReadonlyMap<string, TreeObjectEntry>): Buffer {
  const key = (name: string, e: TreeObjectEntry) =>
    Buffer.from(e.mode === FOLDER ? `${name}/` : name);
  const sorted = [...entries].sort(([a, x], [b, y]) => Buffer.compare(key(a, x), key(b, y)));
  return Buffer.concat(
    sorted.flatMap(([name, e]) => [Buffer.from(`${e.mode} ${name}\0`), Buffer.from(e.sha, "hex")]),
  );
}

/**
 * A commit object's bytes as `git commit-tree -m` writes them: one parent, author and committer
 * (name and email, as `git var` gives them) at `date` in the local time zone, the message ending
 * in one newline.
 */
export function commitBody(
  tree: string,
  parent: string,
  who: { author: string; committer: string },
  date: Date,
  message: string,
): string {
  const offset = -date.getTimezoneOffset();
  const abs = Math.abs(offset);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
  const when = `${Math.floor(date.getTime() / 1000)} ${offset < 0 ? "-" : "+"}${hhmm}`;
  for (const id of [tree, parent])
    if (!/^[0-9a-f]{40}$/.test(id))
      throw new Error(`not an object id for a commit: ${JSON.stringify(id)}`);
  const text = message.endsWith("\n") ? message : `${message}\n`;
  return `tree ${tree}\nparent ${parent}\nauthor ${who.author} ${when}\ncommitter ${who.committer} ${when}\n\n${text}`;
}
