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
});
