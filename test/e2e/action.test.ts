import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { remoteAndClone, runAction } from "../helpers/action.ts";
import { exampleRepo, git, makeRepo, tempDir } from "../helpers/repo.ts";

function remoteLog(remote: string, tag: string) {
  return parseLog(git(remote, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`));
}

function remoteRefs(remote: string): string {
  return git(remote, "for-each-ref", "--format=%(refname) %(objectname)");
}

describe("the Action, run from dist/ as the runner runs it, against a bare remote", () => {
  it("batch 1 creates autoexp/<tag> with the record, batch 2 on a fresh checkout resumes it; outputs and summary agree with the ledger", async () => {
    const { remote, clone } = remoteAndClone(exampleRepo());

    // Night 1, batch 1: the GPU job runs, the publish job (another checkout) pushes.
    const gpu1 = clone();
    const temp1 = tempDir();
    const run1 = await runAction(
      gpu1,
      { mode: "run", tag: "night", experiments: "3" },
      { runnerTemp: temp1, env: { ANTHROPIC_API_KEY: "sk-ant-e2e-0123456789" } },
    );
    expect(run1.code, run1.stdout).toBe(0);
    // Credentials are masked in the log before anything runs.
    expect(run1.stdout.split("\n")[0]).toBe("::add-mask::sk-ant-e2e-0123456789");
    expect(run1.outputs).toMatchObject({ tag: "night", branch: "autoexp/night", experiments: "3" });
    expect(run1.stdout).toMatch(/::group::\[1\/3\] #1 \w+ +val_loss /);
    expect(run1.stdout).toContain("::endgroup::");
    expect(run1.stdout).toContain("triggered by workflow_dispatch (");
    expect(run1.stdout).toMatch(/progress: 3\/3 done, best val_loss /);
    // The GPU job pushed nothing: it holds no write token in the recommended setup.
    expect(git(remote, "branch", "--list", "autoexp/*").trim()).toBe("");
    const handoff = join(temp1, "autoexp-handoff");
    expect(run1.outputs.handoff).toBe(handoff);
    expect(JSON.parse(readFileSync(join(handoff, "handoff.json"), "utf8"))).toMatchObject({
      tag: "night",
      experiments: 3,
    });

    const publisher = clone();
    const pub1 = await runAction(publisher, { mode: "publish", tag: "night", handoff });
    expect(pub1.code, pub1.stdout).toBe(0);
    expect(pub1.outputs).toMatchObject({ tag: "night", published: "created", experiments: "3" });
    const log1 = remoteLog(remote, "night");
    expect(log1.results.map((r) => r.iteration)).toEqual([0, 1, 2, 3]);
    for (const r of log1.results.slice(1).filter((r) => r.diff))
      expect(git(remote, "rev-parse", r.diff!).trim()).toBe(r.commit_full);

    // Batch 2: a fresh checkout resumes the tag from the remote.
    const gpu2 = clone();
    const temp2 = tempDir();
    const run2 = await runAction(
      gpu2,
      { mode: "run", tag: "night", experiments: "2" },
      { runnerTemp: temp2 },
    );
    expect(run2.code, run2.stdout).toBe(0);
    expect(run2.stdout).toContain("resuming autoexp/night from origin");
    const pub2 = await runAction(clone(), {
      mode: "publish",
      tag: "night",
      handoff: join(temp2, "autoexp-handoff"),
    });
    expect(pub2.outputs).toMatchObject({ published: "fast-forward", experiments: "5" });
    const log2 = remoteLog(remote, "night");
    expect(log2.results.map((r) => r.iteration)).toEqual([0, 1, 2, 3, 4, 5]);

    // The outputs of batch 2 are the ledger's figures.
    const kept = log2.results.filter((r) => r.status === "keep" || r.status === "simplification");
    expect(Number(run2.outputs.kept)).toBe(kept.length);
    expect(run2.outputs.experiments).toBe("2");
    expect(Number(run2.outputs.baseline)).toBe(log2.results[0]!.score);
    const best = kept.at(-1) ?? log2.results[0]!;
    expect(Number(run2.outputs.best)).toBeCloseTo(best.score!, 12);
    const pct =
      ((Number(run2.outputs.best) - log2.results[0]!.score!) / Math.abs(log2.results[0]!.score!)) *
      100;
    expect(Number(run2.outputs.improvement)).toBeCloseTo(pct, 3);
    expect(run2.outputs.stop_reason).toBe("experiments budget reached (2)");
    // The summary: what this batch spent per kept improvement, then the dashboard, chart included.
    const dashboard = git(remote, "show", "autoexp/night:.autoexp/night/dashboard.md");
    const [lead, ...rest] = run2.summary.split("\n\n");
    expect(rest.join("\n\n").trim()).toBe(dashboard.trim());
    const batch2 = log2.results.slice(4);
    const kept2 = batch2.filter((r) => r.status === "keep" || r.status === "simplification");
    // GPU hours: every eval run batch 2 recorded, the incumbent's beside its candidates (paired,
    // the default: re-measure lines) as much as the candidates' own.
    const batch1End = log2.batches.find((b) => b.event === "end")!.timestamp;
    const inBatch2 = log2.remeasures.filter((m) => m.timestamp > batch1End);
    const hours =
      (batch2.reduce((s, r) => s + r.eval_seconds, 0) +
        inBatch2.reduce((s, m) => s + m.eval_seconds, 0)) /
      3600;
    const gpuH = (h: number) => String(Number(h.toPrecision(2)));
    expect(lead).toBe(
      `**This batch:** 2 experiment(s), ${kept2.length} kept · agent $0.00 · ${gpuH(hours)} GPU h of evals · ${kept2.length > 0 ? `per kept improvement: $0.00 and ${gpuH(hours / kept2.length)} GPU h` : "no kept improvement for it"}`,
    );
    expect(run2.summary).toContain("```mermaid");
  }, 120_000);

  it("two publishers racing on one tag: both batches end up on the remote, nothing lost, nothing twice", async () => {
    const { remote, clone } = remoteAndClone(exampleRepo());
    const first = clone();
    await runAction(first, { mode: "run", tag: "race", experiments: "2" });
    await runAction(first, { mode: "publish", tag: "race" });
    // Two runners start from the same published state and run a batch each.
    const a = clone();
    const b = clone();
    const ta = tempDir();
    const tb = tempDir();
    const [ra, rb] = await Promise.all([
      runAction(a, { mode: "run", tag: "race", experiments: "3" }, { runnerTemp: ta }),
      runAction(b, { mode: "run", tag: "race", experiments: "2" }, { runnerTemp: tb }),
    ]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const batchRefs = (dir: string) =>
      git(dir, "for-each-ref", "--format=%(objectname)", "refs/autoexp/race/").trim().split("\n");
    const candidates = new Set([...batchRefs(a), ...batchRefs(b)]);
    // Both publish at once.
    const [pa, pb] = await Promise.all([
      runAction(clone(), { mode: "publish", tag: "race", handoff: join(ta, "autoexp-handoff") }),
      runAction(clone(), { mode: "publish", tag: "race", handoff: join(tb, "autoexp-handoff") }),
    ]);
    expect([pa.code, pb.code], pa.stdout + pb.stdout).toEqual([0, 0]);
    expect([pa.outputs.published, pb.outputs.published].sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/created|fast-forward/), "merged"]),
    );
    const log = remoteLog(remote, "race");
    // 2 + 3 + 2 experiments, numbered 0..7 once each.
    expect(log.results.map((r) => r.iteration)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Every candidate of both batches is on the remote under exactly one ref.
    const onRemote = remoteRefs(remote)
      .split("\n")
      .filter((l) => l.startsWith("refs/autoexp/race/"));
    const shas = onRemote.map((l) => l.split(" ")[1]);
    for (const sha of candidates) expect(shas).toContain(sha);
    // Each experiment's ref is named by exactly one ledger row, and each row names its own.
    const diffs = log.results.flatMap((r) => (r.diff ? [r.diff] : []));
    expect(new Set(diffs).size).toBe(diffs.length);
    expect(onRemote.map((l) => l.split(" ")[0]).sort()).toEqual([...diffs].sort());
    for (const r of log.results.filter((r) => r.diff))
      expect(git(remote, "rev-parse", r.diff!).trim()).toBe(r.commit_full);
    // The second batch's keeps could not move the branch: recorded, with the reason.
    const merged = log.results.slice(6);
    for (const r of merged) expect(r.status).not.toBe("keep");
    // The branch's code is the last kept candidate of the lineage it follows.
    const lastKept = log.results.findLast((r) => r.status === "keep" || r.status === "baseline")!;
    expect(git(remote, "show", "autoexp/race:train.js")).toBe(
      git(remote, "show", `${lastKept.commit_full}:train.js`),
    );
  }, 120_000);

  it("a run killed mid-batch, then published: everything before the experiment in flight is on the branch", async () => {
    const { remote, clone } = remoteAndClone(exampleRepo());
    const gpu = clone();
    const temp = tempDir();
    const handoff = join(temp, "autoexp-handoff");
    const run = await runAction(
      gpu,
      { mode: "run", tag: "killed", experiments: "200" },
      {
        runnerTemp: temp,
        onStart: (kill) => {
          const timer = setInterval(() => {
            const file = join(handoff, "handoff.json");
            if (existsSync(file) && JSON.parse(readFileSync(file, "utf8")).experiments >= 3) {
              clearInterval(timer);
              kill();
            }
          }, 20);
        },
      },
    );
    expect(run.signal).toBe("SIGKILL");
    const local = parseLog(git(gpu, "show", "autoexp/killed:.autoexp/killed/log.jsonl"));
    const pub = await runAction(clone(), { mode: "publish", tag: "killed", handoff });
    expect(pub.code, pub.stdout).toBe(0);
    const published = remoteLog(remote, "killed");
    expect(published.results.length - 1).toBeGreaterThanOrEqual(3);
    // What the handoff held is what the local branch held, at most the one in flight short.
    expect(published.results.length).toBeGreaterThanOrEqual(local.results.length - 1);
    expect(local.results.slice(0, published.results.length).map((r) => r.commit)).toEqual(
      published.results.map((r) => r.commit),
    );
  }, 120_000);
});

