import { describe, expect, it } from "vitest";
import type { Stop } from "../../action/decide/budget.ts";
import { runPipelined, type SlotLease, type Steps } from "../../action/engine/scheduler.ts";

/** One slot, handed out in the order it was asked for (the real pool's behaviour). */
function oneSlot() {
  let busy = false;
  const waiting: (() => void)[] = [];
  return async (): Promise<SlotLease<string>> => {
    if (busy) await new Promise<void>((r) => waiting.push(r));
    busy = true;
    return {
      slot: "slot-0",
      [Symbol.asyncDispose]: async () => {
        busy = false;
        waiting.shift()?.();
      },
    };
  };
}

/** As many slots as asked for. */
const anySlot = async (): Promise<SlotLease<string>> => ({
  slot: "slot",
  [Symbol.asyncDispose]: async () => {},
});

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runPipelined with stub steps", () => {
  it("a failed incumbent re-measure while a candidate waits for the only slot ends the batch (it hung)", async () => {
    let recorded = 0;
    let remeasures = 0;
    const broken: Stop = { kind: "broken", reason: "the incumbent's re-run crashed" };
    const evaluated: number[] = [];
    const steps: Steps<{ i: number }, string, string> = {
      stopNow: () => (recorded >= 10 ? { kind: "budget", reason: "done" } : null),
      remeasureDue: () => true,
      remeasure: async () => (++remeasures === 2 ? broken : null),
      begin: (pending = 0) => ({ i: recorded + pending + 1 }),
      // The third candidate's agent is slow: it asks for the slot after the re-measure took it.
      propose: async (c) => {
        if (c.i === 3) await tick(50);
        return c;
      },
      screen: async (c) => ({ candidate: c, verdict: null }),
      evaluate: async (c) => {
        evaluated.push(c.i);
        await tick(5);
        return "discard";
      },
      decide: async (_c, v) => v,
      record: async () => {
        recorded++;
        return null;
      },
      checkpoint: async () => {},
    };
    const run = runPipelined(steps, oneSlot(), { lag: 2 });
    const timeout = tick(3000).then(() => "hung" as const);
    const ended = await Promise.race([run, timeout]);
    expect(ended).toEqual(broken);
    // The witness: the re-measure failed while candidate 3 was still in flight, and it then
    // got the slot and finished (drained), not recorded.
    expect(remeasures).toBe(2);
    expect(evaluated).toContain(3);
    expect(recorded).toBe(1);
  });

  it("catchUp runs before a screened candidate takes its slot, and what it re-applies is screened again", async () => {
    const order: string[] = [];
    let recorded = 0;
    const steps: Steps<{ i: number; on: number }, string, string> = {
      stopNow: () => (recorded >= 3 ? { kind: "budget", reason: "done" } : null),
      remeasure: async () => null,
      begin: (pending = 0) => ({ i: recorded + pending + 1, on: 0 }),
      propose: async (c) => c,
      screen: async (c) => {
        order.push(`screen ${c.i} on ${c.on}`);
        return { candidate: c, verdict: null };
      },
      // Candidate 2 was proposed on 0 and the record has moved to 1: re-applied there.
      catchUp: async (c) => {
        order.push(`catch up ${c.i}`);
        return c.i === 2 && c.on === 0 ? { ...c, on: 1 } : c;
      },
      evaluate: async (c) => {
        order.push(`evaluate ${c.i} on ${c.on}`);
        return "discard";
      },
      decide: async (_c, v) => v,
      record: async () => {
        recorded++;
        return null;
      },
      checkpoint: async () => {},
    };
    await runPipelined(steps, oneSlot(), { lag: 1 });
    const two = order.filter((o) => o.includes(" 2"));
    expect(two).toEqual([
      "screen 2 on 0",
      "catch up 2",
      "screen 2 on 1",
      "catch up 2",
      "evaluate 2 on 1",
    ]);
    expect(order).not.toContain("evaluate 2 on 0");
  });

  it("records a later keep before the one begun ahead of it once recordAhead allows it; without, in the order they began", async () => {
    // 1 takes 60 ms, 2 (a keep) 5 ms, 3 (a discard) 30 ms: 2 and 3 settle while 1 is in flight.
    const took: Record<number, number> = { 1: 60, 2: 5, 3: 30 };
    const evaluate = async (i: number) => {
      await tick(took[i]!);
      return i === 2 ? "keep" : "discard";
    };
    const keeps = ({ verdict }: { verdict: string }) => verdict === "keep";
    // A discard (3) settled early still waits for its turn.
    const ahead = ordered(3, 2, evaluate, keeps);
    await ahead.run;
    expect(ahead.recorded).toEqual([2, 1, 3]);
    const inOrder = ordered(3, 2, evaluate);
    await inOrder.run;
    expect(inOrder.recorded).toEqual([1, 2, 3]);
  });

  it("a later flight that fails early does not spin the loop while the one ahead runs: its error comes at its turn", async () => {
    let looks = 0;
    const night = ordered(
      2,
      1,
      async (i) => {
        if (i === 2) throw new Error("eval 2 blew up");
        await tick(80);
        return "discard";
      },
      () => {
        looks++;
        return true;
      },
    );
    await expect(night.run).rejects.toThrow("eval 2 blew up");
    expect(night.recorded).toEqual([1]);
    // Asked once at most per flight that settled while 1 ran, not in a loop (a loop that spins
    // on the failed flight never lets 1's timer fire: the test hangs).
    expect(looks).toBeLessThanOrEqual(2);
  });
});

/**
 * `n` stub candidates numbered from 1, evaluated by `evaluate`, `lag` in flight, with
 * `recordAhead` when given: the batch, and the candidates in the order they were recorded.
 */
function ordered(
  n: number,
  lag: number,
  evaluate: (i: number) => Promise<string>,
  recordAhead?: (flight: { candidate: { i: number }; verdict: string }) => boolean,
): { run: Promise<Stop>; recorded: number[] } {
  const recorded: number[] = [];
  let begun = 0;
  const steps: Steps<{ i: number }, string, string> = {
    stopNow: () => (begun >= n ? { kind: "budget", reason: "done" } : null),
    remeasure: async () => null,
    begin: () => ({ i: ++begun }),
    propose: async (c) => c,
    screen: async (c) => ({ candidate: c, verdict: null }),
    evaluate: (c) => evaluate(c.i),
    decide: async (_c, v) => v,
    record: async (c) => {
      recorded.push(c.i);
      return null;
    },
    checkpoint: async () => {},
    ...(recordAhead ? { recordAhead } : {}),
  };
  return { run: runPipelined(steps, anySlot, { lag }), recorded };
}
