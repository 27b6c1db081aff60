import { describe, expect, it } from "vitest";
import { renderBranch } from "../../action/agents/context/render-branch.ts";
import { branchTree, renderBranches } from "../../action/ledger/render-branches.ts";
import { branchStrategy } from "../../action/strategy/branch.ts";
import { revisitAsked, revisitable, revisitsDone } from "../../action/strategy/revisit.ts";
import { row } from "../helpers/strategy-rows.ts";

// Minimize. #0 the baseline; #1..#3 judged against it; #4 kept; #5 judged against #4; #6 a
// late one judged against #0 (its `against`); #7 kept, the incumbent.
const rows = [
  row(0, "baseline", 10, 0),
  row(1, "discard", 10.2, 0.2),
  row(2, "discard", 10.05, 0.05),
  row(3, "crash", null, null),
  row(4, "keep", 9.5, -0.5),
  row(5, "discard", 9.6, 0.1),
  row(6, "discard", 10.1, 0.1, { against: 0 }),
  row(7, "keep", 9.4, -0.1),
];

describe("revisitable", () => {
  it("offers the discards judged against an incumbent since replaced, closest call first", () => {
    const points = revisitable(rows, 7, "minimize");
    expect(points.map((p) => [p.iteration, p.against, p.gain])).toEqual([
      [2, 0, -0.05],
      [6, 0, -0.1], // its `against`, not the record's #4
      [5, 4, -0.1],
      [1, 0, -0.2],
    ]);
    expect(points[0]!.commit).toBe("2".padStart(40, "0"));
  });

  it("offers none judged against the current incumbent, and no crash, keep or no_change", () => {
    // With #4 the incumbent: #5 was judged against it; #3 crashed.
    const upTo4 = rows.slice(0, 6);
    expect(revisitable(upTo4, 4, "minimize").map((p) => p.iteration)).toEqual([2, 1]);
    expect(revisitable(rows.slice(0, 4), 0, "minimize")).toEqual([]);
    const others = [
      row(0, "baseline", 10, 0),
      row(1, "no_change", null, null),
      row(2, "guard_fail", 9, -1),
      row(3, "keep", 9.8, -0.2),
    ];
    expect(revisitable(others, 3, "minimize")).toEqual([]);
  });

  it("offers each discard once: not one revisited, nor a revisit, nor one taken in flight", () => {
    const revisited = [
      ...rows,
      row(8, "discard", 9.45, 0.05, { revisit_of: 2 }),
      row(9, "keep", 9.3, -0.1),
    ];
    expect(revisitable(revisited, 9, "minimize").map((p) => p.iteration)).toEqual([6, 5, 1]);
    expect(revisitable(rows, 7, "minimize", new Set([2, 6])).map((p) => p.iteration)).toEqual([
      5, 1,
    ]);
  });

  it("ranks a discard without a delta last, and signs gains by the goal", () => {
    const max = [
      row(0, "baseline", 10, 0),
      row(1, "discard", null, null, { reason: "cheap eval failed" }),
      row(2, "discard", 9.9, -0.1),
      row(3, "keep", 10.5, 0.5),
    ];
    expect(revisitable(max, 3, "maximize").map((p) => [p.iteration, p.gain])).toEqual([
      [2, -0.1],
      [1, null],
    ]);
  });
});

describe("revisitAsked and revisitsDone", () => {
  it("reads a line `revisit: #n` from a description, and nothing else", () => {
    expect(revisitAsked("revisit: #12")).toBe(12);
    expect(revisitAsked("try again\nRevisit #3\n")).toBe(3);
    expect(revisitAsked("revisit the LR change in #12")).toBeNull();
    expect(revisitAsked("revisit: 12")).toBeNull();
  });

  it("lists the revisits on record with their verdicts as gains", () => {
    const done = revisitsDone(
      [...rows, row(8, "discard", 9.45, 0.05, { revisit_of: 2 })],
      "minimize",
    );
    expect(done).toEqual([{ iteration: 8, of: 2, status: "discard", gain: -0.05 }]);
  });
});

