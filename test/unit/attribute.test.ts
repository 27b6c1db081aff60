import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  estimateAttribution,
  formatEstimate,
  keptChanges,
  meanEvalSeconds,
} from "../../action/engine/attribute-plan.ts";
import { revertChange } from "../../action/engine/attribute-revert.ts";
import { Git } from "../../action/git/git.ts";
import { renderAttribution } from "../../action/ledger/render-attribution.ts";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

describe("the attribution estimate", () => {
  it("costs pairs × changes × 2 runs at the ledger's mean eval time", () => {
    const log = {
      results: [
        { samples: { loss: [1, 2, 3] }, eval_seconds: 60 },
        { samples: { loss: [1] }, eval_seconds: 30 },
        { samples: {}, eval_seconds: 0 },
      ],
      remeasures: [{ samples: { loss: [1, 1] }, eval_seconds: 30 }],
    } as never;
    expect(meanEvalSeconds(log, "loss")).toBe(20);
    const e = estimateAttribution(5, 4, 20);
    expect(e).toEqual({ changes: 5, pairs: 4, runs: 40, meanEvalSeconds: 20, seconds: 800 });
    expect(formatEstimate(e)).toBe(
      "40 eval runs (5 changes × 4 pairs × 2), about 13 min of eval time at 20 s a run",
    );
    expect(formatEstimate(estimateAttribution(1, 3, null))).toBe(
      "6 eval runs (1 change × 3 pairs × 2); the ledger has no eval time to estimate from",
    );
  });

  it("lists the kept changes up to the final code, simplifications included", () => {
    const row = (iteration: number, status: string, commit: string | null) =>
      ({ iteration, status, commit_full: commit, description: `#${iteration}` }) as never;
    const rows = [row(0, "baseline", "b"), row(1, "keep", "k1"), row(2, "discard", "x")];
    rows.push(row(3, "simplification", "s3"), row(4, "keep", "k4"));
    expect(keptChanges(rows, 3).map((c) => c.commit)).toEqual(["k1", "s3"]);
    // Several workers: #6 was kept before #5, which was kept on top of it. Up to the final code
    // is by place in the record, in the order the branch took them.
    rows.push(row(6, "keep", "k6"), row(5, "keep", "k5"), row(7, "discard", "x7"));
    expect(keptChanges(rows, 5).map((c) => c.commit)).toEqual(["k1", "s3", "k4", "k6", "k5"]);
    expect(keptChanges(rows, 6).map((c) => c.commit)).toEqual(["k1", "s3", "k4", "k6"]);
  });
});

describe("reverting one kept change from the final code", () => {
  function night() {
    const dir = makeRepo({ "m.txt": "a: 0\nb: 0\nc: 0\n", "x.txt": "x\n" });
    const commit = (files: Record<string, string>, message: string) => {
      writeFiles(dir, files);
      git(dir, "add", "-A");
      git(dir, "commit", "-qm", message);
      return git(dir, "rev-parse", "HEAD").trim();
    };
    const base = git(dir, "rev-parse", "HEAD").trim();
    const k1 = commit({ "m.txt": "a: 1\nb: 0\nc: 0\n" }, "a on");
    const k2 = commit({ "m.txt": "a: 1\nb: 1\nc: 0\n", "new.txt": "n\n" }, "b on, a file added");
    const k3 = commit({ "m.txt": "a: 2\nb: 1\nc: 1\n" }, "a rewritten, c on");
    return { dir, base, k1, k2, k3, repo: new Git(dir) };
  }

  it("takes out only that change's lines, and a file it added, leaving the user's checkout alone", async () => {
    const { dir, base, k1, k2, k3, repo } = night();
    const scratch = join(tempDir(), "merge");
    const r = await revertChange(repo, { parent: k1, commit: k2, final: k3, label: "#2" }, scratch);
    expect(r.status).toBe("reverted");
    if (r.status !== "reverted") return;
    expect(git(dir, "show", `${r.commit}:m.txt`)).toBe("a: 2\nb: 0\nc: 1\n");
    expect(git(dir, "ls-tree", "--name-only", r.commit).split("\n")).not.toContain("new.txt");
    expect(git(dir, "rev-parse", `${r.commit}^`).trim()).toBe(k3);
    expect(git(dir, "rev-parse", "HEAD").trim()).toBe(k3);
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(base).not.toBe(k1);
  });

  it("reports a change whose lines were rewritten since as not reverting cleanly", async () => {
    const { base, k1, k3, repo } = night();
    const scratch = join(tempDir(), "merge");
    const r = await revertChange(
      repo,
      { parent: base, commit: k1, final: k3, label: "#1" },
      scratch,
    );
    expect(r).toEqual({ status: "conflict", paths: ["m.txt"] });
  });

  it("says a change later undone is no longer in the final code", async () => {
    const { dir, k1, k2, repo } = night();
    writeFiles(dir, { "m.txt": "a: 1\nb: 0\nc: 0\n", "new.txt": "n\n" });
    git(dir, "commit", "-qam", "b off again");
    const final = git(dir, "rev-parse", "HEAD").trim();
    const r = await revertChange(
      repo,
      { parent: k1, commit: k2, final, label: "#2" },
      join(tempDir(), "m"),
    );
    // new.txt is still there, so the revert removes it: only the m.txt half was undone.
    expect(r.status).toBe("reverted");
    const only = await revertChange(
      repo,
      { parent: k1, commit: k2, final: k1, label: "#2" },
      join(tempDir(), "m"),
    );
    expect(only).toEqual({ status: "superseded" });
  });
});

describe("the share table", () => {
  it("shows each change's effect, flags the ones whose interval includes zero, names conflicts", () => {
    const gain = (g: number, lo: number, hi: number) => ({
      gain: g,
      ci: [lo, hi] as [number, number],
      sd: 0.3,
      pairs: 4,
      includes_no_improvement: lo <= 0,
    });
    const text = renderAttribution({
      type: "attribute",
      metric: "loss",
      goal: "minimize",
      final_commit: "f".repeat(40),
      final_iteration: 5,
      pairs: 4,
      confidence: 0.95,
      changes: [
        {
          iteration: 1,
          commit: "a".repeat(40),
          description: "real",
          status: "measured",
          effect: gain(3, 2.5, 3.5),
          drop_candidate: false,
        },
        {
          iteration: 2,
          commit: "b".repeat(40),
          description: "luck",
          status: "measured",
          effect: gain(0.1, -0.3, 0.5),
          drop_candidate: true,
        },
        {
          iteration: 3,
          commit: "c".repeat(40),
          description: "rewritten",
          status: "conflict",
          conflicts: ["m.txt"],
        },
      ],
      runs: 16,
      estimated_seconds: 160,
      isolation: "sandbox",
      eval_seconds: 150,
      timestamp: "2025-01-01T00:00:00Z",
    });
    expect(text).toContain("### Each kept change's share");
    expect(text).toContain(
      "| 1 | `aaaaaaa` | real | −3.0 ± 0.5 (95%) | 4 | carries part of the gain |",
    );
    expect(text).toContain(
      "| 2 | `bbbbbbb` | luck | −0.1 ± 0.4 (95%) | 4 | ⚠ candidate to drop: its interval includes zero |",
    );
    expect(text).toContain("no longer reverts cleanly (m.txt): not measured");
    expect(text).toContain(
      "16 eval runs, 150 s of eval time (estimated 160 s); candidates to drop: #2",
    );
  });
});
