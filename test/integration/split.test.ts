import { describe, expect, it } from "vitest";
import type { SplitEntry } from "../../action/ledger/types.ts";
import { branchLog, git, runCli } from "../helpers/repo.ts";
import { splitNight } from "../helpers/split-night.ts";

// #1 and #3 set the same line of a.txt (conflicting: one group); #2 (b.txt) and #4 (c.txt) are
// independent, so are #5 (a.txt, 20 lines below #1).
const PLAN: [string, number, number][] = [
  ["a.txt", 5, 3],
  ["b.txt", 20, 2],
  ["a.txt", 5, 5],
  ["c.txt", 10, 4],
  ["a.txt", 25, 1],
];

const lineOf = (text: string, n: number) => text.split("\n")[n - 1];

describe("autoexp split", () => {
  it("builds one branch per independent change set on the base, each verified alone; conflicting changes stay together; a rerun reuses them", () => {
    const night = splitNight(PLAN);
    const { repo, config, env } = night;
    const run = runCli(repo, ["run", "--config", config, "--tag", "t"], env);
    expect(run.code, run.stderr).toBe(0);
    const kept = branchLog(repo, "t").filter((e) => e.type === "result" && e.status === "keep");
    expect(kept.map((e) => e.iteration)).toEqual([1, 2, 3, 4, 5]);

    const split = runCli(repo, ["split", "--config", config, "--tag", "t", "--pairs", "2"], env);
    expect(split.code, split.stderr).toBe(0);
    expect(split.stdout).toContain("4 independent change set(s):");
    // The kept experiments as every other surface lists them: "#1, #3".
    expect(split.stdout).toMatch(/autoexp\/t--1 [0-9a-f]{7}: #1, #3 \(a\.txt\)/);
    const log = branchLog(repo, "t");
    const entry = log.at(-1) as unknown as SplitEntry;
    expect(entry.type).toBe("split");
    expect(entry.groups.map((g) => [g.branch, g.iterations, g.files])).toEqual([
      ["autoexp/t--1", [1, 3], ["a.txt"]],
      ["autoexp/t--2", [2], ["b.txt"]],
      ["autoexp/t--3", [4], ["c.txt"]],
      ["autoexp/t--4", [5], ["a.txt"]],
    ]);
    // Each branch is the base plus its group's changes, one commit each, and nothing else.
    const base = String(log[0]!.base_commit);
    for (const g of entry.groups) {
      expect(git(repo, "rev-parse", g.branch).trim()).toBe(g.commit);
      const commits = git(repo, "rev-list", `${base}..${g.branch}`).trim().split("\n");
      expect(commits).toHaveLength(g.iterations.length);
      expect(
        git(repo, "rev-list", "--parents", "-1", `${g.branch}~${g.iterations.length}`).trim(),
      ).toBe(base);
      expect(git(repo, "ls-tree", "-r", "--name-only", g.branch)).not.toContain(".autoexp");
    }
    const at = (g: number, file: string, line: number) =>
      lineOf(night.show(`autoexp/t--${g}`, file), line);
    expect([at(1, "a.txt", 5), at(1, "a.txt", 25), at(1, "b.txt", 20)]).toEqual([
      "line 5 = 5",
      "line 25 = 0",
      "line 20 = 0",
    ]);
    expect([at(2, "b.txt", 20), at(2, "a.txt", 5)]).toEqual(["line 20 = 2", "line 5 = 0"]);
    expect([at(3, "c.txt", 10), at(4, "a.txt", 25), at(4, "a.txt", 5)]).toEqual([
      "line 10 = 4",
      "line 25 = 1",
      "line 5 = 0",
    ]);
    // Verified alone: each group's measured gain over the base is its own effect (exact eval).
    expect(entry.groups.map((g) => [g.gain.gain, g.gain.pairs, g.samples.base.length])).toEqual([
      [5, 2, 2],
      [2, 2, 2],
      [4, 2, 2],
      [1, 2, 2],
    ]);
    expect(entry.base_commit).toBe(base);
    expect(entry.final_commit).toBe(kept.at(-1)!.commit_full);

    // Again, with the same kept changes: the same branches and commits, nothing re-measured.
    const again = runCli(repo, ["split", "--config", config, "--tag", "t", "--pairs", "2"], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("(unchanged: reused)");
    const after = branchLog(repo, "t");
    expect(after.filter((e) => e.type === "split")).toHaveLength(1);
    for (const g of entry.groups) expect(git(repo, "rev-parse", g.branch).trim()).toBe(g.commit);
    // Read where a reviewer reads: the dashboard on the branch, and status, name each change set
    // with its effect alone (the gains above are the eval's exact effects).
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    expect(dashboard).toContain("### Independent change sets (4, `autoexp split`)");
    const row = dashboard.split("\n").find((l) => l.startsWith("| 1 | #1, #3 |"))!;
    expect(row).toMatch(
      /^\| 1 \| #1, #3 \| `a\.txt` \| [−+]?5\b.*over 2 pairs.* \| `autoexp\/t--1` \|$/,
    );
    const status = runCli(repo, ["status", "--config", config, "--tag", "t"], env);
    expect(status.stdout).toMatch(
      /^split: 4 change set\(s\), each verified alone: 1 \(#1, #3\) [−+]?5\b/m,
    );
    // The user's checkout was never touched.
    expect(git(repo, "status", "--porcelain")).toBe("");
    expect(git(repo, "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe("main");
  });
});
