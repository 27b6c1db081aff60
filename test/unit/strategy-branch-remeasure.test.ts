import { describe, expect, it } from "vitest";
import type { RemeasureEntry } from "../../action/ledger/types.ts";
import { branchStrategy } from "../../action/strategy/branch.ts";
import { branchPoints, pairedBeside } from "../../action/strategy/branch-points.ts";
import { climb } from "../../action/strategy/climb.ts";
import type { Strategy, StrategyState } from "../../action/strategy/strategy.ts";
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

describe("branch strategy: the picked point is measured beside the incumbent", () => {
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
  const due = (s: Strategy, st: StrategyState) => {
    const m = s.toMeasure!(st);
    return m && [m.point.iteration, m.point.measured, m.pairs];
  };

  it("asks for none before the stall, none unless strategy.remeasure is set, and never under climb", () => {
    const s = branchStrategy({ stall: 6, points: 2, pairs: 2 });
    expect(s.toMeasure!(state)).toBeNull();
    expect(s.pick(state).on).toBeNull();
    expect(climb.toMeasure).toBeUndefined();
    // Stalled, the pick unmeasured, but re-measure off (the default): none.
    expect(branchStrategy({ stall: 5, points: 2 }).toMeasure!(state)).toBeNull();
    expect(branchStrategy({ stall: 5, points: 2, pairs: 0 }).toMeasure!(state)).toBeNull();
    expect(branchStrategy({ stall: 5, points: 2 }).pick(state).on?.iteration).toBe(1);
  });

  it("asks only for the point the pick proposes on, in the pairs set, and again once it lost its place", () => {
    const s = branchStrategy({ stall: 5, points: 2, pairs: 2 });
    // #1 and #2 are offered, both unmeasured: only the pick, #1, is asked for.
    expect(s.pick(state).on?.iteration).toBe(1);
    expect(due(s, state)).toEqual([1, "unpaired", 2]);
    // #1 measured: 0.5 worse beside the incumbent. It drops out, #3 comes in; the pick is #2.
    const one = { ...state, remeasures: beside(1, 0, [9.5], [10]) };
    expect(s.pick(one).points!.map((p) => p.iteration)).toEqual([2, 3]);
    expect(due(s, one)).toEqual([2, "unpaired", 2]);
    // #1 measured close instead: it stays first and is picked on its paired gap. #2, offered
    // but not picked, is not measured.
    const close = { ...state, remeasures: beside(1, 0, [9.99], [10]) };
    expect(s.pick(close).on).toMatchObject({ iteration: 1, measured: "paired", pairs: 1 });
    expect(s.pick(close).points![1]).toMatchObject({ iteration: 2, measured: "unpaired" });
    expect(s.toMeasure!(close)).toBeNull();
    // A keep ends the stall: nothing to measure until the next one.
    const kept = [...plateau, row(6, "keep", 10.5, 0.5)];
    expect(s.toMeasure!({ ...state, rows: kept, incumbent: { iteration: 6, score: 10.5 } })).toBe(
      null,
    );
  });

  it("a lucky recorded point, once measured, loses the pick to a truly better one", () => {
    // #1's recorded 9.99 was lucky (0.6 worse beside the incumbent); #2 is truly 0.02 worse.
    const s = branchStrategy({ stall: 5, points: 2, pairs: 2 });
    const lucky = { ...state, remeasures: beside(1, 0, [9.4], [10]) };
    expect(due(s, lucky)).toEqual([2, "unpaired", 2]);
    const both = { ...lucky, remeasures: [...lucky.remeasures, ...beside(2, 0, [9.98], [10])] };
    expect(s.toMeasure!(both)).toBeNull();
    const pick = s.pick(both);
    expect(pick.on).toMatchObject({ iteration: 2, measured: "paired" });
    expect(pick.on!.gain).toBeCloseTo(-0.02, 9);
  });

  it("reads the proposals in flight as the pick does: the next untried point is asked for", () => {
    const s = branchStrategy({ stall: 5, points: 2, pairs: 2 });
    const inFlight = { ...state, pending: [1] };
    expect(s.pick(inFlight).on?.iteration).toBe(2);
    expect(due(s, inFlight)).toEqual([2, "unpaired", 2]);
    // The incumbent picked (every point tried and gaining nothing): nothing to measure.
    const tried = [
      ...plateau,
      ...[6, 7, 8, 9, 10, 11].map((n) =>
        row(n, "discard", 9, -1, { proposed_on: n % 2 === 0 ? 1 : 2 }),
      ),
    ];
    const after = { ...state, rows: tried };
    expect(s.pick(after).on).toBeNull();
    expect(s.toMeasure!(after)).toBeNull();
  });

  it("measures at most `points` points beside one incumbent, and in the pairs it is given", () => {
    const s = branchStrategy({ stall: 5, points: 1, pairs: 2 });
    // #1 measured, far worse: #2 comes in as the pick, but the bound is reached.
    const one = { ...state, remeasures: beside(1, 0, [9], [10]) };
    expect(s.toMeasure!(one)).toBeNull();
    expect(s.pick(one).on).toMatchObject({ iteration: 2, measured: "unpaired" });
    expect(due(branchStrategy({ stall: 5, points: 2, pairs: 2 }), one)).toEqual([2, "unpaired", 2]);
    expect(due(branchStrategy({ stall: 5, points: 1, pairs: 3 }), state)).toEqual([
      1,
      "unpaired",
      3,
    ]);
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
