import { describe, expect, it } from "vitest";
import { DRIFT_Z, driftCheck, stepWithin } from "../../action/decide/drift.ts";
import { incumbentState } from "../../action/decide/ledger-state.ts";
import { pooledNoise } from "../../action/decide/noise.ts";
import { mean } from "../../action/decide/stats.ts";
import type { ParsedLog } from "../../action/ledger/log-jsonl.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { createRandom, gaussian } from "../../action/util/random.ts";

/** A ledger whose only measured experiment is the baseline, with these runs of `loss`. */
function baselineLog(runs: number[]): Pick<ParsedLog, "results" | "remeasures" | "config"> {
  const baseline: ResultEntry = {
    type: "result",
    iteration: 0,
    commit: "abc1234",
    commit_full: "abc1234".padEnd(40, "0"),
    diff: null,
    score: runs.reduce((s, x) => s + x, 0) / runs.length,
    delta: 0,
    guard_score: null,
    guard_pass: null,
    status: "baseline",
    description: "baseline",
    timestamp: "2026-01-01T00:00:00.000Z",
    metrics: {},
    samples: { loss: runs },
    agent_seconds: 0,
    eval_seconds: 1,
    cost_usd: 0,
  };
  return { config: null, results: [baseline], remeasures: [] };
}

function check(baseline: number[], fresh: number[], confirm = false): string | null {
  const log = baselineLog(baseline);
  const inc = incumbentState(log)!;
  return driftCheck(log, "loss", inc, { loss: fresh }, confirm);
}

// Baseline runs 9 and 11: a pooled sd of sqrt(2) on 1 df. One fresh run against their mean of
// 10 has a standard error of sqrt(2) * sqrt(1 + 1/2) = sqrt(3), so |z| = 3.29 at 10 ± 5.698.
const SPREAD = [9, 11];
const EDGE = DRIFT_Z * Math.sqrt(3);

describe("driftCheck on one fresh run", () => {
  it("sees no drift when the run lies within noise", () => {
    expect(check(SPREAD, [10.5])).toBeNull();
    expect(check(SPREAD, [10 + EDGE - 0.1])).toBeNull();
    expect(check(SPREAD, [10 - EDGE + 0.1])).toBeNull();
  });

  it("suspects drift beyond |z| > 3.29, in either direction", () => {
    expect(check(SPREAD, [10 + EDGE + 0.1])).toBe("suspected");
    expect(check(SPREAD, [10 - EDGE - 0.1])).toBe("suspected");
  });

  it("only suspects without confirm, however far the run is", () => {
    expect(check(SPREAD, [1000])).toBe("suspected");
  });
});

describe("driftCheck with several runs (confirm)", () => {
  const steady = [10, 10.1, 9.9, 10.05, 9.95];

  it("confirms a shift the runs agree on, and describes it in words", () => {
    // The fresh runs scatter like the old ones, one unit higher: a pooled sd of sqrt(0.05 / 8).
    const note = check(steady, [11, 11.1, 10.9, 11.05, 10.95], true);
    expect(note).toBe(
      "the incumbent #0 now measures loss 11 over 5 runs, against 10 before (12.65 sd): drift; its score is re-based on the new runs",
    );
  });

  it("does not confirm a suspicion the further runs do not bear out", () => {
    expect(check(steady, [10.3], false)).toBe("suspected");
    expect(check(steady, [10.3, 10.0, 9.9, 10.05], true)).toBeNull();
  });

  it("pools the fresh runs' own spread into the noise: scattered fresh runs confirm nothing", () => {
    // Their mean is 1 higher, but they scatter by several units.
    expect(check(steady, [6, 14, 8, 16], true)).toBeNull();
  });
});

describe("driftCheck without a noise estimate", () => {
  it("returns null when every run measured the same (zero noise), however far the fresh run is", () => {
    expect(check([10, 10, 10], [12])).toBeNull();
    expect(check([10, 10, 10], [12, 12, 12], true)).toBeNull();
  });

  it("returns null with one baseline run (no noise) or no fresh runs", () => {
    expect(check([10], [50])).toBeNull();
    expect(check(SPREAD, [])).toBeNull();
  });
});

describe("driftCheck when the incumbent's runs already hold both sides of a step", () => {
  // A machine that slowed by 12 sd while a trial ran its pairs: the incumbent's runs beside it
  // (merged into its runs) read 12 higher than its earlier five, and the night's pooled noise,
  // those runs included, reads several times the truth.
  const draw = gaussian(createRandom(3));
  const before = Array.from({ length: 5 }, () => 100 + draw());
  const across = [...before, ...Array.from({ length: 5 }, () => 112 + draw())];

  it("suspects the step on one more run, where the pooled noise alone did not", () => {
    const fresh = 112 + draw();
    // The attack is real: against the pooled noise the fresh run is well within 3.29.
    const noise = pooledNoise([across, [fresh]]);
    expect(noise.sd).toBeGreaterThan(5);
    const z = (fresh - mean(across)) / (noise.sd * Math.sqrt(1 + 1 / across.length));
    expect(Math.abs(z)).toBeLessThan(DRIFT_Z);
    expect(check(across, [fresh])).toBe("suspected");
  });

  it("confirms it on the further runs, measured against the runs before the step", () => {
    const fresh = Array.from({ length: 5 }, () => 112 + draw());
    const note = check(across, fresh, true);
    expect(note).toMatch(/now measures loss 11[12]\.\d+ over 5 runs, against (99|100)\.\d+ before/);
    expect(note).toMatch(/: drift; its score is re-based on the new runs$/);
  });

  it("finds a step after the one run kept code made before the machine changed", () => {
    // Kept code's run after its keep, then six of its runs beside later candidates 12 sd slower:
    // no split with two runs before it separates the levels.
    const d = gaussian(createRandom(5));
    const runs = [100 + d(), ...Array.from({ length: 6 }, () => 112 + d())];
    const fresh = 112 + d();
    expect(check(runs, [fresh])).toBe("suspected");
    const note = check(runs, [fresh, ...Array.from({ length: 4 }, () => 112 + d())], true);
    expect(note).toMatch(/against (99|100|101)\.\d+ before/);
    // With four runs of it after the step (4 degrees of freedom), as on one night of
    // bench/drift.ts --scenarios slow, the step is not yet significant over five splits.
    expect(
      stepWithin([100.7026, 111.0275, 109.8039, 111.5226, 112.3809], [113.1902], 0.001),
    ).toBeNull();
  });

  it("seldom cries wolf: on a steady machine, fewer than 3 in 1,000 runs are suspected", () => {
    const noise = gaussian(createRandom(11));
    let suspected = 0;
    const trials = 20000;
    for (let i = 0; i < trials; i++) {
      const old = Array.from({ length: 10 }, noise);
      if (stepWithin(old, [noise()], 2 * 0.0005)) suspected++;
    }
    expect(suspected / trials).toBeLessThan(0.003);
  });
});
