import { describe, expect, it } from "vitest";
import type { Config } from "../../action/config/schema.ts";
import { candidatesLeft } from "../../action/decide/screen-choice.ts";
import type { EngineContext } from "../../action/engine/experiment.ts";
import { nightLeft } from "../../action/engine/night-left.ts";

const AT = (s: number) => new Date(Date.UTC(2026, 11, 7, 0, 0, s)).toISOString();

interface Over {
  pipeline: boolean;
  evalRuns?: number;
  workers?: number;
  proposers?: number;
  done?: number;
  planned?: number;
  agent?: number;
  /** Runs of this batch's re-measures: the incumbent alone, and beside candidates. */
  alone?: number;
  beside?: number;
}

/**
 * A resumed batch 1000 s into an hour's wall clock, 20 runs of 60 s made, `done` proposals of
 * `agent` s each made (30 and 10); the earlier batch's baseline and two rows (999 s) before it.
 */
function ctx(over: Over): EngineContext {
  const config = {
    pipeline: over.pipeline,
    budget: {
      experiments: 50,
      wall_clock: 3_600_000,
      stop_after_failures: 20,
      ...(over.evalRuns ? { eval_runs: over.evalRuns } : {}),
    },
  } as unknown as Config;
  const done = over.done ?? 10;
  const row = (agent: number, t: number, runs = 1) => ({
    agent_seconds: agent,
    timestamp: AT(t),
    samples: { loss: Array(runs).fill(1) },
  });
  const results = [
    row(0, 10, 4),
    row(999, 20),
    row(999, 30),
    ...Array.from({ length: done }, (_, i) => row(over.agent ?? 30, 100 + i)),
  ];
  const remeasure = (runs: number, paired: boolean) => ({
    timestamp: AT(200),
    samples: { loss: Array(runs).fill(1) },
    ...(paired ? { paired_with: 5 } : {}),
  });
  return {
    config,
    metric: "loss",
    store: {
      log: {
        results,
        // The earlier batch ended at 40 s; its baseline is not this batch's.
        batches: [{ type: "batch", event: "end", timestamp: AT(40) }],
        remeasures: [
          { ...remeasure(7, false), timestamp: AT(35) },
          remeasure(over.alone ?? 0, false),
          remeasure(over.beside ?? 0, true),
        ],
      },
    },
    startedAt: performance.now() - 1_000_000,
    planned: over.planned ?? 50,
    done,
    proposers: over.proposers ?? 1,
    workers: over.workers ?? 1,
    runsMade: () => ({ runs: 20, ms: 20 * 60_000 }),
  } as unknown as EngineContext;
}

describe("nightLeft: what the batch has left, for the screen", () => {
  it("counts the clock left as runs at the night's mean run time, on every worker", () => {
    const serial = nightLeft(ctx({ pipeline: false }))!;
    expect(serial.proposals).toBe(40);
    expect(serial.runs).toBe(Infinity);
    // 2600 s left at 60 s a run; this batch's 10 proposals took 30 s each (not the rows before).
    expect(serial.clock.runs).toBeCloseTo(2600 / 60, 1);
    expect(serial.clock.perProposal).toBeCloseTo(0.5, 5);
    // 43 runs at 2 a candidate and half a run of the agent's time each: 17 candidates.
    expect(candidatesLeft(serial, 2)).toBeCloseTo(2600 / 60 / 2.5, 1);
    expect(nightLeft(ctx({ pipeline: false, workers: 4 }))!.clock.runs).toBeCloseTo(
      (4 * 2600) / 60,
      1,
    );
  });

  it("pipelined, the agent's time limits the proposals, not each candidate's time", () => {
    const piped = nightLeft(ctx({ pipeline: true }))!;
    expect(piped.clock.perProposal).toBe(0);
    expect(piped.proposals).toBe(40);
    expect(piped.byAgent).toBeUndefined();
    // 130 s a proposal, two made at once: 40 in the 2600 s left, under the 90 budget.experiments leaves.
    const slow = nightLeft(ctx({ pipeline: true, agent: 130, proposers: 2, planned: 100 }))!;
    expect(slow.proposals).toBeCloseTo((2 * 2600) / 130, 1);
    expect(slow.byAgent).toBe(true);
  });

  it("reads the agent's time from this batch's proposals only, none on its first screen", () => {
    // A resumed batch before its first proposal: the earlier batch's 999 s do not count.
    const fresh = nightLeft(ctx({ pipeline: true, done: 0 }))!;
    expect(fresh.proposals).toBe(50);
    expect(fresh.clock.perProposal).toBe(0);
  });

  it("leaves out of the runs left the share this batch spent on the incumbent alone", () => {
    // This batch (resumed: the baseline is the earlier batch's) made 20 runs, 5 of them
    // re-measures of the incumbent alone (the earlier batch's 7 and the runs beside candidates do
    // not count): 3/4 of the runs left go to candidates.
    const left = nightLeft(ctx({ pipeline: false, evalRuns: 120, alone: 5, beside: 6 }))!;
    expect(left.runs).toBeCloseTo(100 * 0.75, 5);
    expect(left.clock.runs).toBeCloseTo((2600 / 60) * 0.75, 1);
  });

  it("takes budget.eval_runs less the runs made, and knows nothing before a run", () => {
    expect(nightLeft(ctx({ pipeline: false, evalRuns: 120 }))!.runs).toBe(100);
    const none = ctx({ pipeline: false });
    none.runsMade = () => ({ runs: 0, ms: 0 });
    expect(nightLeft(none)).toBeUndefined();
  });
});
