import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { matrixWorkflow } from "../../action/cli/init-workflow.ts";
import { bestFirst, type LineHandoff } from "../../action/github/publish-lines.ts";
import { recheckQueue } from "../../action/ledger/recheck.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";

const template = readFileSync(
  join(import.meta.dirname, "..", "..", "templates", "init", "workflow.yml"),
  "utf8",
);

describe("init --shards K: the experiment job as a matrix", () => {
  it("runs K shards, each passing shard i/K and handing off under its own name; publish takes them all", () => {
    const wf = parse(matrixWorkflow(template, 3)) as {
      jobs: Record<
        string,
        { strategy?: unknown; steps: { uses?: string; with?: Record<string, unknown> }[] }
      >;
    };
    expect(wf.jobs.experiment!.strategy).toEqual({
      "fail-fast": false,
      matrix: { shard: [1, 2, 3] },
    });
    const run = wf.jobs.experiment!.steps.find((s) => s.with?.mode)!;
    expect(run.with!.shard).toBe("${{ matrix.shard }}/3");
    const upload = wf.jobs.experiment!.steps.find((s) => s.uses?.includes("upload-artifact"))!;
    expect(upload.with!.name).toBe("autoexp-handoff-${{ matrix.shard }}");
    const download = wf.jobs.publish!.steps.find((s) => s.uses?.includes("download-artifact"))!;
    expect(download.with).toMatchObject({
      pattern: "autoexp-handoff-*",
      path: "${{ runner.temp }}/autoexp-handoff",
    });
    expect(download.with!.name).toBeUndefined();
    // Publish still runs once, after every shard, even when one failed.
    expect(wf.jobs.publish).toMatchObject({ needs: "experiment", if: "always()" });
  });

  it("refuses 1, 0 or more than 16 shards, naming the range", () => {
    for (const k of [0, 1, 17, 2.5])
      expect(() => matrixWorkflow(template, k)).toThrow(/from 2 to 16/);
  });
});

const row = (iteration: number, extra: Partial<ResultEntry> = {}) =>
  ({
    type: "result",
    iteration,
    status: "discard",
    commit_full: "a".repeat(40),
    ...extra,
  }) as ResultEntry;

describe("the re-check queue", () => {
  it("holds displaced keeps in ledger order until an experiment re-checks each", () => {
    const results = [
      row(1),
      row(2, { recheck: "queued" }),
      row(3, { recheck: "queued" }),
      row(4, { recheck: "queued", commit_full: null }), // no code to re-apply
      row(5, { recheck_of: 3 }),
    ];
    expect(recheckQueue({ results }).map((r) => r.iteration)).toEqual([2]);
    expect(recheckQueue({ results: [...results, row(6, { recheck_of: 2 })] })).toEqual([]);
  });
});

describe("a matrix's lines are published best first", () => {
  const line = (dir: string, best?: LineHandoff["handoff"]["best"]) =>
    ({ dir, handoff: { tag: "t", experiments: 1, ...(best ? { best } : {}) } }) as LineHandoff;
  it("by the goal the ledger records; lines without a score last, ties in folder order", () => {
    const lines = [
      line("a", { score: 0.9, goal: "minimize" }),
      line("b"),
      line("c", { score: 0.8, goal: "minimize" }),
      line("d", { score: 0.8, goal: "minimize" }),
    ];
    expect(bestFirst(lines).map((l) => l.dir)).toEqual(["c", "d", "a", "b"]);
    const up = [
      line("a", { score: 1, goal: "maximize" }),
      line("b", { score: 3, goal: "maximize" }),
    ];
    expect(bestFirst(up).map((l) => l.dir)).toEqual(["b", "a"]);
  });
});
