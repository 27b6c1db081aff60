import { describe, expect, it } from "vitest";
import { listRefs, resolveRef, updateRefs } from "../../action/git/commands/refs.ts";
import { lsRemote } from "../../action/git/commands/remote.ts";
import { checkIgnore, trackedChanges } from "../../action/git/commands/repo.ts";
import {
  commitTree,
  linesDelta,
  lsTree,
  setIndexEntries,
} from "../../action/git/commands/trees.ts";
import { HARDEN } from "../../action/git/run-git.ts";

// Commands are data: what argv each runs, and how its output is read. Real git runs them in the
// integration tests; these pin the argv and the parsers without a process.
describe("git commands as data", () => {
  it("never lets a repository's hooks, fsmonitor or attributes run inside autoexp's git", () => {
    const pairs = HARDEN.filter((_, i) => i % 2 === 1);
    expect(pairs).toEqual(
      expect.arrayContaining([
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "core.attributesFile=/dev/null",
        "gc.auto=0",
      ]),
    );
  });

  it("moves refs in one transaction, naming the old value (or none) for each", () => {
    const cmd = updateRefs([
      { ref: "refs/heads/autoexp/t", sha: "b".repeat(40), old: "a".repeat(40) },
      { ref: "refs/autoexp/t/3", sha: "c".repeat(40), old: "" },
      { ref: "refs/autoexp/t/4", sha: "d".repeat(40) },
    ]);
    expect(cmd.args).toEqual(["update-ref", "--stdin"]);
    expect(cmd.input).toBe(
      `update refs/heads/autoexp/t ${"b".repeat(40)} ${"a".repeat(40)}\nupdate refs/autoexp/t/3 ${"c".repeat(40)} ${"0".repeat(40)}\nupdate refs/autoexp/t/4 ${"d".repeat(40)}\n`,
    );
  });

  it("reads tree listings with spaces and tabs in names, and skips submodules", () => {
    const out = `100644 blob ${"a".repeat(40)}\tdir/a file.py\x00120000 blob ${"b".repeat(40)}\tlink\x00160000 commit ${"c".repeat(40)}\tsub\0`;
    expect(lsTree("HEAD").parse(out)).toEqual([
      { mode: "100644", sha: "a".repeat(40), path: "dir/a file.py" },
      { mode: "120000", sha: "b".repeat(40), path: "link" },
    ]);
  });

  it("turns expected failures into results: a missing ref is null, nothing ignored is []", () => {
    expect(resolveRef("refs/heads/nope").onError?.(new Error("x"))).toBeNull();
    expect(checkIgnore(["a"], "/e", "/w").onError?.(new Error("exit 1"))).toEqual([]);
    expect(resolveRef("HEAD").parse("abc\n")).toBe("abc");
  });

  it("parses refs, remote refs, status lines and line counts", () => {
    expect(listRefs("refs/autoexp/t/").parse(`refs/autoexp/t/1 ${"a".repeat(40)}\n`)).toEqual({
      "refs/autoexp/t/1": "a".repeat(40),
    });
    expect(
      lsRemote("origin", "refs/heads/*").parse(`${"a".repeat(40)}\trefs/heads/main\n`),
    ).toEqual({
      "refs/heads/main": "a".repeat(40),
    });
    // "XY path": the first column may be a space, so lines are never trimmed whole.
    expect(trackedChanges().parse(" M train.py\nM  eval.py\n")).toEqual(["train.py", "eval.py"]);
    expect(linesDelta("a", "b").parse("3\t1\tx.py\n-\t-\tbin.dat\n0\t5\ty.py\n")).toEqual(-3);
  });

  it("builds index entries NUL-separated, and commits unsigned with every parent", () => {
    const set = setIndexEntries([{ mode: "100644", sha: "a".repeat(40), path: "x y" }], "/i");
    expect(set.env).toEqual({ GIT_INDEX_FILE: "/i" });
    expect(set.input).toBe(`100644 ${"a".repeat(40)}\tx y\0`);
    expect(commitTree("t", ["p1", "p2"], "m").args).toEqual([
      "commit-tree",
      "--no-gpg-sign",
      "t",
      "-p",
      "p1",
      "-p",
      "p2",
      "-m",
      "m",
    ]);
  });
});
