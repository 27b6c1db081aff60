import { describe, expect, it } from "vitest";
import type { RemeasureEntry } from "../../action/ledger/types.ts";
import { rewardOf, ucb1 } from "../../action/strategy/bandit.ts";
import { branchStrategy } from "../../action/strategy/branch.ts";
import { branchPoints } from "../../action/strategy/branch-points.ts";
import { climb } from "../../action/strategy/climb.ts";
import { row } from "../helpers/strategy-rows.ts";

describe("ucb1", () => {
  it("tries every arm once, in order, before it trusts a mean", () => {
    const arms = [
      { key: "a", pulls: 3, reward: 3 },
      { key: "b", pulls: 0, reward: 0 },
      { key: "c", pulls: 0, reward: 0 },
    ];
    expect(ucb1(arms).pick.key).toBe("b");
  });

  it("picks the arm with the highest mean plus sqrt(2 ln N / n)", () => {
    // N = 10. a: 0.5 + sqrt(2 ln 10 / 5) = 1.46; b: 0.8 + sqrt(2 ln 10 / 5) = 1.76.
    const { pick, scored } = ucb1([
      { key: "a", pulls: 5, reward: 2.5 },
      { key: "b", pulls: 5, reward: 4 },
    ]);
    expect(pick.key).toBe("b");
    expect(scored[0]!.bound).toBeCloseTo(0.5 + Math.sqrt((2 * Math.log(10)) / 5), 9);
  });

  it("explores an arm pulled less even when its mean is lower", () => {
    // a: 0.6 + sqrt(2 ln 21 / 20) = 1.15; b: 0.3 + sqrt(2 ln 21 / 1) = 2.77.
    expect(
      ucb1([
        { key: "a", pulls: 20, reward: 12 },
        { key: "b", pulls: 1, reward: 0.3 },
      ]).pick.key,
    ).toBe("b");
  });

  it("breaks ties to the earliest arm, and refuses no arms", () => {
    const tie = [
      { key: 1, pulls: 2, reward: 1 },
      { key: 2, pulls: 2, reward: 1 },
    ];
    expect(ucb1(tie).pick.key).toBe(1);
    expect(() => ucb1([])).toThrow(/at least one arm/);
  });
});

describe("rewardOf", () => {
  it("maps a gain of -2..+2 scales onto 0..1, and a proposal without a score to 0", () => {
    expect(rewardOf(0, 1)).toBe(0.5);
    expect(rewardOf(2, 1)).toBe(1);
    expect(rewardOf(5, 1)).toBe(1);
    expect(rewardOf(-1, 0.5)).toBe(0);
    expect(rewardOf(0.5, 1)).toBeCloseTo(0.625, 9);
    expect(rewardOf(null, 1)).toBe(0);
  });
});