describe("the Action's run job without read access to the remote", () => {
  it("resumes from what checkout fetched (refs/remotes/origin/autoexp/<tag>)", async () => {
    const { remote, clone } = remoteAndClone(exampleRepo());
    const first = clone();
    expect((await runAction(first, { mode: "run", tag: "ro", experiments: "2" })).code).toBe(0);
    expect((await runAction(first, { mode: "publish", tag: "ro" })).code).toBe(0);
    const gpu = clone(); // a full clone has refs/remotes/origin/autoexp/ro
    git(gpu, "remote", "set-url", "origin", "/nonexistent/no-access.git");
    const run = await runAction(gpu, { mode: "run", tag: "ro", experiments: "1" });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      "origin cannot be read from this job; resuming from refs/remotes/origin/autoexp/ro",
    );
    const log = parseLog(git(gpu, "show", "autoexp/ro:.autoexp/ro/log.jsonl"));
    expect(log.results.map((r) => r.iteration)).toEqual([0, 1, 2, 3]);
    expect(remoteLog(remote, "ro").results).toHaveLength(3);
  }, 60_000);
});

describe("the Action refuses bad input with a clear failure, pushes nothing, loses nothing", () => {
  it.each([
    [
      { mode: "deploy" },
      'input mode: mode must be run, verify, attribute, split or publish, not "deploy"',
    ],
    [{ tag: "x;rm -rf /" }, 'input tag: invalid tag "x;rm -rf /"'],
    [
      { experiments: "ten" },
      "input experiments: experiments must be a whole number from 1 to 999999",
    ],
    [
      { remote: "--upload-pack=touch /tmp/pwned" },
      "input remote: remote must be a git remote name like origin",
    ],
    [{ config: "missing.yml" }, "input config: missing.yml not found in"],
    [{ config: "../outside.yml" }, "input config: config must be a path inside the repository"],
  ])("%j", async (inputs, message) => {
    const { remote, clone } = remoteAndClone(exampleRepo());
    const before = remoteRefs(remote);
    const run = await runAction(clone(), { mode: "run", ...inputs });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain(`::error::`);
    expect(run.stdout).toContain(message);
    expect(remoteRefs(remote)).toBe(before);
  });

  it("a branch autoexp/<tag> that is not autoexp's is left alone, in run and in publish", async () => {
    const { remote, clone } = remoteAndClone(exampleRepo());
    const other = makeRepo({ "x.txt": "someone else's work\n" });
    git(other, "push", "--quiet", remote, "main:refs/heads/autoexp/theirs");
    const before = remoteRefs(remote);
    const run = await runAction(clone(), { mode: "run", tag: "theirs" });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(
      /::error::branch autoexp\/theirs exists but has no \.autoexp\/theirs\/log\.jsonl, so it was not made by autoexp; nothing was changed/,
    );
    // A publisher with a real record for that tag refuses to touch the foreign branch.
    const mine = clone();
    git(mine, "remote", "remove", "origin"); // this batch never saw the foreign branch
    const offline = await runAction(mine, { mode: "run", tag: "theirs", experiments: "1" });
    expect(offline.code, offline.stdout).toBe(0);
    git(mine, "remote", "add", "origin", remote);
    const pub = await runAction(mine, { mode: "publish", tag: "theirs" });
    expect(pub.code).not.toBe(0);
    expect(pub.stdout).toContain(
      "::error::the remote's branch autoexp/theirs exists but has no .autoexp/theirs/log.jsonl, so it was not made by autoexp; nothing was pushed",
    );
    expect(remoteRefs(remote)).toBe(before);
  }, 60_000);
});
