import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { TreeDir } from "../../action/engine/materialise.ts";
import { removeTreeByParts } from "../../action/engine/remove-tree.ts";
import { Git } from "../../action/git/git.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

/** Every file and link under `dir`, as paths relative to it (directories are not listed). */
function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** A repo with nested, executable, symlinked and ignored files; returns it and its HEAD. */
function fixture() {
  const repo = makeRepo({
    "train.py": "print('train')\n",
    "model/net.py": "layers = 2\n",
    "model/deep/block.py": "width = 64\n",
    "run.sh": "#!/bin/sh\necho run\n",
    ".gitignore": "*.log\ncache/\n",
  });
  chmodSync(join(repo, "run.sh"), 0o755);
  symlinkSync("model/net.py", join(repo, "net-link.py"));
  git(repo, "add", "-A");
  git(repo, "commit", "--quiet", "-m", "mode, link");
  // Ignored and untracked files in the checkout: none may reach the tree.
  writeFiles(repo, {
    "train.log": "ignored\n",
    "cache/blob.bin": "ignored\n",
    "scratch.txt": "untracked\n",
  });
  return { repo, gitRepo: new Git(repo), head: git(repo, "rev-parse", "HEAD").trim() };
}

const TRACKED = [
  ".gitignore",
  "model/deep/block.py",
  "model/net.py",
  "net-link.py",
  "run.sh",
  "train.py",
];

/** Sets `path`'s atime and mtime to `like`'s, to the nanosecond. */
function touchLike(path: string, like: { atimeNs: bigint; mtimeNs: bigint }): void {
  const at = (ns: bigint) =>
    `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`;
  execFileSync("touch", ["-a", "-d", at(like.atimeNs), path]);
  execFileSync("touch", ["-m", "-d", at(like.mtimeNs), path]);
}

/** Waits until the file-system clock has surely moved on (ctime granularity is a jiffy). */
const tick = () => sleep(30);

