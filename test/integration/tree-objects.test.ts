import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Git } from "../../action/git/git.ts";
import { gitOwnedPath, gitRefusesPath } from "../../action/git/path-safety.ts";
import { git, makeRepo, tempDir } from "../helpers/repo.ts";

// Commits built in process (trees and commit written as loose objects) against what git itself
// builds from the same parent and changes through an index: the same trees, objects git's own
// fsck accepts, the identity git would use.

/** The tree git makes from `parent` with index entries applied (`<mode> <sha>\t<path>`). */
function treeByGit(repo: string, parent: string, entries: string[]): string {
  const env = { ...process.env, GIT_INDEX_FILE: join(tempDir(), "index") };
  execFileSync("git", ["read-tree", parent], { cwd: repo, env });
  execFileSync("git", ["update-index", "-z", "--index-info"], {
    cwd: repo,
    env,
    input: entries.map((e) => `${e}\0`).join(""),
  });
  return execFileSync("git", ["write-tree"], { cwd: repo, env, encoding: "utf8" }).trim();
}

const blob = (repo: string, text: string) =>
  execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: repo, input: text })
    .toString()
    .trim();

describe("commits built without a git process", () => {
  it("write the trees git writes: nested folders, names that sort around '/', modes, links, a submodule, folders emptied and made", async () => {
    const repo = makeRepo({
      "a.txt": "1\n",
      "a-b.txt": "2\n",
      "a/x.txt": "3\n",
      "a.b/y.txt": "4\n",
      "b/c/d/e.txt": "5\n",
      "b/keep.txt": "6\n",
      "run.sh": "echo\n",
      "deep/er/still/f.txt": "7\n",
    });
    git(repo, "update-index", "--chmod=+x", "run.sh");
    git(repo, "update-index", "--add", "--cacheinfo", `160000,${"c".repeat(40)},vendor/sub`);
    git(repo, "commit", "-qm", "exec bit and a submodule");
    const base = git(repo, "rev-parse", "HEAD").trim();
    const g = new Git(repo);
    const index = join(tempDir(), "index");

    const first = await g.commitFiles(
      base,
      {
        "a/x.txt": { content: "three\n" }, // changed in a folder
        a0: { content: "sorts after a/\n" }, // "a0" > "a/" but "a0" < "a.b"? git's order decides
        "new/deep/file.txt": { content: "made\n" }, // folders made
        "b/c/d/e.txt": null, // b/c/d and b/c left empty: dropped; b keeps keep.txt
        "run.sh": { content: "echo\n", mode: "100644" }, // exec bit removed
        link: { content: "a.txt", mode: "120000" },
        "deep/er/still/f.txt": null, // the whole chain emptied
      },
      index,
      "autoexp(t) #1 in process",
    );
    const expected = treeByGit(repo, base, [
      `100644 ${blob(repo, "three\n")}\ta/x.txt`,
      `100644 ${blob(repo, "sorts after a/\n")}\ta0`,
      `100644 ${blob(repo, "made\n")}\tnew/deep/file.txt`,
      `0 ${"0".repeat(40)}\tb/c/d/e.txt`,
      `100644 ${blob(repo, "echo\n")}\trun.sh`,
      `120000 ${blob(repo, "a.txt")}\tlink`,
      `0 ${"0".repeat(40)}\tdeep/er/still/f.txt`,
    ]);
    expect(git(repo, "rev-parse", `${first}^{tree}`).trim()).toBe(expected);
    expect(git(repo, "ls-tree", "--name-only", first).split("\n")).not.toContain("deep");
    expect(git(repo, "ls-tree", first, "vendor/sub")).toContain(`160000 commit ${"c".repeat(40)}`);

    // A second commit on the first: its folders are known without listing, and still right.
    const second = await g.commitFiles(
      first,
      {
        "new/deep/file.txt": { content: "again\n" },
        "a.b/y.txt": null,
        "a/z.txt": { sha: blob(repo, "z\n") },
      },
      index,
      "autoexp(t) #2 in process\n",
    );
    expect(git(repo, "rev-parse", `${second}^{tree}`).trim()).toBe(
      treeByGit(repo, first, [
        `100644 ${blob(repo, "again\n")}\tnew/deep/file.txt`,
        `0 ${"0".repeat(40)}\ta.b/y.txt`,
        `100644 ${blob(repo, "z\n")}\ta/z.txt`,
      ]),
    );

    // Objects git's strictest check accepts; the commit names git's identity, its parent and
    // the message with one final newline.
    execFileSync("git", ["fsck", "--strict", "--no-dangling"], { cwd: repo, stdio: "pipe" });
    const text = git(repo, "cat-file", "commit", second);
    expect(text).toMatch(
      new RegExp(
        `^tree [0-9a-f]{40}\\nparent ${first}\\nauthor Test <test@example.com> \\d+ [+-]\\d{4}\\ncommitter Test <test@example.com> \\d+ [+-]\\d{4}\\n\\nautoexp\\(t\\) #2 in process\\n$`,
      ),
    );
    const when = Number(/author .* (\d+) /.exec(text)![1]);
    expect(Math.abs(when - Date.now() / 1000)).toBeLessThan(60);
    expect(git(repo, "log", "--format=%s", "-3", second).trim().split("\n")).toEqual([
      "autoexp(t) #2 in process",
      "autoexp(t) #1 in process",
      "exec bit and a submodule",
    ]);
  });

  it("a commit changing nothing names its parent's tree; a folder replaced by a link gives git's tree; fsck --strict passes", async () => {
    const repo = makeRepo({ "lib/a.txt": "a\n", "lib/b/c.txt": "c\n", "top.txt": "t\n" });
    const base = git(repo, "rev-parse", "HEAD").trim();
    const g = new Git(repo);
    const index = join(tempDir(), "index");
    // What a link-only change used to give: no files to write, and a commit with no tree.
    const empty = await g.commitFiles(base, {}, index, "autoexp(t) #1 violation: only a link");
    expect(git(repo, "cat-file", "commit", empty)).toMatch(
      new RegExp(`^tree ${git(repo, "rev-parse", `${base}^{tree}`).trim()}\n`),
    );
    // The link sorts before the paths it replaces: removals go first whatever the order.
    const linked = await g.commitFiles(
      base,
      { lib: { content: "/etc", mode: "120000" }, "lib/a.txt": null, "lib/b/c.txt": null },
      index,
      "autoexp(t) #2 violation: lib as a link",
    );
    expect(git(repo, "rev-parse", `${linked}^{tree}`).trim()).toBe(
      treeByGit(repo, base, [
        `0 ${"0".repeat(40)}\tlib/a.txt`,
        `0 ${"0".repeat(40)}\tlib/b/c.txt`,
        `120000 ${blob(repo, "/etc")}\tlib`,
      ]),
    );
    execFileSync("git", ["fsck", "--strict", "--no-dangling"], { cwd: repo, stdio: "pipe" });
    git(repo, "update-ref", "refs/autoexp/t/1", empty); // git takes both as commits
    git(repo, "update-ref", "refs/autoexp/t/2", linked);
  });

  it("refuses every name git's fsck refuses as .git (cases, NTFS and HFS+ aliases), writing nothing", async () => {
    const repo = makeRepo({ "a.txt": "a\n" });
    const base = git(repo, "rev-parse", "HEAD").trim();
    const names = [
      ".git",
      ".GIT",
      ".Git",
      "git~1",
      "GIT~1",
      ".git.",
      ".git ",
      ".git. .",
      ".g\u200cit",
      "\ufeff.git",
      ".git::$INDEX_ALLOCATION",
      "x\\.git",
    ];
    const fine = ["git", ".github", "lib.git", ".gitx", "git~", ".gitignore"];
    const b = blob(repo, "x\n");
    // Every alias really is one to git: a tree holding it fails fsck --strict (hasDotgit).
    for (const name of names) {
      const probe = makeRepo({ "a.txt": "a\n" });
      const id = blob(probe, "x\n");
      execFileSync("git", ["mktree"], { cwd: probe, input: `100644 blob ${id}\t${name}\n` });
      expect(
        () => execFileSync("git", ["fsck", "--strict"], { cwd: probe, stdio: "pipe" }),
        name,
      ).toThrow(/hasDotgit/);
    }
    const g = new Git(repo);
    const index = join(tempDir(), "index");
    const before = git(repo, "count-objects", "-v");
    for (const name of names) {
      for (const path of [name, `lib/${name}/config`])
        await expect(g.commitFiles(base, { [path]: { sha: b } }, index, "m"), path).rejects.toThrow(
          /git refuses the path/,
        );
      expect(gitRefusesPath(`lib/${name}`), name).toBe(true);
    }
    expect(git(repo, "count-objects", "-v")).toBe(before);
    for (const name of fine) expect(gitRefusesPath(`lib/${name}`), name).toBe(false);
    // Attributes and submodules are git's too, though a tree may hold them: never taken.
    for (const name of [
      ".gitattributes",
      ".GitAttributes",
      "gitatt~1",
      ".gitmodules",
      "GITMOD~1",
      ".gitattributes.",
    ])
      expect(gitOwnedPath(`lib/${name}`)?.at, name).toBe(`lib/${name}`);
  });
});
