import { describe, expect, it } from "vitest";
import { type Judgement, judge, type Policy } from "../../action/decide/judge.ts";
import { type Noise, pooledNoise } from "../../action/decide/noise.ts";
import { estimatePower } from "../../action/decide/power.ts";

const policy = (over: Partial<Policy> = {}): Policy => ({
  rule: "primary",
  objectives: [{ name: "loss", goal: "minimize", minDelta: 0.5 }],
  guards: {},
  confidence: 0.95,
  maxRuns: 5,
  simplification: false,
  ...over,
});
const noise = (sd: number, df = 40): Record<string, Noise> => ({
  loss: { sd, df, robustSd: null },
  mem: { sd: 0, df, robustSd: null },
  speed: { sd, df, robustSd: null },
});
const five = [10, 10, 10, 10, 10];
const status = (j: Judgement) => (j.final ? j.status : "again");

describe("judge: the sequential rule", () => {
  it("discards a clearly worse candidate after one run", () => {
    const j = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [12] },
      noise: noise(1),
    });
    expect(status(j)).toBe("discard");
    expect(j.final && j.reason).toContain("worse by 2");
  });

  it("asks for another run when one run looks better by at least min_delta", () => {
    const j = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [9.4] },
      noise: noise(1),
    });
    expect(status(j)).toBe("again");
    const below = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [9.6] },
      noise: noise(1),
    });
    expect(status(below)).toBe("discard");
  });

  it("keeps a confirmed improvement with its evidence: effect in sd, p-value, interval", () => {
    const j = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [7, 7.2] },
      noise: noise(1),
    });
    expect(status(j)).toBe("keep");
    if (!j.final || !j.evidence) throw new Error("no evidence");
    expect(j.evidence.gain).toBeCloseTo(2.9);
    expect(j.evidence.effect_sigma).toBeCloseTo(2.9);
    expect(j.evidence.p!).toBeLessThan(0.05 / 4);
    expect(j.evidence.ci![0]).toBeGreaterThan(0);
    expect(j.evidence.ci![1]).toBeGreaterThan(j.evidence.gain);
    expect([j.evidence.runs, j.evidence.incumbent_runs, j.evidence.test]).toEqual([2, 5, "t"]);
  });

  it("needs more than one lucky run: the same gain with fewer df is not yet enough", () => {
    const strong = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [8.5, 8.7] },
      noise: noise(1, 40),
    });
    const unsure = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [8.5, 8.7] },
      noise: noise(1, 3),
    });
    expect(status(strong)).toBe("again");
    expect(status(unsure)).toBe("again");
    const later = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [8.2, 8.3, 8.1, 8.2] },
      noise: noise(1, 40),
    });
    expect(status(later)).toBe("keep");
  });

  it("stops early when the improvement fades, and at max_runs when it stays unproven", () => {
    const faded = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [9.4, 10.6] },
      noise: noise(1),
    });
    expect(status(faded)).toBe("discard");
    expect(faded.final && faded.reason).toContain("faded");
    // Faded is a clear loss; running out of runs still in the running is not (a stale
    // candidate is then judged again on the new incumbent).
    expect(faded.final && faded.undecided).toBeFalsy();
    const capped = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [9.4, 9.5, 9.4, 9.5, 9.4] },
      noise: noise(1),
    });
    expect(status(capped)).toBe("discard");
    expect(capped.final && capped.reason).toContain("not confirmed after 5 runs");
    expect(capped.final && capped.undecided).toBe(true);
  });

  it("counts a screened candidate's pairs with its screened run's, and says so", () => {
    // The record's evidence leaves the screened run's pair out: "after 5 pairs" on the terminal
    // read against "4 pairs" on the dashboard.
    const capped = judge({
      policy: policy(),
      incumbent: { loss: [10, 10, 10, 10, 10] },
      candidate: { loss: [9.4, 9.5, 9.4, 9.5, 9.4] },
      noise: noise(1),
      paired: { first: "screened", screenedAgainst: 10 },
    });
    expect(status(capped)).toBe("discard");
    expect(capped.final && capped.reason).toContain(
      "not confirmed after 5 pairs (the first on its screened run): t = ",
    );
    // A re-applied change that had won (screen.won_against): its first run was not screened,
    // and the t it needed is the unscreened boundary's, above the screened one's.
    const unscreened = judge({
      policy: policy(),
      incumbent: { loss: [10, 10, 10, 10, 10] },
      candidate: { loss: [9.4, 9.5, 9.4, 9.5, 9.4] },
      noise: noise(1),
      paired: { first: "screened", screenedAgainst: 10, unscreened: true },
    });
    expect(status(unscreened)).toBe("discard");
    expect(unscreened.final && unscreened.reason).toContain(
      "not confirmed after 5 pairs (the first on its first run, measured but not screened): t = ",
    );
    const needed = (j: typeof capped) => Number(/needed (\S+) /.exec(j.reason)![1]);
    expect(needed(unscreened)).toBeGreaterThan(needed(capped));
  });

  it("reads maximize goals the other way round", () => {
    const p = policy({ objectives: [{ name: "loss", goal: "maximize", minDelta: 0.5 }] });
    expect(
      status(
        judge({
          policy: p,
          incumbent: { loss: five },
          candidate: { loss: [13, 13] },
          noise: noise(1),
        }),
      ),
    ).toBe("keep");
    expect(
      status(
        judge({ policy: p, incumbent: { loss: five }, candidate: { loss: [7] }, noise: noise(1) }),
      ),
    ).toBe("discard");
  });

  it("decides an eval with unknown noise on one run against min_delta", () => {
    for (const [c, want] of [
      [9.4, "keep"],
      [9.5, "discard"],
    ] as const) {
      const j = judge({
        policy: policy(),
        incumbent: { loss: five },
        candidate: { loss: [c] },
        noise: noise(0, 0),
      });
      expect(status(j)).toBe(want);
    }
    const greedy = policy({
      maxRuns: 1,
      objectives: [{ name: "loss", goal: "minimize", minDelta: 0 }],
    });
    const j = judge({
      policy: greedy,
      incumbent: { loss: [10] },
      candidate: { loss: [9.99] },
      noise: noise(1),
    });
    expect(status(j)).toBe("keep");
    expect(j.final && j.reason).toContain("not confirmed (p = ");
  });

  it("keeps on a deterministic eval only on two runs that agree; one run discards", () => {
    const det = (candidate: number[], over: Partial<Policy> = {}) =>
      judge({
        policy: policy(over),
        incumbent: { loss: five },
        candidate: { loss: candidate },
        noise: noise(0, 4),
        deterministic: true,
      });
    expect(status(det([9.5]))).toBe("discard");
    const plain = det([9.5]);
    expect(plain.final && plain.nondeterministic).toBeUndefined();
    const once = det([9.4]);
    expect(status(once)).toBe("again");
    expect(once.reason).toContain("two runs that agree");
    const twice = det([9.4, 9.4]);
    expect(status(twice)).toBe("keep");
    expect(twice.final && twice.reason).toContain("deterministic eval, 2 runs agree");
    expect(twice.final && twice.evidence?.test).toBe("exact");
    // confirm: false (max_runs 1) is the user's choice of one run deciding: left as it was.
    expect(status(det([9.4], { maxRuns: 1 }))).toBe("keep");
  });

  it("marks runs of the same code that disagree in an eval judged deterministic, and keeps nothing on them", () => {
    // The second run disagrees: the candidate's own runs raise the pooled noise above zero,
    // but the eval was judged deterministic and the incumbent's runs agree.
    const lying = [9, 10];
    const j = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: lying },
      noise: { loss: pooledNoise([five, lying]) },
      deterministic: true,
    });
    expect(status(j)).toBe("discard");
    expect(j.final && j.nondeterministic).toBe(true);
    expect(j.final && j.reason).toContain("runs of the same code disagree (loss 9, 10 in 2 runs)");
    // Later, with noise seen (sd > 0), a candidate whose runs disagree is still marked while the
    // incumbent's runs agree; even one that the t-test alone would keep.
    const big = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [7, 7.1, 7] },
      noise: noise(0.5, 10),
      deterministic: true,
    });
    expect(status(big)).toBe("discard");
    expect(big.final && big.nondeterministic).toBe(true);
    // Not judged deterministic (a noisy eval): the same runs are ordinary noise and kept.
    const noisy = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [7, 7.1, 7] },
      noise: noise(0.5, 10),
    });
    expect(status(noisy)).toBe("keep");
    // Once the incumbent's own runs disagree, the eval is noisy after all: no mark.
    const incumbentNoisy = judge({
      policy: policy(),
      incumbent: { loss: [10, 10.4, 10, 9.8, 10] },
      candidate: { loss: [7, 7.1, 7] },
      noise: noise(0.5, 10),
      deterministic: true,
    });
    expect(status(incumbentNoisy)).toBe("keep");
    expect(incumbentNoisy.final && incumbentNoisy.nondeterministic).toBeUndefined();
    // Agreeing runs after the switch are judged by the noisy rule (the t-test), not two runs.
    const agreeing = judge({
      policy: policy(),
      incumbent: { loss: five },
      candidate: { loss: [9.4, 9.4] },
      noise: noise(0.7, 3),
      deterministic: true,
    });
    expect(status(agreeing)).toBe("again");
  });

  it("fails a guard breached in any run, at once", () => {
    const p = policy({ guards: { mem: { max: 100 } } });
    const j = judge({
      policy: p,
      incumbent: { loss: five, mem: [50] },
      candidate: { loss: [7, 7], mem: [90, 101] },
      noise: noise(1),
    });
    expect(status(j)).toBe("guard_fail");
    expect(j.final && j.reason).toBe("guard mem = 101 is above its max 100");
    const missing = judge({
      policy: p,
      incumbent: { loss: five },
      candidate: { loss: [7] },
      noise: noise(1),
    });
    expect(missing.final && missing.reason).toBe("guard mem was not reported");
  });
});

