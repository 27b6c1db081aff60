import {
  chmodSync,
  constants,
  copyFileSync,
  mkdirSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { lstatQuiet, realPathQuiet } from "../util/fs-quiet.ts";
import { removeTree } from "./remove-tree.ts";

/**
 * Makes `into` hold a fresh copy of the working tree's tracked files (`tracked`, as `git ls-files`
 * lists them) as they are now, uncommitted edits included: what `check` runs the eval in, so that
 * no run reads an untracked file (a `.env`), writes into the user's tree, or leaves anything for
 * the next run. Whatever `into` held is removed first. The record (`.autoexp/`) is left out, as
 * from a batch's slot; a tracked file deleted from the tree, a submodule, or a path reached
 * through a folder replaced by a link (`sub -> ~/.ssh` over a tracked `sub/`) is not copied.
 * Symlinks are copied as links. Returns how many files were copied.
 */
export function copyWorkingTree(repo: string, tracked: readonly string[], into: string): number {
  removeTree(into);
  mkdirSync(into, { recursive: true });
  const root = realpathSync(repo);
  const real = new Map<string, boolean>();
  // Whether the folder `rel` of the tree is itself, not a link to somewhere else.
  const direct = (rel: string) => {
    let ok = real.get(rel);
    if (ok === undefined) {
      ok = realPathQuiet(join(repo, rel)) === (rel === "." ? root : join(root, rel));
      real.set(rel, ok);
    }
    return ok;
  };
  let copied = 0;
  for (const path of tracked) {
    if (path === ".autoexp" || path.startsWith(".autoexp/")) continue;
    if (!direct(dirname(path))) continue;
    const from = join(repo, path);
    const st = lstatQuiet(from);
    if (!st || !(st.isFile() || st.isSymbolicLink())) continue;
    const to = join(into, path);
    mkdirSync(dirname(to), { recursive: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else {
      copyFileSync(from, to, constants.COPYFILE_FICLONE);
      chmodSync(to, st.mode & 0o111 ? 0o755 : 0o644);
    }
    copied++;
  }
  return copied;
}
