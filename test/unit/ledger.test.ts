import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evalSpent } from "../../action/ledger/eval-spent.ts";
import { importId, LedgerCorruptError, parseLog } from "../../action/ledger/log-jsonl.ts";
import { renderDashboard } from "../../action/ledger/render-dashboard.ts";
import { parseResultsTsv, renderResultsTsv } from "../../action/ledger/results-tsv.ts";
import { viewFromLog, viewFromTsv } from "../../action/ledger/summarize.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { renderPr } from "../../app/pr-body.ts";

const karpathy = readFileSync(
  join(import.meta.dirname, "../fixtures/karpathy-autoresearch-H100-mar8-results.tsv"),
  "utf8",
);

function row(over: Partial<ResultEntry>): ResultEntry {
  return {
    type: "result",
    iteration: 1,
    commit: "abc1234",
    commit_full: null,
    diff: null,
    score: 1,
    delta: 0,
    guard_score: null,
    guard_pass: null,
    status: "discard",
    description: "d",
    timestamp: "t",
    metrics: {},
    samples: {},
    agent_seconds: 0,
    eval_seconds: 0,
    cost_usd: 0,
    ...over,
  };
}

describe("log.jsonl", () => {
  it("drops a torn last line and says where the good part ends", () => {
    const good = `${JSON.stringify({ type: "result", iteration: 0 })}\n`;
    const parsed = parseLog(`${good}{"type":"result","itera`);
    expect(parsed.results).toHaveLength(1);
    expect(parsed.torn).toBe(true);
    expect(parsed.validBytes).toBe(Buffer.byteLength(good));
  });

  it("refuses a damaged line in the middle instead of skipping an experiment", () => {
    expect(() => parseLog('{"type":"result"}\nnot json\n{"type":"result"}\n')).toThrow(
      LedgerCorruptError,
    );
  });
});

describe("import-undo lines", () => {
  const imp = (source: string, score: number) => ({
    type: "import",
    source,
    metric: "val_bpb",
    rows: [{ commit: "abc1234", score, status: "keep", description: source }],
    skipped: 0,
    timestamp: "2026-01-01T00:00:00.000Z",
  });
  it("withdraw the import they name, an older line without id included, and nothing else", () => {
    const a = { ...imp("a.tsv", 1), id: "aaaaaaaaaaaa" };
    const legacy = imp("b.tsv", 2); // written before imports carried an id
    const undo = (id: string) => ({
      type: "import-undo",
      import: id,
      source: "x",
      rows: 1,
      timestamp: "2026-01-02T00:00:00.000Z",
    });
    const text = (lines: object[]) => `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
    expect(parseLog(text([a, legacy])).imports?.map((i) => i.source)).toEqual(["a.tsv", "b.tsv"]);
    const one = parseLog(text([a, legacy, undo(importId(legacy as never))]));
    expect(one.imports?.map((i) => i.source)).toEqual(["a.tsv"]);
    expect(one.importUndos?.map((u) => u.withdrawn.source)).toEqual(["b.tsv"]);
    const both = parseLog(text([a, legacy, undo("aaaaaaaaaaaa"), undo(importId(legacy as never))]));
    expect(both.imports).toEqual([]);
    // An undo naming no import in force changes nothing.
    expect(parseLog(text([a, undo("ffffffffffff")])).imports).toHaveLength(1);
  });
});

describe("results.tsv", () => {
  it("writes karpathy's format: tabs, 6 decimals, crash rows 0.000000, no tabs in descriptions", () => {
    const text = renderResultsTsv(
      ["val_bpb", "memory_gb"],
      [
        row({
          iteration: 0,
          status: "baseline",
          score: 0.9979,
          metrics: { memory_gb: 44 },
          description: "baseline",
        }),
        row({ status: "crash", score: null, description: "OOM\twith tab\nand newline" }),
      ],
    );
    expect(text).toBe(
      "commit\tval_bpb\tmemory_gb\tstatus\tdescription\nabc1234\t0.997900\t44.000000\tbaseline\tbaseline\nabc1234\t0.000000\t0.000000\tcrash\tOOM with tab and newline\n",
    );
    const back = parseResultsTsv(text);
    expect(back.metrics).toEqual(["val_bpb", "memory_gb"]);
    expect(back.rows[1]).toEqual({
      commit: "abc1234",
      values: { val_bpb: 0, memory_gb: 0 },
      status: "crash",
      description: "OOM with tab and newline",
    });
  });

  it("reads karpathy/autoresearch's own H100 results.tsv: 126 experiments, 23 keep, 0.997900 -> 0.969686", () => {
    const tsv = parseResultsTsv(karpathy);
    expect(tsv.rows).toHaveLength(126);
    expect(tsv.rows[0]!.commit).toBe("baseline");
    const view = viewFromTsv(tsv, "minimize");
    expect(view.baseline).toBe(0.9979);
    expect(view.best?.score).toBe(0.969686);
    expect(view.counts).toMatchObject({ baseline: 1, keep: 22, discard: 102, crash: 1 });
  });

  it("renders a dashboard with a Mermaid chart of every evaluated experiment and the running best", () => {
    const md = renderDashboard(viewFromTsv(parseResultsTsv(karpathy), "minimize"));
    expect(md).toContain("baseline **0.9979** → best **0.969686** (−2.83%)");
    const chart = md.slice(
      md.indexOf("```mermaid"),
      md.indexOf("```", md.indexOf("```mermaid") + 3),
    );
    expect(chart).toContain("xychart-beta");
    const [scores, best] = [...chart.matchAll(/line "[^"]*" \[([^\]]*)\]/g)].map((m) =>
      m[1]!.split(", ").map(Number),
    );
    expect(scores).toHaveLength(126); // one value per experiment; the line bridges the crash
    expect(best!.at(-1)).toBe(0.969686);
    expect(best!.every((v, i) => i === 0 || v <= best![i - 1]!)).toBe(true);
    expect(md).toContain("## Kept (22)");
  });
});