describe("judge: two or more metrics", () => {
  const objectives = [
    { name: "loss", goal: "minimize" as const, minDelta: 0.5 },
    { name: "mem", goal: "minimize" as const, minDelta: 0, relativeTolerance: 1 },
  ];
  it("rule primary: a secondary may get worse up to its tolerance, not beyond", () => {
    const p = policy({ objectives });
    const inc = { loss: five, mem: [100, 100, 100, 100, 100] };
    const ok = judge({
      policy: p,
      incumbent: inc,
      candidate: { loss: [7, 7], mem: [190, 190] },
      noise: noise(1),
    });
    expect(status(ok)).toBe("keep");
    const doubled = judge({
      policy: p,
      incumbent: inc,
      candidate: { loss: [7, 7], mem: [230, 230] },
      noise: noise(1),
    });
    expect(status(doubled)).toBe("guard_fail");
    expect(doubled.final && doubled.reason).toBe("mem got worse by 130 (100% allowed)");
  });

  it("rule pareto: better on one and not worse beyond noise on any", () => {
    const p = policy({
      rule: "pareto",
      objectives: [
        { name: "loss", goal: "minimize", minDelta: 0.5 },
        { name: "speed", goal: "maximize", minDelta: 0.5 },
      ],
    });
    const inc = { loss: five, speed: five };
    const better = judge({
      policy: p,
      incumbent: inc,
      candidate: { loss: [7, 7.1], speed: [10.2, 9.7] },
      noise: noise(1),
    });
    expect(status(better)).toBe("keep");
    const tradeOff = judge({
      policy: p,
      incumbent: inc,
      candidate: { loss: [7, 7.1], speed: [6, 6.1] },
      noise: noise(1),
    });
    expect(status(tradeOff)).toBe("discard");
    expect(tradeOff.final && tradeOff.reason).toContain("speed got worse");
  });
});

