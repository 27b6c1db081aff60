import { describe, expect, it } from "vitest";
import { incumbentState } from "../../action/decide/ledger-state.ts";
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
