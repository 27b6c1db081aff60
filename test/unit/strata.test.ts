import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { compare } from "../../action/decide/compare.ts";
import { type Judgement, judge, type Policy } from "../../action/decide/judge.ts";
import { ledgerStrata } from "../../action/decide/ledger-strata.ts";
import { type Noise, pooledNoise } from "../../action/decide/noise.ts";
import {
  compareStrata,
  flattenStrata,
  type RunOn,
  splitByStratum,
  stratumOf,
} from "../../action/decide/strata.ts";
import { formatEvidence } from "../../action/ledger/render-dashboard.ts";
import type { RemeasureEntry, ResultEntry } from "../../action/ledger/types.ts";

const policy: Policy = {
  rule: "primary",
  objectives: [{ name: "score", goal: "maximize", minDelta: 0.25 }],
  guards: {},
  confidence: 0.95,
  maxRuns: 5,
  simplification: false,
};
const o = policy.objectives[0]!;
const sd1: Noise = { sd: 1, df: 40, robustSd: null };
const status = (j: Judgement) => (j.final ? j.status : "again");

describe("stratumOf: what makes two runs comparable", () => {
  const h100: RunOn = { worker: 2, device: "NVIDIA H100 80GB HBM3 #2" };
  it("by device kind: the GPU's name without its index; CPU workers are one kind", () => {
    expect(stratumOf("device", h100)).toBe("NVIDIA H100 80GB HBM3");
    expect(stratumOf("device", { worker: 0, device: "NVIDIA H100 80GB HBM3 #0" })).toBe(
      "NVIDIA H100 80GB HBM3",
    );
    expect(stratumOf("device", { worker: 3, device: null })).toBe("cpu");
  });
  it("by worker, or all together; a run with no recorded worker ran alone (serial)", () => {
    expect(stratumOf("worker", h100)).toBe("worker 2");
    expect(stratumOf("any", h100)).toBe("all");
    expect(stratumOf("any", undefined)).toBe("all");
    expect(stratumOf("worker", undefined)).toBe("serial");
    expect(stratumOf("device", undefined)).toBe("serial");
  });
  it("splits runs by where each ran, every metric by the same run index", () => {
    const split = splitByStratum(
      { score: [1, 2, 3], mem: [10, 20, 30] },
      [
        { worker: 0, device: null },
        { worker: 1, device: null },
        { worker: 0, device: null },
      ],
      "worker",
    );
    expect(split).toEqual({
      "worker 0": { score: [1, 3], mem: [10, 30] },
      "worker 1": { score: [2], mem: [20] },
    });
    expect(flattenStrata(split).score!.sort()).toEqual([1, 2, 3]);
  });
});

describe("compareStrata: the blocked comparison", () => {
  // Worker 1 reads 3 sd higher than worker 0 on the same code.
  const incumbent = {
    "worker 0": { score: [0.1, -0.1, 0.2, -0.2, 0] },
    "worker 1": { score: [3.1, 2.9] },
  };
  it("is not fooled by a device offset, where the pooled comparison is", () => {
    const candidate = { "worker 1": { score: [3.05, 2.95, 3.1] } };
    const stratified = compareStrata(o, incumbent, candidate, sd1);
    expect(stratified.gain).toBeCloseTo(0.033333, 5);
    const input = {
      policy,
      incumbent: flattenStrata(incumbent),
      candidate: flattenStrata(candidate),
      noise: { score: sd1 },
    };
    // Pooled: the candidate ran only on the fast worker, so it "gains" about 2.2 sd and is kept.
    expect(compare(o, input).gain).toBeGreaterThan(2);
    expect(status(judge(input))).toBe("keep");
    const j = judge({ ...input, strata: { incumbent, candidate } });
    expect(status(j)).toBe("discard");
    if (!j.final || !j.evidence) throw new Error("no evidence");
    expect(j.evidence.strata).toEqual([
      { stratum: "worker 1", gain: 0.0333333, runs: 3, incumbent_runs: 2 },
    ]);
    expect(j.evidence.incumbent_runs).toBe(2);
    // The dashboard and the PR say what the comparison used.
    expect(formatEvidence({ evidence: j.evidence }, "minimize")).toMatch(
      /3 vs 2 runs on worker 1$/,
    );
  });

  it("keeps a real improvement measured on another worker than the baseline's", () => {
    const candidate = { "worker 1": { score: [5.5, 5.4, 5.6, 5.5] } };
    const j = judge({
      policy,
      incumbent: flattenStrata(incumbent),
      candidate: flattenStrata(candidate),
      noise: { score: sd1 },
      strata: { incumbent, candidate },
    });
    expect(status(j)).toBe("keep");
  });

  it("weights each stratum by the inverse of its variance; one stratum is the plain test", () => {
    const one = compareStrata(
      o,
      { a: { score: [0, 1, 2, 3] } },
      { a: { score: [2, 3] } },
      { sd: 2, df: 10, robustSd: null },
    );
    expect(one.gain).toBeCloseTo(1, 12);
    expect(one.se).toBeCloseTo(2 * Math.sqrt(1 / 2 + 1 / 4), 12);
    // Two strata: w_a = 1/(1/2 + 1/4) = 4/3 with gain 1; w_b = 1/(1/1 + 1/1) = 1/2 with gain 4.
    const two = compareStrata(
      o,
      { a: { score: [0, 1, 2, 3] }, b: { score: [10] } },
      { a: { score: [2, 3] }, b: { score: [14] } },
      { sd: 2, df: 10, robustSd: null },
    );
    expect(two.gain).toBeCloseTo((4 / 3 + 0.5 * 4) / (4 / 3 + 0.5), 12);
    expect(two.se).toBeCloseTo(2 / Math.sqrt(4 / 3 + 0.5), 12);
    expect(two.nC).toBe(3);
    expect(two.nI).toBe(5);
  });

  it("compares nothing across strata: a candidate on a stratum the incumbent never ran on", () => {
    expect(() => compareStrata(o, { a: { score: [1, 2] } }, { b: { score: [5] } }, sd1)).toThrow(
      /no stratum holds runs of both/,
    );
  });

  it("holds its false-keep rate under a 4.5 sd offset between workers (simulation)", () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed + 0.5) / 2 ** 31;
    };
    const gauss = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
    let kept = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      // The incumbent: 5 runs alone, 1 run on worker 3 (offset 4.5); the candidate: same code.
      const incumbent = {
        serial: { score: Array.from({ length: 5 }, gauss) },
        "worker 3": { score: [4.5 + gauss()] },
      };
      const candidate = { "worker 3": { score: [] as number[] } };
      let j: Judgement = { final: false, reason: "" };
      while (!j.final) {
        candidate["worker 3"].score.push(4.5 + gauss());
        j = judge({
          policy,
          incumbent: flattenStrata(incumbent),
          candidate: flattenStrata(candidate),
          noise: { score: sd1 },
          strata: { incumbent, candidate },
        });
      }
      if (j.status === "keep") kept++;
    }
    expect(kept / trials).toBeLessThan(0.05);
  });
});

