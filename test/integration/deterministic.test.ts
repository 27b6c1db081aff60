import { describe, expect, it } from "vitest";
import { runBatch } from "../../action/engine/run-batch.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { parseResultsTsv } from "../../action/ledger/results-tsv.ts";
import { renderPr } from "../../app/pr-body.ts";
import { lyingNight } from "../helpers/lying-eval.ts";
import { git } from "../helpers/repo.ts";

const ledger = (repo: string) => parseLog(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"));

describe("a deterministic eval, through the engine", () => {
  it("keeps at most one of 20 no-op changes whose code lies in 30% of its runs, and marks them", async () => {
    const { repo, config, env } = lyingNight(Array(20).fill("noop"), 1);
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const log = ledger(repo);
    // The baseline's five runs agreed: judged deterministic.
    expect(log.config!.noise).toBe(0);
    const rows = log.results.slice(1);
    expect(rows).toHaveLength(20);
    const kept = rows.filter((r) => r.status === "keep");
    expect(
      kept.length,
      JSON.stringify(rows.map((r) => [r.status, r.samples.loss])),
    ).toBeLessThanOrEqual(1);
    const marked = rows.filter((r) => r.nondeterministic);
    expect(marked.length).toBeGreaterThanOrEqual(2);
    for (const r of marked) {
      expect(r.status).toBe("discard");
      expect(new Set(r.samples.loss).size).toBeGreaterThan(1);
      expect(r.reason).toContain("runs of the same code disagree");
    }
    // The first says the eval's runs differ after all, and with what spread the rest is judged.
    expect(marked[0]!.reason).toMatch(
      /judged by the noisy rule, with the spread of runs that disagree \(sd [\d.]+, 1 df\)/,
    );
    expect(marked[1]!.reason).not.toContain("noisy rule");
    // Every candidate that looked better than a deterministic incumbent got a second run.
    for (const r of rows.filter((r) => r.status === "discard" && !r.nondeterministic))
      expect(r.samples.loss!.length === 1 || new Set(r.samples.loss).size === 1).toBe(true);
    // Shown on the dashboard, in the counts and the table; results.tsv keeps karpathy's statuses.
    const dashboard = git(repo, "show", "autoexp/t:.autoexp/t/dashboard.md");
    const discards = rows.filter((r) => r.status === "discard").length;
    expect(dashboard).toContain(`${discards} discard (${marked.length} nondeterministic)`);
    expect(dashboard).toContain("| discard (nondeterministic) |");
    expect(dashboard).toContain(`Nondeterministic: ${marked.length} experiment(s)`);
    expect(dashboard).toMatch(
      /noise: sd [\d.]+ \(\d+ df\), the spread of runs of the same code that disagreed from #\d+ on/,
    );
    // The PR body counts and names them the same way.
    const pr = renderPr(git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"), {
      tag: "t",
      repoUrl: "https://github.com/o/r",
    }).body;
    expect(pr).toContain(`${discards} discard (${marked.length} nondeterministic)`);
    expect(pr).toContain(`Nondeterministic: ${marked.length} experiment(s)`);
    expect(pr).toContain(`#${marked[0]!.iteration}`);
    const tsv = parseResultsTsv(git(repo, "show", "autoexp/t:.autoexp/t/results.tsv"));
    expect(new Set(tsv.rows.map((r) => r.status))).not.toContain("nondeterministic");
  }, 120_000);

  it("still keeps a real deterministic improvement, on two runs that agree, and discards a worse one on one", async () => {
    const { repo, config, env } = lyingNight([-1, 2, -0.5], 1);
    await runBatch({ repoDir: repo, config, tag: "t", env });
    const [, better, worse, again] = ledger(repo).results;
    expect(better!.status).toBe("keep");
    expect(better!.samples.loss).toEqual([9, 9]);
    expect(better!.evidence!.test).toBe("exact");
    expect(better!.reason).toContain("deterministic eval, 2 runs agree");
    expect(worse!.status).toBe("discard");
    expect(worse!.samples.loss).toEqual([11]);
    expect(again!.status).toBe("keep");
    expect(again!.samples.loss).toEqual([8.5, 8.5]);
    expect(ledger(repo).results.some((r) => r.nondeterministic)).toBe(false);
  }, 60_000);
});
