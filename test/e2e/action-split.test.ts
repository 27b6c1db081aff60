import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import type { AttributeEntry, SplitEntry } from "../../action/ledger/types.ts";
import { remoteAndClone, runAction } from "../helpers/action.ts";
import { startFakeGitHub } from "../helpers/fake-github.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";
import { splitNight } from "../helpers/split-night.ts";

function remoteLog(remote: string, tag: string) {
  return parseLog(git(remote, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`));
}

function remoteRefs(remote: string): string {
  return git(remote, "for-each-ref", "--format=%(refname) %(objectname)");
}

/**
 * A night whose kept changes fall in 3 independent groups (#1 and #3 set the same line of a.txt;
 * #2 b.txt; #4 c.txt), its config committed in the repository as the workflow expects, published
 * to a bare remote by the Action's run and publish modes.
 */
async function publishedNight() {
  const night = splitNight([
    ["a.txt", 5, 3],
    ["b.txt", 20, 2],
    ["a.txt", 5, 5],
    ["c.txt", 10, 4],
  ]);
  writeFiles(night.repo, {
    "autoexp.yml": `${readFileSync(night.config, "utf8")}verify: { pairs: 2 }\n`,
  });
  git(night.repo, "add", "autoexp.yml");
  git(night.repo, "commit", "--quiet", "-m", "autoexp config");
  const { remote, clone } = remoteAndClone(night.repo);
  const gpu = clone();
  const run = await runAction(gpu, { mode: "run", tag: "t" }, { env: night.env });
  expect(run.code, run.stdout).toBe(0);
  expect(run.outputs.kept).toBe("4");
  const pub = await runAction(gpu, { mode: "publish", tag: "t" });
  expect(pub.code, pub.stdout).toBe(0);
  return { remote, clone, env: night.env };
}

describe("/autoexp split and attribute through the Action: the GPU job measures, publish pushes", () => {
  it("split mode builds the change sets with no write access; publish pushes autoexp/<tag>--<n> before the record, and a rerun pushes nothing", async () => {
    const { remote, clone } = await publishedNight();
    const gpu = clone();
    git(gpu, "remote", "set-url", "--push", "origin", "/nonexistent/no-write.git");
    const temp = tempDir();
    const split = await runAction(gpu, { mode: "split", tag: "t" }, { runnerTemp: temp });
    expect(split.code, split.stdout).toBe(0);
    expect(split.outputs.change_sets).toBe("autoexp/t--1 autoexp/t--2 autoexp/t--3");
    expect(split.summary).toContain("3 independent change set(s) of `autoexp/t`");
    // Nothing reached the remote from the GPU job.
    expect(git(remote, "branch", "--list", "autoexp/t--*").trim()).toBe("");

    const handoff = join(temp, "autoexp-handoff");
    const pub = await runAction(clone(), { mode: "publish", tag: "t", handoff });
    expect(pub.code, pub.stdout).toBe(0);
    expect(pub.stdout).toContain("pushed autoexp/t--1, autoexp/t--2, autoexp/t--3 to origin");
    expect(pub.outputs.published).toBe("fast-forward");
    const entry = remoteLog(remote, "t").splits!.at(-1) as SplitEntry;
    expect(entry.groups.map((g) => g.iterations)).toEqual([[1, 3], [2], [4]]);
    for (const g of entry.groups) {
      // Each branch on the remote is the commit the split line names: base + its group.
      expect(git(remote, "rev-parse", g.branch).trim()).toBe(g.commit);
      expect(git(remote, "rev-parse", `${g.branch}~${g.iterations.length}`).trim()).toBe(
        entry.base_commit,
      );
    }
    // The change sets were pushed before the record that names them: each push is its own.
    expect(pub.stdout.indexOf("pushed autoexp/t--1")).toBeLessThan(
      pub.stdout.indexOf("pushed autoexp/t (fast-forward)"),
    );

    // The publish job rerun, and a second split on a fresh runner: the same commits, nothing new.
    const before = remoteRefs(remote);
    const again = await runAction(clone(), { mode: "publish", tag: "t", handoff });
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain(
      "autoexp/t--1, autoexp/t--2, autoexp/t--3 already on origin at the same commit",
    );
    expect(again.outputs.published).toBe("up-to-date");
    const temp2 = tempDir();
    const split2 = await runAction(clone(), { mode: "split", tag: "t" }, { runnerTemp: temp2 });
    expect(split2.code, split2.stdout).toBe(0);
    expect(split2.stdout).toContain("the same groups as last time; reused, nothing re-measured");
    const pub2 = await runAction(clone(), {
      mode: "publish",
      tag: "t",
      handoff: join(temp2, "autoexp-handoff"),
    });
    expect(pub2.code, pub2.stdout).toBe(0);
    expect(remoteRefs(remote)).toBe(before);

    // A change-set branch someone else moved is never force-pushed: the job fails and says why.
    const other = makeRepo({ "x.txt": "someone's own work\n" });
    git(other, "push", "--quiet", "--force", remote, "main:refs/heads/autoexp/t--2");
    const theirs = git(remote, "rev-parse", "autoexp/t--2").trim();
    git(remote, "update-ref", "-d", "refs/heads/autoexp/t--3");
    const blocked = await runAction(clone(), { mode: "publish", tag: "t", handoff });
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain(
      `::warning::autoexp/t--2 on origin is at ${theirs.slice(0, 7)}, which this split did not build on`,
    );
    expect(blocked.stdout).toContain(
      "::error::autoexp/t is published, but autoexp/t--2 could not be",
    );
    expect(git(remote, "rev-parse", "autoexp/t--2").trim()).toBe(theirs);
    // The others still went out.
    expect(git(remote, "rev-parse", "autoexp/t--3").trim()).toBe(entry.groups[2]!.commit);
  }, 240_000);

  it("attribute mode measures each kept change in the GPU job; publish brings the attribute line to the remote", async () => {
    const { remote, clone } = await publishedNight();
    const temp = tempDir();
    const github = await startFakeGitHub();
    const published = git(remote, "rev-parse", "autoexp/t").trim();
    const run = await runAction(
      clone(),
      { mode: "attribute", tag: "t", token: "ghs_faketoken" },
      {
        runnerTemp: temp,
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: `${github.owner}/${github.repo}`,
          GITHUB_RUN_ID: "4242",
        },
      },
    );
    expect(run.code, run.stdout).toBe(0);
    // The live status says what it will cost while it runs, then what it found (the App shows both).
    expect(github.violations).toEqual([]);
    expect(github.statuses.map((x) => [x.sha, x.context, x.state, x.description])).toEqual([
      [
        published,
        "autoexp/t",
        "pending",
        expect.stringMatching(/^attribute: 12 eval runs \(3 changes × 2 pairs × 2\), about /),
      ],
      [
        published,
        "autoexp/t",
        "success",
        expect.stringMatching(
          /^attribute: done; Attributed 4 kept change\(s\) of autoexp\/t: 12 eval runs/,
        ),
      ],
    ]);
    // The cost is said before anything runs: #1 no longer reverts (#3 rewrote its line).
    expect(run.stdout).toMatch(
      /attribute: will run 12 eval runs \(3 changes × 2 pairs × 2\), about .+ of eval time at .+ a run\n/,
    );
    const pub = await runAction(clone(), {
      mode: "publish",
      tag: "t",
      handoff: join(temp, "autoexp-handoff"),
    });
    expect(pub.code, pub.stdout).toBe(0);
    const entry = remoteLog(remote, "t").attributes!.at(-1) as AttributeEntry;
    // #3 rewrote #1's line, so #1 cannot be taken out alone; the others each carry their part.
    expect(entry.changes.map((c) => [c.iteration, c.status, c.effect?.gain ?? null])).toEqual([
      [1, "conflict", null],
      [2, "measured", 2],
      [3, "measured", 2],
      [4, "measured", 4],
    ]);
    expect(run.summary).toContain("Attributed 4 kept change(s) of `autoexp/t`");
    // No change-set branch: attribute builds none.
    expect(git(remote, "branch", "--list", "autoexp/t--*").trim()).toBe("");
  }, 240_000);
});
