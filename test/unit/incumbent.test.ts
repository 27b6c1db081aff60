import { describe, expect, it } from "vitest";
import { incumbentState, ledgerSamples, sinceReset } from "../../action/decide/ledger-state.ts";
import { ledgerStrata } from "../../action/decide/ledger-strata.ts";
import type { ResultEntry, Status } from "../../action/ledger/types.ts";

const row = (iteration: number, status: Status, score: number | null = 10 - iteration) =>
  ({
    type: "result",
    iteration,
    status,
    score,
    commit: `c${iteration}`,
    commit_full: null,
    samples: score === null ? {} : { loss: [score] },
  }) as unknown as ResultEntry;

describe("the incumbent of a growing ledger", () => {
  it("follows rows appended to the same array: a keep after a long plateau, a keep without a score", () => {
    const results: ResultEntry[] = [row(0, "baseline")];
    const log = { results, remeasures: [], config: null };
    expect(incumbentState(log)!.iteration).toBe(0);
    for (let i = 1; i <= 500; i++) results.push(row(i, "discard"));
    expect(incumbentState(log)!.iteration).toBe(0);
    results.push(row(501, "keep", 3));
    expect(incumbentState(log)).toMatchObject({ iteration: 501, score: 3 });
    results.push(row(502, "discard"), row(503, "keep", null), row(504, "crash", null));
    expect(incumbentState(log)!.iteration).toBe(501);
    results.push(row(505, "simplification", 2.5));
    expect(incumbentState(log)).toMatchObject({ iteration: 505, score: 2.5 });
  });

  it("reads a ledger whose rows were rewritten in place (merged, recovered) afresh", () => {
    const results: ResultEntry[] = [row(0, "baseline"), row(1, "keep", 4), row(2, "discard")];
    const log = { results, remeasures: [], config: null };
    expect(incumbentState(log)!.iteration).toBe(1);
    results[1] = row(1, "discard");
    expect(incumbentState(log)!.iteration).toBe(0);
    results.splice(1, 2);
    results.push(row(1, "keep", 5));
    expect(incumbentState(log)).toMatchObject({ iteration: 1, score: 5 });
  });
});

describe("a screened first run (paired measurement's screen) is not an estimate of its code", () => {
  const screened = (iteration: number, status: Status, loss: number[]) =>
    ({
      ...row(iteration, status, loss.reduce((a, b) => a + b, 0) / loss.length),
      samples: { loss, secs: loss.map((x) => x * 10) },
      screen: { at: 1.5, z: 2.1, against: 10 },
    }) as unknown as ResultEntry;

  it("leaves a kept candidate's screened run out of its samples and score, keeps it in the row", () => {
    // The first run (1.0) passed the screen because it was lucky; its pairs said 3.0 and 3.2.
    const kept = screened(1, "keep", [1.0, 3.0, 3.2]);
    const log = {
      results: [row(0, "baseline", 5), kept],
      remeasures: [],
      config: { metric: "loss" } as never,
    };
    const s = incumbentState(log)!;
    expect(s.iteration).toBe(1);
    expect(s.samples.loss).toEqual([3.0, 3.2]);
    expect(s.samples.secs).toEqual([30, 32]);
    expect(s.score).toBeCloseTo(3.1);
    expect(kept.samples!.loss).toEqual([1.0, 3.0, 3.2]);
  });

  it("leaves the screened run out per stratum too: pooled and by stratum, one reading of the ledger", () => {
    // A discard measured in pairs on worker 1 after its first run (1.0) passed the screen there.
    const discard = {
      ...screened(1, "discard", [1.0, 3.0, 3.2]),
      runs_on: [1, 1, 1].map((worker) => ({ worker, device: null })),
    } as ResultEntry;
    const log = { results: [row(0, "baseline", 5), discard], remeasures: [], config: null };
    expect(ledgerSamples(log).current.get(1)!.loss).toEqual([3.0, 3.2]);
    expect(ledgerStrata(log, "worker").current.get(1)).toEqual({
      "worker 1": { loss: [3.0, 3.2], secs: [30, 32] },
    });
    // The noise is estimated from the same groups of runs, whichever way they are split.
    const values = (groups: readonly Record<string, readonly number[]>[]) =>
      groups.map((g) => g.loss ?? []).sort();
    expect(values(ledgerStrata(log, "any").groups)).toEqual(values(ledgerSamples(log).groups));
  });

  it("keeps the only run of a candidate the screen discarded, and every run of an unscreened row", () => {
    const log = {
      results: [row(0, "baseline", 5), screened(1, "discard", [4.0]), row(2, "keep", 2)],
      remeasures: [],
      config: null,
    };
    expect(ledgerSamples(log).current.get(1)!.loss).toEqual([4.0]);
    expect(ledgerSamples(log).current.get(2)!.loss).toEqual([2]);
  });
});

