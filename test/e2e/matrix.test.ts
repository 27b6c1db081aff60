import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { recheckQueue } from "../../action/ledger/recheck.ts";
import { KEPT } from "../../action/ledger/types.ts";
import { renderPr } from "../../app/pr-body.ts";
import { remoteAndClone, runAction } from "../helpers/action.ts";
import { exampleRepo, git, tempDir } from "../helpers/repo.ts";

const remoteLog = (remote: string, tag: string) =>
  parseLog(git(remote, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`));

/** A published tag, then 3 shards of a matrix, each its own line from that same start. */
async function threeShards(tag: string) {
  const { remote, clone } = remoteAndClone(exampleRepo());
  const first = clone();
  expect((await runAction(first, { mode: "run", tag, experiments: "2" })).code).toBe(0);
  expect((await runAction(first, { mode: "publish", tag })).code).toBe(0);
  const shards = [1, 2, 3].map((i) => ({ dir: clone(), temp: tempDir(), i }));
  const runs = await Promise.all(
    shards.map((s) =>
      runAction(
        s.dir,
        { mode: "run", tag, experiments: "4", shard: `${s.i}/3` },
        { runnerTemp: s.temp },
      ),
    ),
  );
  for (const r of runs) expect(r.code, r.stdout).toBe(0);
  expect(runs[1]!.stdout).toContain("shard 2 of 3: its own line of autoexp/");
  const candidates = shards.flatMap((s) =>
    git(s.dir, "for-each-ref", "--format=%(objectname)", `refs/autoexp/${tag}/`).trim().split("\n"),
  );
  return { remote, clone, shards, candidates };
}

describe("a matrix of 3 shards on one tag (Actions is the distributed engine)", () => {
  it("3 shards publishing concurrently: every line's experiments on the remote once; displaced keeps queued and re-checked by the next batch", async () => {
    const { remote, clone, shards, candidates } = await threeShards("mx");
    const pubs = await Promise.all(
      shards.map((s) =>
        runAction(clone(), {
          mode: "publish",
          tag: "mx",
          handoff: join(s.temp, "autoexp-handoff"),
        }),
      ),
    );
    for (const p of pubs) expect(p.code, p.stdout).toBe(0);
    expect(pubs.map((p) => p.outputs.published).filter((o) => o === "merged")).toHaveLength(2);
    const log = remoteLog(remote, "mx");
    // 2 + 3 x 4 experiments, numbered 0..14 once each.
    expect(log.results.map((r) => r.iteration)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    const onRemote = git(
      remote,
      "for-each-ref",
      "--format=%(refname) %(objectname)",
      "refs/autoexp/mx/",
    )
      .trim()
      .split("\n");
    const shas = onRemote.map((l) => l.split(" ")[1]);
    for (const sha of candidates) expect(shas).toContain(sha);
    const diffs = log.results.flatMap((r) => (r.diff ? [r.diff] : []));
    expect(new Set(diffs).size).toBe(diffs.length);
    expect(onRemote.map((l) => l.split(" ")[0]).sort()).toEqual([...diffs].sort());
    for (const r of log.results.filter((r) => r.diff))
      expect(git(remote, "rev-parse", r.diff!).trim()).toBe(r.commit_full);
    // The first line published moved the branch; the other two lines' keeps are recorded as
    // not kept here, each queued for a re-check with the reason.
    const laterLines = log.results.slice(7);
    for (const r of laterLines) expect(KEPT.has(r.status)).toBe(false);
    // Each says which incumbent of its own line it was judged against: one before it, kept there.
    for (const r of laterLines) {
      expect(r.against).toBeLessThan(r.iteration);
      const judgedAgainst = log.results[r.against!]!;
      expect(KEPT.has(judgedAgainst.status) || judgedAgainst.recheck === "queued").toBe(true);
    }
    const queued = recheckQueue(log);
    expect(queued.length).toBeGreaterThan(0);
    for (const r of queued) expect(r.reason).toMatch(/parallel line.*Queued for a re-check/);
    const lastKept = log.results.findLast((r) => KEPT.has(r.status))!;
    expect(git(remote, "show", "autoexp/mx:train.js")).toBe(
      git(remote, "show", `${lastKept.commit_full}:train.js`),
    );

    // The next batch runs the queue before the agent proposes anything.
    const next = clone();
    const temp = tempDir();
    const run = await runAction(
      next,
      { mode: "run", tag: "mx", experiments: String(queued.length + 1) },
      { runnerTemp: temp },
    );
    expect(run.code, run.stdout).toBe(0);
    const pub = await runAction(clone(), {
      mode: "publish",
      tag: "mx",
      handoff: join(temp, "autoexp-handoff"),
    });
    expect(pub.code, pub.stdout).toBe(0);
    const after = remoteLog(remote, "mx");
    const rechecks = after.results.slice(15, 15 + queued.length);
    expect(rechecks.map((r) => r.recheck_of)).toEqual(queued.map((r) => r.iteration));
    for (const [i, r] of rechecks.entries()) {
      expect(r.description).toContain(
        `re-check of #${queued[i]!.iteration}, a parallel line's keep`,
      );
      // Evaluated against the incumbent it found, or said plainly why not.
      if (r.status === "no_change") expect(r.description).toMatch(/no longer applies|re-check/);
      else expect(r.score).not.toBeNull();
    }
    expect(after.results.at(-1)!.recheck_of).toBeUndefined(); // then the agent's own proposal
    // The tree names each displaced keep's re-check; the re-checks, made on no line, carry none.
    const dashboard = git(remote, "show", "autoexp/mx:.autoexp/mx/dashboard.md");
    for (const r of rechecks) {
      expect(r.line).toBeUndefined();
      expect(dashboard).toContain(
        `#${r.recheck_of} (displaced: re-checked as #${r.iteration}, ${r.status})`,
      );
    }
    expect(recheckQueue(after)).toEqual([]);
  }, 240_000);

  it("one publish job with every shard's handoff publishes the best line first", async () => {
    const { remote, clone, shards } = await threeShards("best");
    const best = (dir: string) => {
      const log = parseLog(git(dir, "show", "autoexp/best:.autoexp/best/log.jsonl"));
      return log.results.findLast((r) => KEPT.has(r.status))!;
    };
    // Folders named worst line first, so that folder order would publish the worst line first.
    const ranked = shards
      .map((s) => ({ ...s, kept: best(s.dir) }))
      .sort((a, b) => b.kept.score! - a.kept.score!);
    expect(ranked[0]!.kept.score).toBeGreaterThan(ranked[2]!.kept.score!);
    const folder = tempDir();
    for (const [n, s] of ranked.entries()) {
      mkdirSync(join(folder, `autoexp-handoff-${n + 1}`));
      cpSync(join(s.temp, "autoexp-handoff"), join(folder, `autoexp-handoff-${n + 1}`), {
        recursive: true,
      });
    }
    const pub = await runAction(clone(), { mode: "publish", tag: "best", handoff: folder });
    expect(pub.code, pub.stdout).toBe(0);
    expect(pub.stdout).toMatch(/3 line\(s\) published \((created|fast-forward), merged, merged\)/);
    expect(pub.stdout).toContain(`line 1 of 3 (${join(folder, "autoexp-handoff-3")}`);
    // The branch's code is the best line's incumbent (val_loss is minimised).
    const winner = ranked[2]!.kept;
    expect(git(remote, "show", "autoexp/best:train.js")).toBe(
      git(remote, "show", `${winner.commit_full}:train.js`),
    );
    expect(
      remoteLog(remote, "best").results.find((r) => r.iteration === winner.iteration)!.status,
    ).toBe("keep");
    expect(remoteLog(remote, "best").results).toHaveLength(15);

    // Each row says which line wrote it and the incumbent every line started from; the tree on
    // the dashboard and in the PR draws each line as a branch from there, with its keeps.
    const log = remoteLog(remote, "best");
    const start = log.results.slice(0, 3).findLast((r) => KEPT.has(r.status))!.iteration;
    const byLine = new Map<number, number[]>();
    for (const r of log.results.slice(3)) {
      expect(r.line).toMatchObject({ of: 3, from: start });
      byLine.set(r.line!.index, [...(byLine.get(r.line!.index) ?? []), r.iteration]);
    }
    expect([...byLine.keys()][0]).toBe(ranked[2]!.i); // the winner first
    expect([...byLine.keys()].sort()).toEqual([1, 2, 3]);
    for (const its of byLine.values()) expect(its).toHaveLength(4);
    const dashboard = git(remote, "show", "autoexp/best:.autoexp/best/dashboard.md");
    const ledger = git(remote, "show", "autoexp/best:.autoexp/best/log.jsonl");
    const pr = renderPr(ledger, { tag: "best", repoUrl: "https://github.com/o/r" }).body;
    const linked = (n: number) =>
      `#${n} [\`${log.results[n]!.commit}\`](https://github.com/o/r/commit/${log.results[n]!.commit_full})`;
    for (const [md, name, heading] of [
      [dashboard, (n: number) => `#${n}`, "##"],
      [pr, linked, "###"],
    ] as const) {
      expect(md).toContain(`${heading} Branches (0 switches, 3 matrix lines)`);
      expect(md).toContain(`3 lines each ran from the incumbent ${name(start)} (`);
      expect(md).toContain(`Line ${ranked[2]!.i} moved the branch`);
      for (const [index, its] of byLine) {
        const keeps = log.results.filter(
          (r) => its.includes(r.iteration) && (KEPT.has(r.status) || r.recheck === "queued"),
        );
        const displaced = index !== ranked[2]!.i;
        for (const k of keeps) expect(k.recheck === "queued").toBe(displaced);
        const named = keeps.map((k) =>
          displaced ? `${name(k.iteration)} (displaced: queued for a re-check)` : name(k.iteration),
        );
        const label = `${index} of 3${displaced ? "" : ": moved the branch"}`;
        expect(md).toContain(
          `| ${label} | #${its[0]}–#${its[3]} (4) | ${named.length > 0 ? named.join(", ") : "none"} | `,
        );
      }
    }
  }, 240_000);
});
