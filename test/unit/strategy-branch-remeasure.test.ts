import { describe, expect, it } from "vitest";
import type { RemeasureEntry } from "../../action/ledger/types.ts";
import { branchStrategy, MEASURE_PER_INCUMBENT } from "../../action/strategy/branch.ts";
import { branchPoints, pairedBeside } from "../../action/strategy/branch-points.ts";
import { climb } from "../../action/strategy/climb.ts";
import { row } from "../helpers/strategy-rows.ts";

/** The two lines of branch point `point` measured beside incumbent `incumbent`, in pairs. */
function beside(
  point: number,
  incumbent: number,
  pointRuns: number[],
  incumbentRuns: number[],
): RemeasureEntry[] {
  const line = (iteration: number, runs: number[]): RemeasureEntry => ({
    type: "remeasure",
    iteration,
    after: 9,
    reason: "branch",
    reset: false,
    samples: runs.length > 0 ? { score: runs } : {},
    eval_seconds: 0,
    timestamp: "",
    seeds: runs.map((_, i) => 100 + i),
    beside: { point, incumbent },
  });
  return [line(point, pointRuns), line(incumbent, incumbentRuns)];
}

// Maximize. #0 the baseline at 9.5, #2 kept at 10 (the incumbent). #1, judged against #0, has a
// lucky recorded score (9.95: 0.05 under the incumbent); #3, screened out on one run against #2,
// 9.9. Measured beside #2 in pairs, #1 is 0.4 worse and #3 0.1 worse.
const rows = [
  row(0, "baseline", 9.5, 0),
  row(1, "discard", 9.95, 0.45),
  row(2, "keep", 10, 0.5),
  row(3, "discard", 9.9, -0.1),
];
const incumbent = { iteration: 2, score: 10 };
const remeasures = [
  ...beside(1, 2, [9.6, 9.7], [10, 10.1]),
  ...beside(3, 2, [9.85, 9.95], [10, 10]),
];

describe("branchPoints with branch points re-measured beside the incumbent", () => {
  it("ranks a lucky recorded point below one whose paired gap is better", () => {
    const recorded = branchPoints(rows, incumbent, "maximize", 3);
    expect(recorded.map((p) => [p.iteration, p.measured])).toEqual([
      [1, "unpaired"],
      [3, "unpaired"],
      [0, "unpaired"],
    ]);
    const points = branchPoints(rows, incumbent, "maximize", 3, { remeasures, metric: "score" });
    expect(points.map((p) => [p.iteration, p.measured, p.pairs])).toEqual([
      [3, "paired", 2],
      [1, "paired", 2],
      [0, "unpaired", undefined],
    ]);
    expect(points[0]!.gain).toBeCloseTo(-0.1, 9);
    expect(points[1]!.gain).toBeCloseTo(-0.4, 9);
    // Signed as a gain under minimize too: lower is better there.
    const min = branchPoints(rows, incumbent, "minimize", 3, { remeasures, metric: "score" });
    expect(min.find((p) => p.iteration === 1)!.gain).toBeCloseTo(0.4, 9);
  });

  it("uses only pairs beside this incumbent, and the metric it is told", () => {
    const other = [...beside(1, 0, [9.6, 9.7], [10, 10.1])];
    expect(
      branchPoints(rows, incumbent, "maximize", 3, { remeasures: other, metric: "score" })[0]!
        .measured,
    ).toBe("unpaired");
    expect(
      branchPoints(rows, incumbent, "maximize", 3, { remeasures, metric: "loss" })[0]!.measured,
    ).toBe("unpaired");
  });

  it("pairs runs line by line, leaves out a run whose other side failed, and drops a point that gave none", () => {
    // #1 ran once then failed: the incumbent's second run has no partner.
    const broken = [...beside(1, 2, [9.6], [10, 10.1]), ...beside(3, 2, [], [10])];
    const paired = pairedBeside({ remeasures: broken, metric: "score" }, 2);
    expect(paired.get(1)!.pairs).toBe(1);
    expect(paired.get(1)!.gap).toBeCloseTo(-0.4, 9);
    expect(paired.get(3)).toEqual({ pairs: 0, gap: 0 });
    const points = branchPoints(rows, incumbent, "maximize", 3, {
      remeasures: broken,
      metric: "score",
    });
    expect(points.map((p) => p.iteration)).toEqual([1, 0]);
  });
});