describe("branchPoints", () => {
  // Minimize: the baseline 10, #2 kept at 9 (the incumbent); the rest judged against #0 or #2.
  const rows = [
    row(0, "baseline", 10, 0),
    row(1, "discard", 10.5, 0.5),
    row(2, "keep", 9, -1),
    row(3, "discard", 9.1, 0.1),
    row(4, "crash", null, null),
    row(5, "discard", 9.05, 0.05),
    row(6, "guard_fail", 8, -1),
    row(7, "discard", 9.05, 0.05, { content_key: "k5" }),
  ];
  const incumbent = { iteration: 2, score: 9 };
  // #3 and #7 were measured in pairs beside #2 (its runs paired with theirs); #5 was not.
  const pairedWith = (n: number, runs: number[]): RemeasureEntry => ({
    type: "remeasure",
    iteration: 2,
    after: n,
    reason: "concurrent",
    reset: false,
    samples: { score: runs },
    eval_seconds: 0,
    timestamp: "",
    paired_with: n,
  });
  const measured = {
    remeasures: [pairedWith(3, [9, 9.1, 8.9]), pairedWith(7, [9, 9])],
    metric: "score",
  };

  it("ranks near-misses and earlier incumbents by their gap to the incumbent, one per content", () => {
    const points = branchPoints(rows, incumbent, "minimize", 10, measured);
    expect(points.map((p) => [p.iteration, p.kind, p.measured, p.pairs])).toEqual([
      [7, "near-miss", "paired", 2],
      [3, "near-miss", "paired", 3],
      [0, "kept", "unpaired", undefined],
      [1, "near-miss", "unpaired", undefined],
    ]);
    expect(points.map((p) => p.gain)).toEqual([-0.05, -0.1, -1, -1.5]);
    expect(branchPoints(rows, incumbent, "minimize", 2, measured)).toHaveLength(2);
  });

  it("calls a gap judged against the incumbent without pairs (a first run screened out) unpaired", () => {
    // Without #7's pairs, its content's gap is #5's or #7's one run less the incumbent's mean.
    const points = branchPoints(rows, incumbent, "minimize", 10, {
      remeasures: [pairedWith(3, [9, 9.1, 8.9])],
      metric: "score",
    });
    const seven = points.find((p) => p.iteration === 7)!;
    expect([seven.measured, seven.pairs]).toEqual(["unpaired", undefined]);
    expect(seven.gain).toBeCloseTo(-0.05, 9);
    // A screened first run is in the incumbent's paired line but not in the row's delta.
    const screened = rows.map((r) =>
      r.iteration === 3 ? { ...r, screen: { at: 1, z: 0.5, against: 2 } } : r,
    );
    const three = branchPoints(screened, incumbent, "minimize", 10, measured).find(
      (p) => p.iteration === 3,
    )!;
    expect([three.measured, three.pairs]).toEqual(["paired", 2]);
  });

  it("takes `against` as the incumbent a row was judged against", () => {
    const late = [...rows, row(8, "discard", 9.2, 0.3, { against: 0 })];
    const p = branchPoints(late, incumbent, "minimize", 10).find((x) => x.iteration === 8)!;
    expect(p.measured).toBe("unpaired");
    expect(p.gain).toBeCloseTo(-0.2, 9);
  });
});

describe("branch strategy", () => {
  const rows = [
    row(0, "baseline", 10, 0),
    row(1, "discard", 9.9, -0.1),
    row(2, "discard", 9.5, -0.5),
    row(3, "crash", null, null),
  ];
  const state = {
    rows,
    incumbent: { iteration: 0, score: 10 },
    goal: "maximize" as const,
    scale: 0.1,
    pending: [],
  };

  it("climbs until `stall` experiments in a row were not kept", () => {
    const s = branchStrategy({ stall: 4, points: 3 });
    expect(s.pick(state)).toEqual({ on: null });
    expect(climb.pick(state)).toEqual({ on: null });
  });

  it("then proposes on the untried points best first, counting proposals in flight", () => {
    const s = branchStrategy({ stall: 3, points: 3 });
    const first = s.pick(state);
    expect(first.on?.iteration).toBe(1);
    expect(first.why).toMatch(
      /^no keep in the last 3 experiments \(strategy.stall 3\): proposing on #1 \(a near-miss, −0.1 \(worse\) against the incumbent #0, its mean less the incumbent's, measured at different times; not yet proposed on/,
    );
    expect(first.points!.map((p) => p.iteration)).toEqual([1, 2]);
    expect(s.pick({ ...state, pending: [1] }).on?.iteration).toBe(2);
  });

  it("shares proposals by gain per proposal: the point whose proposals gained is picked again", () => {
    const s = branchStrategy({ stall: 3, points: 2 });
    const more = [
      ...rows,
      row(4, "discard", 9.4, -0.6, { proposed_on: 1 }),
      row(5, "crash", null, null, { proposed_on: 2 }),
      row(6, "discard", 9.45, -0.55, { proposed_on: 1 }),
      row(7, "crash", null, null, { proposed_on: 2 }),
    ];
    // Scale 1: #1's proposals earned 0.35 and 0.36, #2's nothing, the incumbent's 0.28 a
    // proposal over 3: UCB1 bounds 1.75, 1.39 and 1.42.
    const pick = s.pick({ ...state, rows: more, scale: 1 });
    expect(pick.on?.iteration).toBe(1);
    expect(pick.why).toMatch(/UCB1: mean reward 0\.\d\d over 2 proposal\(s\)/);
  });

  it("goes back to climbing after a keep", () => {
    const s = branchStrategy({ stall: 3, points: 2 });
    const kept = [...rows, row(4, "keep", 10.2, 0.2, { proposed_on: 1 })];
    expect(s.pick({ ...state, rows: kept, incumbent: { iteration: 4, score: 10.2 } })).toEqual({
      on: null,
    });
  });
});
