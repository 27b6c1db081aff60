import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Git } from "../../action/git/git.ts";
import { publishChangeSets } from "../../action/github/change-sets.ts";
import { checkPushed, scopeOf } from "../../action/github/check-pushed.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// The commit checks of publish with real git: branches shaped as autoexp shapes them (a record
// commit per experiment, a kept candidate under its record), built by hand to hit the edge cases.

const config = { target: ["value.txt"], frozen: ["eval.py"] };
const scope = scopeOf("t", config);
const header = `${JSON.stringify({ type: "config", version: 1, tag: "t" })}\n`;
const row = (iteration: number, status: string, commit: string, description = "") =>
  `${JSON.stringify({ type: "result", iteration, status, commit: commit.slice(0, 7), commit_full: commit, diff: iteration > 0 ? `refs/autoexp/t/${iteration}` : null, description })}\n`;

/** Commits `files` on `parent` at a fixed second (so two lines can make the very same commit). */
function commitOn(repo: string, parent: string, files: Record<string, string>, message: string) {
  git(repo, "checkout", "--quiet", "--detach", parent);
  writeFiles(repo, files);
  git(repo, "add", "-A");
  const env = {
    ...process.env,
    GIT_AUTHOR_DATE: "@1700000000 +0000",
    GIT_COMMITTER_DATE: "@1700000000 +0000",
  };
  execFileSync("git", ["commit", "--quiet", "--allow-empty", "-m", message], { cwd: repo, env });
  return git(repo, "rev-parse", "HEAD").trim();
}

function setup() {
  const repo = makeRepo({ "value.txt": "100\n", "eval.py": "print('loss: 1')\n" });
  const main = git(repo, "rev-parse", "HEAD").trim();
  const log0 = header + row(0, "baseline", main);
  const r0 = commitOn(repo, main, { ".autoexp/t/log.jsonl": log0 }, "record #0");
  return { repo, main, log0, r0 };
}

describe("checkPushed with real git", () => {
  it("two lines that made the same candidate commit: the second line's keep of it is not a forgery", async () => {
    const { repo, main, log0, r0 } = setup();
    // Both lines propose the same change in the same second: one commit, two records of it.
    const c1 = commitOn(repo, r0, { "value.txt": "90\n" }, "#1: value -> 90");
    expect(commitOn(repo, r0, { "value.txt": "90\n" }, "#1: value -> 90")).toBe(c1);
    const logA = log0 + row(1, "keep", c1, "line A");
    const a = commitOn(repo, c1, { ".autoexp/t/log.jsonl": logA }, "record #1 A");
    const logB = log0 + row(1, "keep", c1, "line B");
    const b = commitOn(repo, c1, { ".autoexp/t/log.jsonl": logB }, "record #1 B");
    expect(git(repo, "merge-base", a, b).trim()).toBe(c1); // the fork is after the candidate
    const check = { scope, trusted: main, refs: { "refs/autoexp/t/1": c1 } };
    expect(await checkPushed(new Git(repo), { ...check, remoteHead: null, head: a })).toEqual([]);
    expect(await checkPushed(new Git(repo), { ...check, remoteHead: a, head: b })).toEqual([]);

    // A keep line B forged on top, naming a commit it never made, is still refused.
    const forged = commitOn(
      repo,
      b,
      { ".autoexp/t/log.jsonl": logB + row(2, "keep", main) },
      "record #2 B",
    );
    const refused = await checkPushed(new Git(repo), { ...check, remoteHead: a, head: forged });
    expect(refused.map((r) => [r.commit, r.path])).toEqual([[forged, ".autoexp/t/log.jsonl"]]);
    expect(refused[0]!.why).toMatch(/^row #2 \(keep\) names .* a keep without its code$/);
  });

  it("an experiment's ref carrying a workflow is refused; a violation's attempt kept for review is not", async () => {
    const { repo, main, log0, r0 } = setup();
    const pwn = commitOn(repo, r0, { ".github/workflows/pwn.yml": "on: push\n" }, "#1");
    const asDiscard = commitOn(
      repo,
      r0,
      { ".autoexp/t/log.jsonl": log0 + row(1, "discard", pwn) },
      "record #1",
    );
    const check = { scope, trusted: main, remoteHead: null, refs: { "refs/autoexp/t/1": pwn } };
    const refused = await checkPushed(new Git(repo), { ...check, head: asDiscard });
    expect(refused.map((r) => [r.commit, r.path])).toEqual([[pwn, ".github/workflows/pwn.yml"]]);
    const asViolation = commitOn(
      repo,
      r0,
      { ".autoexp/t/log.jsonl": log0 + row(1, "violation", pwn) },
      "record #1 violation",
    );
    expect(await checkPushed(new Git(repo), { ...check, head: asViolation })).toEqual([]);
  });

  it("a change set with a workflow is refused before anything is pushed", async () => {
    const { repo, main } = setup();
    const remote = tempDir();
    git(remote, "init", "--quiet", "--bare");
    git(repo, "push", "--quiet", remote, `${main}:refs/heads/main`);
    const bad = commitOn(
      repo,
      main,
      { "value.txt": "1\n", ".github/workflows/ci.yml": "on: push\n" },
      "#1",
    );
    git(repo, "update-ref", "refs/heads/autoexp/t--1", bad);
    git(repo, "checkout", "--quiet", "main");
    const before = git(remote, "for-each-ref");
    await expect(
      publishChangeSets({ repoDir: repo, tag: "t", remote, config, env: process.env }),
    ).rejects.toThrow(
      `${bad.slice(0, 7)}: .github/workflows/ci.yml is under .github/: workflows and repository settings never come from an experiment`,
    );
    expect(git(remote, "for-each-ref")).toBe(before);
  });
});
