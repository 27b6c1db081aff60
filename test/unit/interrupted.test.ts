import { describe, expect, it } from "vitest";
import type { Stop } from "../../action/decide/budget.ts";
import { Interrupted, StopGate } from "../../action/engine/interrupted.ts";
import {
  runPipelined,
  runSerial,
  type SlotLease,
  type Steps,
} from "../../action/engine/scheduler.ts";

/** Stub steps whose eval of `refuseAt` is refused (the batch began stopping during the one before). */
function stub(refuseAt: number) {
  const recorded: number[] = [];
  let open = 0;
  let next = 0;
  const acquire = async (): Promise<SlotLease<string>> => {
    open++;
    return { slot: "s", [Symbol.asyncDispose]: async () => void open-- };
  };
  const steps: Steps<{ iteration: number }, string, string> = {
    stopNow: (): Stop | null =>
      recorded.length >= 5 ? { kind: "budget", reason: "experiments budget reached (5)" } : null,
    remeasure: async () => null,
    begin: () => ({ iteration: ++next }),
    propose: async (c) => c,
    screen: async (c) => ({ candidate: c, verdict: null }),
    evaluate: async (c) => {
      await new Promise((r) => setTimeout(r, 5));
      if (c.iteration >= refuseAt) throw new Interrupted(`#${c.iteration}, run 1`);
      return "discard";
    },
    decide: async (_c, v) => v,
    record: async (c) => {
      recorded.push(c.iteration);
      return null;
    },
    checkpoint: async () => {},
  };
  return { steps, acquire, recorded, open: () => open };
}

describe("a batch interrupted at its safe point", () => {
  it("runSerial ends with an interrupted stop and records nothing of the refused experiment", async () => {
    const s = stub(3);
    expect(await runSerial(s.steps, s.acquire)).toEqual({
      kind: "interrupted",
      reason: "interrupted",
    });
    expect(s.recorded).toEqual([1, 2]);
    expect(s.open()).toBe(0);
  });

  it("runPipelined ends the same way, dropping what was in flight", async () => {
    const s = stub(3);
    expect(await runPipelined(s.steps, s.acquire, { lag: 2 })).toEqual({
      kind: "interrupted",
      reason: "interrupted",
    });
    expect(s.recorded).toEqual([1, 2]);
    expect(s.open()).toBe(0);
  });
});

describe("StopGate", () => {
  it("refuses a new run once stopping, and says what is in flight and about how long is left", async () => {
    const controller = new AbortController();
    const gate = new StopGate(controller.signal, [4000, 6000]);
    gate.enter("slot 0", "7-1");
    gate.enter("agent 0", "the agent's proposal for #8", "agent");
    controller.abort();
    expect(() => gate.enter("slot 1", "8-0")).toThrow(Interrupted);
    const [run, agent] = gate.inFlight(performance.now() + 1000);
    expect(run).toMatchObject({ what: "#7, run 2", kind: "eval" });
    expect(run!.leftMs).toBeGreaterThan(3500);
    expect(run!.leftMs).toBeLessThanOrEqual(4000);
    expect(agent).toMatchObject({ what: "the agent's proposal for #8", leftMs: null });
    gate.leave("slot 0");
    expect(gate.inFlight().map((w) => w.kind)).toEqual(["agent"]);
  });
});