describe("eval time", () => {
  // A night on two workers: #1 kept; #2 beat #0 meanwhile (3 runs, 40 s) and was tried again on
  // #1; the incumbent ran beside each candidate (re-measure lines).
  const lines = [
    { type: "config", tag: "t", metric: "loss", goal: "minimize", baseline: 1, guards: {} },
    row({
      iteration: 0,
      status: "baseline",
      samples: { loss: [1, 1.1, 0.9] },
      eval_seconds: 50,
      timestamp: "2026-12-07T01:00:00Z",
    }),
    row({
      iteration: 1,
      status: "keep",
      samples: { loss: [0.8, 0.85] },
      eval_seconds: 30,
      timestamp: "2026-12-07T02:00:00Z",
    }),
    {
      type: "remeasure",
      iteration: 0,
      after: 1,
      reason: "concurrent",
      reset: false,
      samples: { loss: [1, 1] },
      eval_seconds: 20,
      timestamp: "2026-12-07T02:00:00Z",
    },
    row({
      iteration: 2,
      status: "discard",
      samples: { loss: [0.95] },
      eval_seconds: 25,
      timestamp: "2026-12-07T03:00:00Z",
      reapplied: [
        { from: 0, status: "keep", samples: { loss: [0.9, 0.8, 0.85] }, eval_seconds: 40 },
      ],
    }),
  ];
  const log = parseLog(`${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);

  it("counts every run on record, the incumbent's and those left behind; per batch from its start", () => {
    expect(evalSpent(log, "loss")).toMatchObject({
      seconds: 165,
      leftBehindSeconds: 40,
      runs: { candidates: 3, baseline: 3, beside: 2, leftBehind: 3, afterKeeps: 0 },
    });
    expect(evalSpent(log, "loss", "2026-12-07T01:30:00Z")).toMatchObject({
      seconds: 115,
      leftBehindSeconds: 40,
      runs: { candidates: 3, baseline: 0, beside: 2, leftBehind: 3 },
    });
  });

  it("the dashboard and the PR say how much of it went on runs left behind, and what every run was for", () => {
    const time =
      "eval time: 2m 45s (40s of it on 3 runs of candidates a keep elsewhere left behind)";
    // Every run by what it was for, the parts adding up to the total.
    const runs =
      "eval runs: 11 (3 of candidates, 2 of the incumbent beside candidates or new to a worker, 3 of candidates a keep elsewhere left behind, 3 of the baseline)";
    const text = `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
    for (const page of [
      renderDashboard(viewFromLog(log)),
      renderPr(text, { tag: "t", repoUrl: "https://github.com/o/r" }).body,
    ]) {
      expect(page).toContain(time);
      expect(page).toContain(runs);
    }
  });
});