describe("judge: simplification", () => {
  const p = policy({ simplification: true });
  it("keeps a shorter candidate that is equal within noise over max_runs", () => {
    const inc = { loss: five };
    let j = judge({
      policy: p,
      incumbent: inc,
      candidate: { loss: [10.2] },
      noise: noise(1),
      linesDelta: -3,
    });
    expect(status(j)).toBe("again");
    j = judge({
      policy: p,
      incumbent: inc,
      candidate: { loss: [10.2, 9.9, 10.1, 9.8, 10] },
      noise: noise(1),
      linesDelta: -3,
    });
    expect(status(j)).toBe("simplification");
    expect(j.final && j.reason).toContain("3 line(s) shorter");
  });
  it("discards it when it is worse beyond min_delta, or not shorter", () => {
    const inc = { loss: five };
    const worse = judge({
      policy: p,
      incumbent: inc,
      candidate: { loss: [10.2, 13] },
      noise: noise(1),
      linesDelta: -3,
    });
    expect(status(worse)).toBe("discard");
    const longer = judge({
      policy: p,
      incumbent: inc,
      candidate: { loss: [10.2] },
      noise: noise(1),
      linesDelta: 2,
    });
    expect(status(longer)).toBe("discard");
  });
});

describe("judge: error rates by simulation (seeded)", () => {
  // The same simulation `autoexp check` uses: an incumbent of 5 runs, noise pooled over 35.
  const settings = {
    incumbentRuns: 5,
    maxRuns: 5,
    confidence: 0.95,
    minDeltaSd: 0.25,
    extraNoiseRuns: 30,
  };
  it("keeps under 5% of no-effect candidates, most 2-sd ones, in under 3 evals each", () => {
    const none = estimatePower(0, settings, 3000, 11);
    const real = estimatePower(2, settings, 1000, 12);
    expect(none.keepRate).toBeLessThan(0.05);
    expect(real.keepRate).toBeGreaterThan(0.7);
    expect(none.evalsPerCandidate).toBeLessThan(3);
  });
});

describe("pooledNoise", () => {
  it("pools the spread of repeated runs, ignores single runs, and counts df", () => {
    const n = pooledNoise([[1, 3], [10, 12, 14], [100]]);
    // SS = 2 + 8 = 10 over df 1 + 2 = 3
    expect(n.sd).toBeCloseTo(Math.sqrt(10 / 3));
    expect(n.df).toBe(3);
    expect(pooledNoise([[5], [7]])).toEqual({ sd: 0, df: 0, robustSd: null });
  });
});
