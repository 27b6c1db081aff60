import { describe, expect, it } from "vitest";
import type { Stop } from "../../action/decide/budget.ts";
import {
  runPipelined,
  runSerial,
  type SlotLease,
  type Steps,
} from "../../action/engine/scheduler.ts";

const BROKEN: Stop = { kind: "broken", reason: "the incumbent (#0) failed beside #2" };

/** Stub steps whose evaluate of experiment `failAt` ends with a stop, and a slot pool of `slots`. */
function stubs(failAt: number, slots = 1) {
  const recorded: number[] = [];
  const decided: number[] = [];
  const evaluated: number[] = [];
  let open = 0;
  const acquire = async (): Promise<SlotLease<string>> => {
    open++;
    return { slot: "slot", [Symbol.asyncDispose]: async () => void open-- };
  };
  const steps: Steps<{ i: number }, { status: string }, string> = {
    stopNow: (pending = 0) =>
      recorded.length + pending >= 5 ? { kind: "budget", reason: "done" } : null,
    remeasure: async () => null,
    begin: (pending = 0) => ({ i: recorded.length + pending + 1 }),
    propose: async (c) => c,
    screen: async (c) => ({ candidate: c, verdict: null }),
    evaluate: async (c) => {
      evaluated.push(c.i);
      await new Promise((r) => setTimeout(r, 5 * slots));
      return c.i === failAt ? BROKEN : { status: "discard" };
    },
    decide: async (c, v) => {
      decided.push(c.i);
      return v;
    },
    record: async (c) => {
      recorded.push(c.i);
      return null;
    },
    checkpoint: async () => {},
  };
  return { steps, acquire, recorded, decided, evaluated, open: () => open };
}

describe("an evaluate step that ends with a stop", () => {
  it("runSerial ends the batch there: the experiments before it recorded, it neither decided nor recorded", async () => {
    const s = stubs(2);
    expect(await runSerial(s.steps, s.acquire)).toEqual(BROKEN);
    expect(s.recorded).toEqual([1]);
    expect(s.decided).toEqual([1]);
    expect(s.evaluated).toEqual([1, 2]);
    expect(s.open()).toBe(0);
  });

  it("runPipelined ends the batch at its turn: earlier ones recorded, later ones in flight dropped", async () => {
    const s = stubs(2, 3);
    expect(await runPipelined(s.steps, s.acquire, { lag: 2 })).toEqual(BROKEN);
    expect(s.recorded).toEqual([1]);
    expect(s.decided).not.toContain(2);
    // Experiment 3 was begun beside it (lag 2) and evaluated, never recorded.
    expect(s.evaluated).toContain(3);
    expect(s.open()).toBe(0);
  });
});
