import { describe, expect, it } from "vitest";
import {
  incumbentRunsNeeded,
  judgedDeterministic,
  noiseSeen,
  nondeterminism,
} from "../../action/decide/determinism.ts";
import { pooledNoise } from "../../action/decide/noise.ts";
import { agree } from "../../action/decide/stats.ts";

describe("determinism: the spread seen in an eval judged deterministic", () => {
  it("judges an eval deterministic from its header: baseline runs that agreed (noise 0)", () => {
    expect(judgedDeterministic({ noise: 0 })).toBe(true);
    expect(judgedDeterministic({ noise: 0.2 })).toBe(false);
    expect(judgedDeterministic({ noise: null })).toBe(false);
    expect(judgedDeterministic(null)).toBe(false);
    expect(agree([1, 1, 1])).toBe(true);
    expect(agree([1, 1.0000001])).toBe(false);
  });

  it("pools the noise over the runs that disagree only: identical runs do not shrink it", () => {
    const groups = [{ loss: [10, 10, 10, 10, 10] }, { loss: [9] }, { loss: [9, 10] }];
    const seen = noiseSeen(groups, ["loss"], true).loss!;
    expect(seen).toEqual(pooledNoise([[9, 10]]));
    expect(seen.sd).toBeCloseTo(Math.SQRT1_2, 12);
    expect(seen.df).toBe(1);
    // The plain pooled estimate counts the baseline's 4 df of zero spread: sd 0.32.
    const plain = noiseSeen(groups, ["loss"], false).loss!;
    expect(plain.df).toBe(5);
    expect(plain.sd).toBeCloseTo(Math.sqrt(0.5 / 5), 12);
    // While every group agrees: zero, with the df of all (the eval is still deterministic).
    expect(noiseSeen(groups.slice(0, 2), ["loss"], true).loss).toEqual({
      sd: 0,
      df: 4,
      robustSd: null,
    });
  });

  it("says why a candidate is nondeterministic, on any decisive objective", () => {
    const objectives = [
      { name: "loss", goal: "minimize" as const, minDelta: 0 },
      { name: "ms", goal: "minimize" as const, minDelta: 0 },
    ];
    const inc = { loss: [5, 5], ms: [3, 3] };
    expect(nondeterminism(objectives, inc, { loss: [4, 4], ms: [2, 2] })).toBeNull();
    expect(nondeterminism(objectives, inc, { loss: [4], ms: [2] })).toBeNull();
    expect(nondeterminism(objectives, inc, { loss: [4, 4], ms: [2, 2.5] })).toContain(
      "ms 2, 2.5 in 2 runs",
    );
    // An incumbent whose own runs differ: the eval is noisy, nothing is marked.
    expect(nondeterminism(objectives, { loss: [5, 6], ms: [3, 3.1] }, { loss: [4, 5] })).toBeNull();
  });

  it("asks a stratum for two runs of the incumbent while a deterministic eval's runs agree, else baseline_runs", () => {
    const agreeing = [{ loss: [0.13765, 0.13765, 0.13765] }, { loss: [0.2, 0.2] }];
    expect(incumbentRunsNeeded(5, { noise: 0 }, agreeing, "loss")).toBe(2);
    expect(incumbentRunsNeeded(1, { noise: 0 }, agreeing, "loss")).toBe(1);
    // Runs of one code that disagreed: the night is judged by the noisy rule, with its runs.
    expect(incumbentRunsNeeded(5, { noise: 0 }, [...agreeing, { loss: [0.3, 0.31] }], "loss")).toBe(
      5,
    );
    // A noisy eval.
    expect(incumbentRunsNeeded(5, { noise: 0.01 }, agreeing, "loss")).toBe(5);
    expect(incumbentRunsNeeded(5, null, agreeing, "loss")).toBe(5);
  });
});