describe("code kept in pairs is scored on the runs made after its keep", () => {
  const keptInPairs = (iteration: number, loss: number[]) =>
    ({
      ...row(iteration, "keep", loss.reduce((a, b) => a + b, 0) / loss.length),
      samples: { loss },
      evidence: { paired: true },
      runs_on: loss.map(() => ({ worker: 0, device: null })),
    }) as unknown as ResultEntry;
  const remeasure = (iteration: number, loss: number[], reason = "after-keep") =>
    ({
      type: "remeasure",
      iteration,
      after: iteration,
      reason,
      reset: false,
      samples: { loss },
      runs_on: loss.map(() => ({ worker: 0, device: null })),
      eval_seconds: 1,
      timestamp: "",
    }) as never;

  it("uses the runs it was kept on only until its first re-measure, then the re-measures alone", () => {
    // Kept on pairs that happened to look good (2.0, 2.2); its run after the keep said 3.0.
    const results = [row(0, "baseline", 5), keptInPairs(1, [2.0, 2.2])];
    const remeasures: never[] = [];
    const log = { results, remeasures, config: { metric: "loss" } as never };
    expect(incumbentState(log)!.score).toBeCloseTo(2.1);
    remeasures.push(remeasure(1, [3.0]));
    expect(incumbentState(log)!.samples.loss).toEqual([3.0]);
    expect(incumbentState(log)!.score).toBeCloseTo(3.0);
    // Later runs (the incumbent's side of the next pairs) add to it.
    remeasures.push(remeasure(1, [2.8, 2.9], "concurrent"));
    expect(incumbentState(log)!.samples.loss).toEqual([3.0, 2.8, 2.9]);
    // The runs it was kept on stay a group of one program's runs, for the noise.
    expect(ledgerSamples(log).groups).toContainEqual({ loss: [2.0, 2.2] });
    // Per stratum, the same.
    const strata = ledgerStrata(log, "worker").current.get(1)!;
    expect(Object.values(strata).flatMap((s) => s.loss ?? [])).toEqual([3.0, 2.8, 2.9]);
  });

  it("leaves code kept unpaired (its runs against the incumbent's earlier ones) as it was", () => {
    const results = [row(0, "baseline", 5), row(1, "keep", 2)];
    const log = {
      results,
      remeasures: [remeasure(1, [3.0], "top-up")],
      config: { metric: "loss" } as never,
    };
    expect(incumbentState(log)!.samples.loss).toEqual([2, 3.0]);
  });
});

describe("a candidate begun before a drift reset of its incumbent", () => {
  const remeasure = (loss: number[], reason: string, reset: boolean) =>
    ({
      type: "remeasure",
      iteration: 0,
      after: 3,
      reason,
      reset,
      samples: { loss },
      eval_seconds: 1,
      timestamp: "",
    }) as never;
  const start = () => {
    const results = [
      row(0, "baseline", 5),
      row(1, "discard"),
      row(2, "discard"),
      row(3, "discard"),
    ];
    results[0] = { ...results[0]!, samples: { loss: [5, 5.2, 4.8] } } as ResultEntry;
    return { results, remeasures: [] as never[], config: { metric: "loss" } as never };
  };

  it("is evaluated against the runs that replaced the ones it began with", () => {
    const log = start();
    const began = incumbentState(log)!;
    expect(began.bar.loss).toEqual([5, 5.2, 4.8]);
    // The machine slowed by 3: the scheduled re-run was suspected and confirmed, and replaced.
    log.remeasures.push(remeasure([8], "schedule", false), remeasure([8.1, 7.9, 8], "drift", true));
    const now = sinceReset(log, began);
    expect(now).not.toBe(began);
    expect(now.iteration).toBe(0);
    expect(now.bar.loss).toEqual([8.1, 7.9, 8]);
    expect(now.score).toBeCloseTo(8);
  });

  it("keeps the state it began with when runs were only added, or the incumbent changed", () => {
    const log = start();
    const began = incumbentState(log)!;
    log.remeasures.push(remeasure([5.1], "schedule", false));
    expect(sinceReset(log, began)).toBe(began);
    log.results.push(row(4, "keep", 3));
    log.remeasures.push(remeasure([8.1, 7.9, 8], "drift", true));
    expect(sinceReset(log, began)).toBe(began);
  });
});
