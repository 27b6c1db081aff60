import { describe, expect, it } from "vitest";
import type { Stop } from "../../action/decide/budget.ts";
import { endTurnsOnStop, type Turn, Turns } from "../../action/engine/propose.ts";
import { runPipelined, type SlotLease, type Steps } from "../../action/engine/scheduler.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function anySlot() {
  return async (): Promise<SlotLease<string>> => ({
    slot: "slot-0",
    [Symbol.asyncDispose]: async () => {},
  });
}

const turnAt = (rows: number): Turn =>
  ({
    parent: { iteration: rows - 1 },
    base: `head-${rows}`,
    historyLength: rows,
    notes: "",
  }) as Turn;

/**
 * Stub steps over the real scheduler: candidate 2's agent has nothing to do until #1 is decided,
 * so it waits for its turn.
 */
function night(turns: Turns, options: { remeasure?: Stop; recordStop?: Stop; budget?: number }) {
  let rows = 1;
  let remeasures = 0;
  const proposedOn: Record<number, number> = {};
  const steps: Steps<{ iteration: number }, string, string> = {
    stopNow: (pending = 0) =>
      rows - 1 + pending >= (options.budget ?? 3) ? { kind: "budget", reason: "done" } : null,
    remeasureDue: () => true,
    remeasure: async () => (++remeasures === 2 && options.remeasure ? options.remeasure : null),
    begin: (pending = 0) => ({ iteration: rows + pending }),
    snapshot: () => {
      const now = turnAt(rows);
      turns.offer(now);
      return now;
    },
    propose: async (c) => {
      if (c.iteration === 2) {
        const turn = await turns.wait(2);
        if (!turn) return { kind: "exhausted", reason: "the batch stopped while #2 waited" };
        proposedOn[2] = turn.historyLength;
      }
      return c;
    },
    screen: async (c) => ({ candidate: c, verdict: null }),
    evaluate: async () => {
      await tick(20);
      return "discard";
    },
    decide: async (_c, v) => v,
    record: async (c) => {
      rows++;
      return c.iteration === 1 ? (options.recordStop ?? null) : null;
    },
    checkpoint: async () => {},
  };
  const run = runPipelined(endTurnsOnStop(turns, steps), anySlot(), { lag: 2 });
  return {
    ended: Promise.race([run, tick(3000).then(() => "hung" as const)]),
    proposedOn,
    rows: () => rows,
  };
}

describe("a candidate waiting for the results in flight before it", () => {
  it("proposes once every earlier experiment is recorded, on that record", async () => {
    const { ended, proposedOn, rows } = night(new Turns(), {});
    expect(await ended).toEqual({ kind: "budget", reason: "done" });
    expect(proposedOn[2]).toBe(2);
    expect(rows()).toBe(4);
  });

  it("stops waiting when the incumbent's re-measure ends the batch first (it hung)", async () => {
    const broken: Stop = { kind: "broken", reason: "the incumbent's re-run crashed" };
    const { ended, proposedOn } = night(new Turns(), { remeasure: broken });
    expect(await ended).toEqual(broken);
    expect(proposedOn[2]).toBeUndefined();
  });

  it("stops waiting when an earlier experiment's record ends the batch", async () => {
    const fatal: Stop = { kind: "agent", reason: "the agent cannot work" };
    const { ended, rows } = night(new Turns(), { recordStop: fatal });
    expect(await ended).toEqual(fatal);
    expect(rows()).toBe(2);
  });

  it("is let go by an interrupt, and not by a stop at a later experiment", async () => {
    const controller = new AbortController();
    const turns = new Turns(controller.signal);
    const later = turns.wait(3);
    turns.end(5);
    turns.offer(turnAt(2));
    const state = await Promise.race([later, tick(20).then(() => "waiting")]);
    expect(state).toBe("waiting");
    controller.abort();
    expect(await later).toBeNull();
    expect(await turns.wait(2)).toBeNull();
  });
});
