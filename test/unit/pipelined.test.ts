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
});
