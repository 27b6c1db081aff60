import { afterEach, describe, expect, it } from "vitest";
import { formatGainLine } from "../../action/ledger/render-verified.ts";
import type { SplitEntry } from "../../action/ledger/types.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { commentPayload, payload, startApp } from "../helpers/probot.ts";
import { branchLog, git, runCli } from "../helpers/repo.ts";
import { splitNight } from "../helpers/split-night.ts";

let fakes: FakeGitHub[] = [];
afterEach(() => {
  // Every request the App made must be one GitHub would accept.
  for (const f of fakes) expect(f.violations).toEqual([]);
  fakes = [];
});

/** The fake GitHub serves a branch of the real repository: every file it holds at its head. */
function serveBranch(fake: FakeGitHub, repo: string, branch: string) {
  const files = new Map<string, string>();
  for (const path of git(repo, "ls-tree", "-r", "--name-only", branch).trim().split("\n"))
    files.set(path, git(repo, "show", `${branch}:${path}`));
  fake.files.set(branch, files);
}

describe("split review: one draft PR per independent change set", () => {
  it("a night with 3 independent groups opens 3 draft PRs, each its branch built from base + its group and verified; redelivery opens nothing twice", async () => {
    // #1 and #3 set the same line of a.txt: conflicting, one group. #2 b.txt, #4 c.txt.
    const night = splitNight([
      ["a.txt", 5, 3],
      ["b.txt", 20, 2],
      ["a.txt", 5, 5],
      ["c.txt", 10, 4],
    ]);
    const { repo, config, env } = night;
    const run = runCli(repo, ["run", "--config", config, "--tag", "t"], env);
    expect(run.code, run.stderr).toBe(0);
    const split = runCli(repo, ["split", "--config", config, "--tag", "t", "--pairs", "2"], env);
    expect(split.code, split.stderr).toBe(0);
    const entry = branchLog(repo, "t").at(-1) as unknown as SplitEntry;
    expect(entry.groups.map((g) => g.iterations)).toEqual([[1, 3], [2], [4]]);
    expect(entry.groups.map((g) => g.gain.gain)).toEqual([5, 2, 4]);

    const fake = await startFakeGitHub();
    fakes.push(fake);
    for (const b of ["autoexp/t", "autoexp/t--1", "autoexp/t--2", "autoexp/t--3"])
      serveBranch(fake, repo, b);
    const probot = await startApp(fake);
    const push = (id: string, ref = "refs/heads/autoexp/t") =>
      probot.receive({
        id,
        name: "push",
        payload: payload("push", fake, (p) => {
          p.ref = ref;
          p.deleted = false;
        }),
      } as never);
    await push("p1");
    const groupPrs = fake.pulls.filter((p) => p.head !== "autoexp/t");
    expect(groupPrs.map((p) => [p.head, p.base, p.draft, p.state, p.labels])).toEqual([
      ["autoexp/t--1", "main", true, "open", ["autoexp"]],
      ["autoexp/t--2", "main", true, "open", ["autoexp"]],
      ["autoexp/t--3", "main", true, "open", ["autoexp"]],
    ]);
    const base = entry.base_commit;
    for (const [i, pr] of groupPrs.entries()) {
      const g = entry.groups[i]!;
      // The branch the PR proposes is the base plus its group's commits, and nothing else.
      expect(git(repo, "rev-parse", `${pr.head}~${g.iterations.length}`).trim()).toBe(base);
      expect(pr.body).toContain(`<!-- autoexp:split tag=t group=${g.n} -->`);
      expect(pr.body).toContain(
        `**Verified alone against the base: loss ${formatGainLine(g.gain, "minimize", entry.confidence)}**`,
      );
      for (const it of g.iterations)
        expect(pr.body).toMatch(new RegExp(`\\| ${it} \\| \\S+\\.txt line`));
    }
    expect(groupPrs[0]!.title).toBe("autoexp t · change set 1 of 3: #1, #3 (a.txt)");
    // The tag's PR links each change set's PR.
    const tagPr = fake.pulls.find((p) => p.head === "autoexp/t")!;
    expect(tagPr.body).toContain("### Split review (3 independent change set(s))");
    for (const [i, pr] of groupPrs.entries()) {
      const kept = entry.groups[i]!.iterations.map((n) => `#${n}`).join(", ");
      expect(tagPr.body).toContain(`| ${i + 1} | ${kept} |`);
      expect(tagPr.body).toContain(`| #${pr.number} |`);
    }

    // Redelivered (the same delivery and a new one), and a push of a change-set branch: nothing new.
    const writes = () =>
      fake.requests.filter((r) =>
        ["pulls/create", "pulls/update", "issues/add-labels"].includes(r.operationId),
      ).length;
    const before = writes();
    await push("p1");
    await push("p2");
    await push("p3", "refs/heads/autoexp/t--2");
    expect(fake.pulls).toHaveLength(4);
    expect(writes()).toBe(before);
  });

  it("/autoexp split dispatches the workflow to run `autoexp split` and answers in a sticky comment", async () => {
    const fake = await startFakeGitHub();
    fakes.push(fake);
    fake.files
      .get("main")!
      .set(
        "autoexp.yml",
        "name: n\ntarget: [a.txt]\neval: { command: x, metrics: { loss: { goal: minimize } } }\n",
      );
    fake.files.set("autoexp/night", new Map());
    fake.files.set("autoexp/night--1", new Map());
    fake.roles.set("alice", "write");
    const probot = await startApp(fake);
    await probot.receive({
      id: "c1",
      name: "issue_comment",
      payload: commentPayload(fake, "/autoexp split"),
    } as never);
    await probot.receive({
      id: "c1",
      name: "issue_comment",
      payload: commentPayload(fake, "/autoexp split"),
    } as never);
    expect(fake.dispatches).toEqual([
      {
        workflow_id: "autoexp.yml",
        ref: "main",
        inputs: { tag: "night", config: "autoexp.yml", request: "7:501", command: "split" },
      },
    ]);
    const answers = fake.comments.filter((c) => c.user === "autoexp[bot]");
    expect(answers).toHaveLength(1);
    expect(answers[0]!.body).toContain("@alice: started `autoexp split` of `autoexp/night`");
  });
});