describe("TreeDir: a directory holding exactly a commit's tracked files", () => {
  it("writes the commit's files with their bytes, modes and links, and nothing else", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    const result = await tree.materialise(gitRepo, head);
    expect(result).toEqual({ written: TRACKED.length, removed: 0 });
    expect(listTree(tree.dir)).toEqual(TRACKED);
    expect(existsSync(join(tree.dir, ".git"))).toBe(false);
    expect(readFileSync(join(tree.dir, "model/deep/block.py"), "utf8")).toBe("width = 64\n");
    expect(statSync(join(tree.dir, "run.sh")).mode & 0o111).not.toBe(0);
    expect(statSync(join(tree.dir, "train.py")).mode & 0o111).toBe(0);
    expect(lstatSync(join(tree.dir, "net-link.py")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(tree.dir, "net-link.py"))).toBe("model/net.py");
  });

  it("removes files an earlier run left, and files the next commit deleted", async () => {
    const { repo, gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    writeFiles(tree.dir, {
      "out.log": "left by the eval\n",
      "model/checkpoint.pt": "weights\n",
      "new/dir/file": "x\n",
    });
    mkdirSync(join(tree.dir, ".git"));
    const again = await tree.materialise(gitRepo, head);
    expect(again.removed).toBe(4);
    expect(again.written).toBe(0);
    expect(listTree(tree.dir)).toEqual(TRACKED);
    expect(existsSync(join(tree.dir, "new"))).toBe(false);
    expect(existsSync(join(tree.dir, ".git"))).toBe(false);

    git(repo, "rm", "--quiet", "-r", "model/deep");
    git(repo, "commit", "--quiet", "-m", "drop deep");
    const next = git(repo, "rev-parse", "HEAD").trim();
    const moved = await tree.materialise(gitRepo, next);
    expect(moved).toEqual({ written: 0, removed: 1 });
    expect(listTree(tree.dir)).toEqual(TRACKED.filter((p) => !p.startsWith("model/deep")));
  });

  it("reuses untouched files: the second materialise of the same commit writes nothing", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    const inode = statSync(join(tree.dir, "train.py")).ino;
    expect(await tree.materialise(gitRepo, head)).toEqual({ written: 0, removed: 0 });
    expect(statSync(join(tree.dir, "train.py")).ino).toBe(inode);
  });

  it("rewrites only the files that differ when it moves to another commit", async () => {
    const { repo, gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    writeFiles(repo, { "train.py": "print('train harder')\n" });
    git(repo, "commit", "--quiet", "-am", "edit");
    const next = git(repo, "rev-parse", "HEAD").trim();
    expect(await tree.materialise(gitRepo, next)).toEqual({ written: 1, removed: 0 });
    expect(readFileSync(join(tree.dir, "train.py"), "utf8")).toBe("print('train harder')\n");
  });

  it("rewrites a file modified in place even when its size and mtime were put back (ctime differs)", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    const path = join(tree.dir, "model/net.py");
    const before = statSync(path, { bigint: true });
    await tick();
    // Same length, same inode, and the old mtime restored to the nanosecond (utimensat, as
    // `touch -r` calls it; utimes from JavaScript rounds to microseconds): only ctime can tell.
    writeFileSync(path, "layers = 9\n");
    touchLike(path, before);
    const after = statSync(path, { bigint: true });
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.ino).toBe(before.ino);
    expect(after.size).toBe(before.size);
    expect(after.ctimeNs).not.toBe(before.ctimeNs);
    expect(await tree.materialise(gitRepo, head)).toEqual({ written: 1, removed: 0 });
    expect(readFileSync(path, "utf8")).toBe("layers = 2\n");
  });

  it("rewrites a file whose mode alone changed (chmod)", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    await tick();
    chmodSync(join(tree.dir, "train.py"), 0o755);
    expect((await tree.materialise(gitRepo, head)).written).toBe(1);
    expect(statSync(join(tree.dir, "train.py")).mode & 0o111).toBe(0);
  });

  it("rewrites a file replaced by another with the same bytes (a new inode)", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    const path = join(tree.dir, "train.py");
    writeFileSync(`${path}.new`, readFileSync(path));
    rmSync(path);
    writeFileSync(path, readFileSync(`${path}.new`));
    rmSync(`${path}.new`);
    expect((await tree.materialise(gitRepo, head)).written).toBeGreaterThanOrEqual(1);
  });

  it("replaces a directory turned into a symlink, without writing through the link", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    const outside = tempDir();
    writeFiles(outside, { "net.py": "outside\n", "deep/block.py": "outside\n" });
    rmSync(join(tree.dir, "model"), { recursive: true });
    symlinkSync(outside, join(tree.dir, "model"));
    const result = await tree.materialise(gitRepo, head);
    expect(result.removed).toBe(1);
    expect(result.written).toBe(2);
    expect(lstatSync(join(tree.dir, "model")).isDirectory()).toBe(true);
    expect(readFileSync(join(tree.dir, "model/net.py"), "utf8")).toBe("layers = 2\n");
    expect(listTree(tree.dir)).toEqual(TRACKED);
    // The link's target is untouched: nothing was written or removed through it.
    expect(listTree(outside)).toEqual(["deep/block.py", "net.py"]);
    expect(readFileSync(join(outside, "net.py"), "utf8")).toBe("outside\n");
  });

  it("replaces a file turned into a directory, and a directory turned into a file", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    rmSync(join(tree.dir, "train.py"));
    writeFiles(tree.dir, { "train.py/inner": "x\n" });
    rmSync(join(tree.dir, "model/deep"), { recursive: true });
    writeFileSync(join(tree.dir, "model/deep"), "now a file\n");
    await tree.materialise(gitRepo, head);
    expect(listTree(tree.dir)).toEqual(TRACKED);
    expect(readFileSync(join(tree.dir, "train.py"), "utf8")).toBe("print('train')\n");
    expect(readFileSync(join(tree.dir, "model/deep/block.py"), "utf8")).toBe("width = 64\n");
  });

  it("replaces a tracked file turned into a symlink to a file outside", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    const outside = join(tempDir(), "secret.txt");
    writeFileSync(outside, "print('train')\n");
    rmSync(join(tree.dir, "train.py"));
    symlinkSync(outside, join(tree.dir, "train.py"));
    await tree.materialise(gitRepo, head);
    expect(lstatSync(join(tree.dir, "train.py")).isFile()).toBe(true);
    expect(readFileSync(outside, "utf8")).toBe("print('train')\n");
  });

  it("removes what no rm -r by path can: a folder 420 deep past PATH_MAX, a name that is not UTF-8, a wanted folder turned into a link", async () => {
    const { gitRepo, head } = fixture();
    const tree = new TreeDir(join(tempDir(), "tree"));
    await tree.materialise(gitRepo, head);
    // Made as an agent makes it, walking down (no path this long can be opened at once).
    const name = "d".repeat(40);
    const walkDown = `const fs = require("node:fs");
      for (let i = 0; i < 420; i++) { fs.mkdirSync("${name}"); process.chdir("${name}"); }
      fs.writeFileSync("bottom.txt", "deep");`;
    execFileSync("node", ["-e", walkDown], { cwd: join(tree.dir, "model") });
    const odd = Buffer.concat([Buffer.from(`${tree.dir}/model/`), Buffer.from([0xff, 0xfe])]);
    writeFileSync(odd, "x\n");
    const outside = tempDir();
    writeFiles(outside, { "block.py": "width = 64\n" });
    rmSync(join(tree.dir, "model/deep"), { recursive: true });
    symlinkSync(outside, join(tree.dir, "model/deep"));
    // The attack is really there: the bottom cannot be read by its path, the odd name reads back
    // lossy (so removing it by that name would remove nothing).
    const bottom = join(tree.dir, "model", ...Array(420).fill(name));
    expect(() => readdirSync(bottom)).toThrow(/ENAMETOOLONG/);
    expect(readdirSync(join(tree.dir, "model")).sort()).toEqual([
      name,
      "deep",
      "net.py",
      "\ufffd\ufffd",
    ]);
    const again = await tree.materialise(gitRepo, head);
    expect(again.removed).toBeGreaterThanOrEqual(3);
    expect(listTree(tree.dir)).toEqual(TRACKED);
    expect(readdirSync(join(tree.dir, "model")).sort()).toEqual(["deep", "net.py"]);
    expect(lstatSync(join(tree.dir, "model/deep")).isDirectory()).toBe(true);
    expect(readdirSync(outside)).toEqual(["block.py"]);
  });

  it("removeTreeByParts (for a Node whose rm cannot) removes a tree past PATH_MAX with odd names, iteratively", () => {
    const top = join(tempDir(), "top");
    mkdirSync(top);
    const name = "e".repeat(50);
    const walkDown = `const fs = require("node:fs");
      for (let i = 0; i < 500; i++) {
        fs.mkdirSync("${name}"); fs.writeFileSync(Buffer.from([0xff, 0x30 + (i % 10)]), "x");
        process.chdir("${name}");
      }
      fs.symlinkSync("/", "root-link");`;
    execFileSync("node", ["-e", walkDown], { cwd: top });
    expect(() => readdirSync(join(top, ...Array(100).fill(name)))).toThrow(/ENAMETOOLONG/);
    removeTreeByParts(top);
    expect(existsSync(top)).toBe(false);
    expect(existsSync("/usr")).toBe(true); // the link was removed, not followed
    removeTreeByParts(top); // missing is fine
  });
});