describe("branch strategy: the revisit arm", () => {
  const state = {
    rows,
    incumbent: { iteration: 7, score: 9.4 },
    goal: "minimize" as const,
    scale: 0.1,
    pending: [],
  };
  const stalled = [...rows, row(8, "discard", 9.5, 0.1), row(9, "discard", 9.45, 0.05)];

  it("is tried after the untried points, and picks the best eligible discard", () => {
    const s = branchStrategy({ stall: 2, points: 1 });
    expect(s.revisits).toBe(true);
    const first = s.pick({ ...state, rows: stalled });
    expect(first.on?.iteration).toBe(9); // the one point: the closest near-miss, untried
    const second = s.pick({ ...state, rows: stalled, pending: [9] });
    expect(second.on).toBeNull();
    expect(second.revisit?.iteration).toBe(2);
    expect(second.why).toMatch(
      /^no keep in the last 2 experiments \(strategy.stall 2\): revisiting #2 \(discarded against #0, \+0.05 \(worse\) against it; the incumbent is now #7; not yet tried since the last keep\)$/,
    );
  });

  it("counts revisits in flight and on record as its pulls, and skips discards taken", () => {
    const s = branchStrategy({ stall: 2, points: 1 });
    const taken = s.pick({ ...state, rows: stalled, pending: [9, null], revisiting: [2] });
    // Every arm pulled once: UCB1 ties go to the earliest, the point.
    expect(taken.on?.iteration).toBe(9);
    // #2 revisited (nothing gained): the arm has one pull, as #9 has; the incumbent two (#8, #9).
    const revisited = [...stalled, row(10, "discard", 9.6, 0.2, { revisit_of: 2 })];
    expect(s.pick({ ...state, rows: revisited, pending: [9] }).on?.iteration).toBe(9);
    // #9 pulled twice now: the revisit arm's bound is the highest, and #2 is spent: #6 next.
    const again = s.pick({ ...state, rows: revisited, pending: [9, 9] });
    expect(again.revisit?.iteration).toBe(6);
    expect(again.why).toContain("UCB1: mean reward 0.00 over 1 revisit(s)");
  });

  it("offers no revisit before the stall", () => {
    expect(branchStrategy({ stall: 5, points: 1 }).pick({ ...state, rows: stalled })).toEqual({
      on: null,
    });
  });
});

describe("what revisits show", () => {
  it("tells the agent what it may revisit, how to ask (not API agents), and how revisits went", () => {
    const text = renderBranch({
      incumbent: 7,
      revisits: {
        eligible: [{ iteration: 2, against: 0, gain: -0.05, description: "lr 3e-4" }],
        done: [{ iteration: 8, of: 5, status: "discard", gain: -0.1 }],
        canAsk: true,
      },
    });
    expect(text).toContain("## Revisits\n");
    expect(text).toContain("- #2 (-0.0500 against #0): lr 3e-4");
    expect(text).toContain("write a line `revisit: #N` in your description file");
    expect(text).toContain("Revisited so far:\n- #8 revisited #5: discard (-0.100)");
    expect(text).not.toContain("The branch you are proposing on");
    const api = renderBranch({
      incumbent: 7,
      revisits: {
        eligible: [{ iteration: 2, against: 0, gain: null, description: "x" }],
        done: [],
        canAsk: false,
      },
    });
    expect(api).toContain("- #2 (no score against #0): x");
    expect(api).not.toContain("revisit: #N");
    expect(renderBranch({ incumbent: 7, revisits: { eligible: [], done: [], canAsk: true } })).toBe(
      "",
    );
  });

  it("draws revisits on the dashboard even when no branch line was written", () => {
    const log = {
      results: [...rows, row(8, "keep", 9.3, -0.1, { revisit_of: 2 })],
      branches: [],
    };
    const tree = branchTree(log)!;
    expect(tree.revisits).toEqual([{ iteration: 8, of: 2, status: "keep", delta: -0.1 }]);
    expect(tree.branches).toEqual([]);
    const md = renderBranches(tree);
    expect(md).toContain("## Branches (0 switches, 1 revisit)");
    expect(md).toContain("| #8 | #2 | keep | −0.1 |");
    expect(md).not.toContain("Switches:");
    expect(branchTree({ results: rows, branches: [] })).toBeNull();
  });
});
