import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { explainFailure } from "../../action/engine/explain-failure.ts";
import { GitError } from "../../action/git/git.ts";
import { AutoexpError } from "../../action/util/errors.ts";
import { branchLog, exampleRepo, runCli } from "../helpers/repo.ts";

describe("a machine that fails under autoexp", () => {
  it("a git lock left behind: a message naming the file, no stack trace, and a resume after it is gone", () => {
    const repo = exampleRepo();
    expect(runCli(repo, ["run", "--tag", "lk", "--experiments", "1"]).code).toBe(0);
    const lock = join(repo, ".git", "refs", "heads", "autoexp", "lk.lock");
    writeFileSync(lock, "");
    const blocked = runCli(repo, ["run", "--tag", "lk", "--experiments", "1"]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain("git found a lock file left behind");
    expect(blocked.stderr).toContain("lk.lock");
    expect(blocked.stderr).not.toMatch(/\n\s+at /); // no stack trace
    rmSync(lock);
    const resumed = runCli(repo, ["run", "--tag", "lk", "--experiments", "1"]);
    expect(resumed.code).toBe(0);
    const rows = branchLog(repo, "lk").filter((e) => e.type === "result");
    expect(rows.map((r) => r.iteration)).toEqual([0, 1, 2, 3]);
  });

  it("disk and permission errors become messages that say what happened and how to resume", () => {
    const full = Object.assign(new Error("write failed"), { code: "ENOSPC", path: "/x/log.jsonl" });
    const explained = explainFailure(full, "night");
    expect(explained).toBeInstanceOf(AutoexpError);
    expect((explained as AutoexpError).message).toBe(
      "the disk is full (/x/log.jsonl). Everything recorded so far is kept; fix it, then run the same command again to resume tag night",
    );
    const readOnly = explainFailure(Object.assign(new Error("x"), { code: "EROFS" }), "t");
    expect((readOnly as Error).message).toMatch(/^the file system is read-only\./);
    const bug = new TypeError("a bug");
    expect(explainFailure(bug, "t")).toBe(bug);
    const gitLock = new GitError(
      ["update-ref"],
      "fatal: Unable to create '/r/.git/index.lock': File exists.",
    );
    expect((explainFailure(gitLock, "t") as Error).message).toContain("/r/.git/index.lock");
  });
});
