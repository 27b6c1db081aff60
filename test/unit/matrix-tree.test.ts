import { describe, expect, it } from "vitest";
import { mergeLedgers } from "../../action/github/merge-records.ts";
import { formatLines, parseLog } from "../../action/ledger/log-jsonl.ts";
import { branchTree, renderBranches } from "../../action/ledger/render-branches.ts";
import { buildHeader } from "../../action/ledger/rows.ts";
import type { LedgerEntry, ResultEntry } from "../../action/ledger/types.ts";
import { branchPoints } from "../../action/strategy/branch-points.ts";
import { row } from "../helpers/strategy-rows.ts";

const header = buildHeader(
  {
    tag: "t",
    name: "t",
    target: ["train.js"],
    frozen: [],
    evalCommand: "node eval.js",
    metric: "val_loss",
    goal: "minimize",
    guards: {},
    baseline: 10,
    minDeltas: { val_loss: 0 },
    noise: null,
    rule: "primary",
    objectives: [{ name: "val_loss", goal: "minimize" }],
    baselineMetrics: { val_loss: 10 },
    confidence: 0.95,
    frozenHashes: {},
    agent: "command",
    baseCommit: "b".repeat(40),
  },
  "2025-01-01T00:00:00Z",
);

// The published start: #0 the baseline, #1 a discard, #2 kept (the incumbent both lines start from).
const base = formatLines([
  header,
  row(0, "baseline", 10, null),
  row(1, "discard", 10.1, 0.1),
  row(2, "keep", 9.8, -0.2),
]);

/** A line's rows as its batch's store writes them: numbered on from #3, each carrying `line`. */
const lineRows = (index: number, rows: [ResultEntry["status"], number][]): LedgerEntry[] =>
  rows.map(([status, score], i) =>
    row(3 + i, status, score, null, {
      content_key: `line${index}-${i}`,
      commit_full: `${index}${i}`.padStart(40, "0"),
      line: { index, of: 2, from: 2 },
    }),
  );

// Line 1 reached 9.5 and is published first; line 2 reached 9.65 and is published on top.
const line1 = lineRows(1, [
  ["discard", 9.9],
  ["keep", 9.6],
  ["keep", 9.5],
]);
const line2 = lineRows(2, [
  ["keep", 9.7],
  ["discard", 9.75],
  ["keep", 9.65],
]);
const theirs = base + formatLines(line1);
const merged = mergeLedgers(base, base + formatLines(line2), theirs, "t").text;

describe("a matrix's lines as branches of one tree", () => {
  it("keeps each row's line through the merge, and names the displaced line in its keeps' reason", () => {
    const log = parseLog(merged);
    expect(log.results.map((r) => r.line?.index ?? null)).toEqual([
      null,
      null,
      null,
      1,
      1,
      1,
      2,
      2,
      2,
    ]);
    expect(log.results[6]!.line).toEqual({ index: 2, of: 2, from: 2 });
    expect(log.results[6]!.reason).toMatch(
      /^was keep on parallel line 2 of 2 of this tag, judged against that line's own incumbent \(the lines started from #2\)/,
    );
  });

  it("draws each line from the common start: its experiments, its keeps (displaced ones named), its best, and the line that moved the branch", () => {
    const tree = branchTree(parseLog(merged))!;
    expect(tree.switches).toEqual([]);
    expect(tree.lines).toEqual([
      {
        from: 2,
        fromScore: 9.8,
        of: 2,
        won: 1,
        lines: [
          {
            index: 1,
            experiments: [3, 4, 5],
            keeps: [
              { iteration: 4, displaced: false },
              { iteration: 5, displaced: false },
            ],
            best: { iteration: 5, score: 9.5 },
          },
          {
            index: 2,
            experiments: [6, 7, 8],
            keeps: [
              { iteration: 6, displaced: true },
              { iteration: 8, displaced: true },
            ],
            best: { iteration: 8, score: 9.65 },
          },
        ],
      },
    ]);
    const md = renderBranches(tree);
    expect(md).toContain("## Branches (0 switches, 2 matrix lines)");
    expect(md).toContain("2 lines each ran from the incumbent #2 (9.8)");
    expect(md).toContain("Line 1 moved the branch");
    expect(md).toContain("| 1 of 2: moved the branch | #3–#5 (3) | #4, #5 | #5 9.5 | −0.3 |");
    expect(md).toContain(
      "| 2 of 2 | #6–#8 (3) | #6 (displaced: queued for a re-check), #8 (displaced: queued for a re-check) | #8 9.65 | −0.15 |",
    );
    expect(md).not.toContain("Switches:");
  });

  it("names the re-check a displaced keep got, and the PR's links", () => {
    const after = `${merged}${formatLines([row(9, "keep", 9.45, -0.05, { recheck_of: 6 })])}`;
    const tree = branchTree(parseLog(after))!;
    expect(tree.lines[0]!.lines[1]!.keeps[0]).toEqual({
      iteration: 6,
      displaced: true,
      recheck: { iteration: 9, status: "keep" },
    });
    const md = renderBranches(tree, { heading: "###", link: (n) => `[#${n}](u/${n})` });
    expect(md).toContain("### Branches (0 switches, 2 matrix lines)");
    expect(md).toContain("[#6](u/6) (displaced: re-checked as [#9](u/9), keep)");
  });

  it("offers a displaced line's keeps as branch points of kind line, measured unpaired", () => {
    const rows = parseLog(merged).results;
    const points = branchPoints(rows, { iteration: 5, score: 9.5 }, "minimize", 3);
    expect(points.map((p) => [p.iteration, p.kind, p.measured])).toEqual([
      [4, "kept", "unpaired"],
      [8, "line", "unpaired"],
      [6, "line", "unpaired"],
    ]);
    expect(points[1]!.gain).toBeCloseTo(-0.15);
    expect(points[1]!.commit).toBe("22".padStart(40, "0"));
  });

  it("tells two matrix runs from the same start apart, and says when no line kept anything", () => {
    const at = (iteration: number, index: number, status: ResultEntry["status"] = "discard") =>
      row(iteration, status, 10, null, { line: { index, of: 2, from: 0 } });
    const results = [
      row(0, "baseline", 10, null),
      at(1, 1),
      at(2, 2),
      at(3, 1),
      at(4, 2),
      at(5, 2),
    ];
    const tree = branchTree({ results, branches: [] })!;
    expect(tree.lines.map((r) => r.lines.map((l) => l.experiments))).toEqual([
      [[1], [2]],
      [[3], [4, 5]],
    ]);
    expect(tree.lines.map((r) => r.won)).toEqual([null, null]);
    expect(renderBranches(tree)).toContain("No line kept anything: the branch stayed at #0.");
    expect(branchTree({ results: [row(0, "baseline", 10, null), row(1, "discard", 10, 0)] })).toBe(
      null,
    );
  });
});