describe("ledgerStrata: the ledger's runs by stratum", () => {
  const w = (worker: number): RunOn => ({ worker, device: null });
  const row = (iteration: number, score: number[], runsOn?: RunOn[]): ResultEntry =>
    ({
      type: "result",
      iteration,
      status: iteration === 0 ? "baseline" : "keep",
      score: score[0],
      samples: { score },
      ...(runsOn ? { runs_on: runsOn } : {}),
    }) as unknown as ResultEntry;
  const again = (
    iteration: number,
    score: number[],
    runsOn: RunOn[] | undefined,
    reset = false,
  ): RemeasureEntry => ({
    type: "remeasure",
    iteration,
    after: iteration,
    reason: reset ? "drift" : "concurrent",
    reset,
    samples: { score },
    ...(runsOn ? { runs_on: runsOn } : {}),
    eval_seconds: 0,
    timestamp: "",
  });

  it("merges re-measures by stratum, splits the noise groups by stratum, retires on reset, out of the noise", () => {
    const log = {
      results: [row(0, [0, 1, 2]), row(1, [5, 6], [w(1), w(1)])],
      remeasures: [again(0, [10, 11], [w(1), w(1)]), again(1, [7], [w(0)])],
    };
    const s = ledgerStrata(log, "worker");
    expect(s.current.get(0)).toEqual({
      serial: { score: [0, 1, 2] },
      "worker 1": { score: [10, 11] },
    });
    expect(s.current.get(1)).toEqual({ "worker 1": { score: [5, 6] }, "worker 0": { score: [7] } });
    // The 10-unit offset of worker 1 is not noise: within strata the spread is that of each group.
    const within = pooledNoise(s.groups.map((g) => g.score ?? []));
    expect(within.sd).toBeCloseTo(Math.sqrt((2 + 0.5 + 0.5) / 4), 12);
    const pooled = ledgerStrata(log, "any");
    expect(pooledNoise(pooled.groups.map((g) => g.score ?? [])).sd).toBeGreaterThan(4);

    // Grown in place (as the record store grows its ledger): the same as read afresh.
    log.remeasures.push(again(1, [9, 9.5], [w(2), w(2)], true));
    log.results.push(row(2, [3], [w(0)]));
    const grown = ledgerStrata(log, "worker");
    const fresh = ledgerStrata(
      { results: [...log.results], remeasures: [...log.remeasures] },
      "worker",
    );
    expect(grown.current).toEqual(fresh.current);
    expect(grown.groups).toEqual(fresh.groups);
    expect(grown.current.get(1)).toEqual({ "worker 2": { score: [9, 9.5] } });
    // The groups a drift reset retired no longer count for the noise: they hold both sides of
    // the drift. The other groups still do.
    expect(grown.groups).not.toContainEqual({ score: [5, 6] });
    expect(grown.groups).toContainEqual({ score: [0, 1, 2] });
    expect(grown.groups).toContainEqual({ score: [9, 9.5] });
  });
});

describe("decide.compare_within in autoexp.yml", () => {
  const yml = (v: string) =>
    `name: t\ntarget: [a]\neval:\n  command: c\n  metrics:\n    s: { goal: maximize }\ndecide: { compare_within: ${v} }\n`;
  it("defaults to device, accepts worker and any", () => {
    const plain = parseConfigText(
      yml("device").replace("decide: { compare_within: device }\n", ""),
    );
    expect(plain.ok && plain.config.decide.compare_within).toBe("device");
    const worker = parseConfigText(yml("worker"));
    expect(worker.ok && worker.config.decide.compare_within).toBe("worker");
  });
  it("refuses another value, naming the field and the choices", () => {
    const bad = parseConfigText(yml("gpu"));
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(!bad.ok && bad.problems)).toMatch(
      /decide\.compare_within must be one of: device .*worker .*any/,
    );
  });
});