describe("branch strategy: points to measure beside the incumbent", () => {
  // Maximize, the baseline #0 the incumbent; five discards judged against it on one run each.
  const plateau = [
    row(0, "baseline", 10, 0),
    row(1, "discard", 9.99, -0.01),
    row(2, "discard", 9.98, -0.02),
    row(3, "discard", 9.97, -0.03),
    row(4, "discard", 9.96, -0.04),
    row(5, "discard", 9.95, -0.05),
  ];
  const state = {
    rows: plateau,
    incumbent: { iteration: 0, score: 10 },
    goal: "maximize" as const,
    scale: 0.1,
    pending: [],
    metric: "score",
  };

  it("asks for none before the stall, and never under climb", () => {
    const s = branchStrategy({ stall: 6, points: 2 });
    expect(s.toMeasure!(state)).toEqual([]);
    expect(climb.toMeasure).toBeUndefined();
  });

  it("asks for the offered points without a paired gap; one measured makes room for the next", () => {
    const s = branchStrategy({ stall: 5, points: 2 });
    expect(s.toMeasure!(state).map((p) => p.iteration)).toEqual([1, 2]);
    // #1 measured: 0.5 worse beside the incumbent. It drops out; #3 comes in, unmeasured.
    const one = { ...state, remeasures: beside(1, 0, [9.5, 9.5], [10, 10]) };
    expect(s.toMeasure!(one).map((p) => p.iteration)).toEqual([2, 3]);
    // Measured all that were offered, each close: nothing more.
    const close = {
      ...state,
      remeasures: [...beside(1, 0, [9.99, 9.99], [10, 10]), ...beside(2, 0, [9.98], [10])],
    };
    expect(s.toMeasure!(close)).toEqual([]);
    // A keep ends the stall: nothing to measure until the next one.
    const kept = [...plateau, row(6, "keep", 10.5, 0.5)];
    expect(
      s.toMeasure!({ ...state, rows: kept, incumbent: { iteration: 6, score: 10.5 } }),
    ).toEqual([]);
  });

  it("measures at most MEASURE_PER_INCUMBENT x points beside one incumbent", () => {
    const s = branchStrategy({ stall: 5, points: 1 });
    expect(MEASURE_PER_INCUMBENT).toBe(2);
    // #1 and #2 measured, each far worse: #3 would come in, but the bound is reached.
    const two = {
      ...state,
      remeasures: [...beside(1, 0, [9], [10]), ...beside(2, 0, [9], [10])],
    };
    expect(s.toMeasure!(two)).toEqual([]);
    const pick = s.pick(two);
    expect(pick.points!.map((p) => [p.iteration, p.measured])).toEqual([[3, "unpaired"]]);
  });

  it("says the gap was measured beside the incumbent, in how many pairs", () => {
    const s = branchStrategy({ stall: 5, points: 2 });
    const pick = s.pick({
      ...state,
      remeasures: [...beside(1, 0, [9.99, 9.99], [10, 10]), ...beside(2, 0, [9.5], [10])],
    });
    expect(pick.on?.iteration).toBe(1);
    expect(pick.why).toContain(
      "proposing on #1 (a near-miss, −0.01 (worse) against the incumbent #0, measured beside it in 2 pairs;",
    );
    expect(pick.points!.map((p) => [p.iteration, p.measured, p.pairs])).toEqual([
      [1, "paired", 2],
      [3, "unpaired", undefined],
    ]);
  });
});
