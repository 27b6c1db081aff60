// autoexp's own git never runs a filter the repository's config names (code an unsandboxed eval
// could plant in .git/config): the same command by plain git runs it, which is the witness.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addAll, refreshIndex, trackedChanges } from "../../action/git/commands/repo.ts";
import { Git } from "../../action/git/git.ts";
import { git, makeRepo } from "../helpers/repo.ts";

describe("autoexp's git and the repository's filters", () => {
  it("add, status and update-index --refresh run no clean filter; plain git does", async () => {
    const repo = makeRepo({ ".gitattributes": "*.txt filter=planted\n", "a.txt": "one\n" });
    const marker = join(repo, "..", `filter-ran-${Date.now()}`);
    git(repo, "config", "filter.planted.clean", `touch ${marker}; cat`);
    git(repo, "config", "filter.planted.smudge", `touch ${marker}; cat`);
    writeFileSync(join(repo, "a.txt"), "two\n");
    // The witness: git itself runs the planted filter on this tree.
    execFileSync("git", ["add", "-A"], { cwd: repo });
    expect(existsSync(marker)).toBe(true);
    execFileSync("git", ["reset", "-q"], { cwd: repo });
    rmSync(marker);
    writeFileSync(join(repo, "a.txt"), "three\n");
    const ours = new Git(repo);
    await ours.run(refreshIndex());
    expect(await ours.run(trackedChanges())).toEqual(["a.txt"]);
    await ours.run(addAll());
    expect(existsSync(marker)).toBe(false);
    // What autoexp staged are the file's own bytes, not a filter's.
    expect(git(repo, "show", ":a.txt")).toBe("three\n");
  });
});
