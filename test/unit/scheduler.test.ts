import { describe, expect, it } from "vitest";
import type { Stop } from "../../action/decide/budget.ts";
import { runSerial, type SlotLease, type Steps } from "../../action/engine/scheduler.ts";

interface Cand {
  iteration: number;
  proposed?: boolean;
  screened?: boolean;
}
interface Verd {
  status: string;
  decided?: boolean;
}

/** What a stub experiment does at each step, by iteration (missing: the ordinary path). */
interface Script {
  /** The experiments the budget allows: stopNow returns a budget stop once this many are recorded. */
  planned?: number;
  /** An interrupt arrives during this iteration's remeasure. */
  interruptDuringRemeasure?: number;
  /** stopNow's second look (after the remeasure) sees a budget stop at this iteration. */
  budgetAfterRemeasure?: number;
  remeasureStop?: Record<number, Stop>;
  proposeStop?: Record<number, Stop>;
  screenVerdict?: Record<number, Verd>;
  recordStop?: Record<number, Stop>;
  throwIn?: { step: "remeasure" | "evaluate" | "decide"; iteration: number };
}

/** Stub steps and slot pool that log every call, with the number of slot leases open at each. */
function stubRun(script: Script = {}) {
  const calls: string[] = [];
  const recorded: { candidate: Cand; verdict: Verd }[] = [];
  const slotsSeen: string[] = [];
  let open = 0;
  let maxOpen = 0;
  let acquired = 0;
  let released = 0;
  let interrupted = false;
  let iteration = 0;
  const planned = script.planned ?? 3;
  const log = (name: string) => calls.push(`${name}#${iteration}`);

  const acquire = async (): Promise<SlotLease<string>> => {
    acquired++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    const slot = `slot-lease-${acquired}`;
    return {
      slot,
      [Symbol.asyncDispose]: async () => {
        open--;
        released++;
      },
    };
  };

  let looks = 0;
  const steps: Steps<Cand, Verd, string> = {
    stopNow: () => {
      log("stopNow");
      looks++;
      if (interrupted) return { kind: "interrupted", reason: "interrupted" };
      // Odd looks are the loop's first, even ones the look after the remeasure.
      const afterRemeasure = looks % 2 === 0;
      if (afterRemeasure && script.budgetAfterRemeasure === iteration + 1)
        return { kind: "budget", reason: "wall_clock budget reached" };
      if (recorded.length >= planned)
        return { kind: "budget", reason: `experiments budget reached (${planned})` };
      return null;
    },
    remeasure: async (slot) => {
      log("remeasure");
      slotsSeen.push(`remeasure:${slot}`);
      const next = iteration + 1;
      if (script.throwIn?.step === "remeasure" && script.throwIn.iteration === next)
        throw new Error("remeasure blew up");
      if (script.interruptDuringRemeasure === next) interrupted = true;
      return script.remeasureStop?.[next] ?? null;
    },
    begin: () => {
      iteration++;
      log("begin");
      return { iteration };
    },
    propose: async (candidate) => {
      log("propose");
      return script.proposeStop?.[candidate.iteration] ?? { ...candidate, proposed: true };
    },
    screen: async (candidate) => {
      log("screen");
      return {
        candidate: { ...candidate, screened: true },
        verdict: script.screenVerdict?.[candidate.iteration] ?? null,
      };
    },
    evaluate: async (candidate, slot) => {
      log("evaluate");
      slotsSeen.push(`evaluate:${slot}`);
      if (script.throwIn?.step === "evaluate" && script.throwIn.iteration === candidate.iteration)
        throw new Error("evaluate blew up");
      return { status: "discard" };
    },
    decide: async (candidate, verdict, slot) => {
      log("decide");
      slotsSeen.push(`decide:${slot}`);
      if (script.throwIn?.step === "decide" && script.throwIn.iteration === candidate.iteration)
        throw new Error("decide blew up");
      return { ...verdict, decided: true };
    },
    record: async (candidate, verdict) => {
      log("record");
      recorded.push({ candidate, verdict });
      return script.recordStop?.[candidate.iteration] ?? null;
    },
    checkpoint: async () => {
      log("checkpoint");
    },
  };

  return {
    run: () => runSerial(steps, acquire),
    calls,
    recorded,
    slotsSeen,
    leases: () => ({ open, maxOpen, acquired, released }),
  };
}

/** The steps of one experiment, from begin on (stopNow and remeasure run before it begins). */
function namesOf(calls: readonly string[], iteration: number): string[] {
  return calls
    .filter((c) => c.endsWith(`#${iteration}`))
    .map((c) => c.split("#")[0]!)
    .filter((name) => name !== "stopNow" && name !== "remeasure");
}

describe("runSerial: the order of an experiment's steps", () => {
  it("runs remeasure, propose, screen, evaluate, decide, record, checkpoint, then looks at the budget again", async () => {
    const run = stubRun({ planned: 2 });
    const stop = await run.run();
    expect(stop).toEqual({ kind: "budget", reason: "experiments budget reached (2)" });
    // stopNow and remeasure run before begin, so they carry the previous iteration's number.
    expect(run.calls).toEqual([
      "stopNow#0",
      "remeasure#0",
      "stopNow#0",
      "begin#1",
      "propose#1",
      "screen#1",
      "evaluate#1",
      "decide#1",
      "record#1",
      "checkpoint#1",
      "stopNow#1",
      "remeasure#1",
      "stopNow#1",
      "begin#2",
      "propose#2",
      "screen#2",
      "evaluate#2",
      "decide#2",
      "record#2",
      "checkpoint#2",
      "stopNow#2",
    ]);
  });

  it("records the candidate screen returned with the verdict decide returned", async () => {
    const run = stubRun({ planned: 1 });
    await run.run();
    expect(run.recorded).toEqual([
      {
        candidate: { iteration: 1, proposed: true, screened: true },
        verdict: { status: "discard", decided: true },
      },
    ]);
  });

  it("records a screened verdict without evaluating or deciding, and without a slot", async () => {
    const run = stubRun({ planned: 2, screenVerdict: { 1: { status: "no_change" } } });
    await run.run();
    expect(namesOf(run.calls, 1)).toEqual(["begin", "propose", "screen", "record", "checkpoint"]);
    expect(run.recorded[0]).toEqual({
      candidate: { iteration: 1, proposed: true, screened: true },
      verdict: { status: "no_change" },
    });
    // The next experiment is evaluated as usual.
    expect(namesOf(run.calls, 2)).toContain("evaluate");
    // Only the second experiment took a slot to evaluate in.
    expect(run.slotsSeen.filter((s) => s.startsWith("evaluate"))).toHaveLength(1);
  });
});

describe("runSerial: where the batch stops", () => {
  it("stops before any step when stopNow says so at the start", async () => {
    const run = stubRun({ planned: 0 });
    expect(await run.run()).toEqual({
      kind: "budget",
      reason: "experiments budget reached (0)",
    });
    expect(run.calls).toEqual(["stopNow#0"]);
    expect(run.leases().acquired).toBe(0);
  });

  it("stops when the agent has nothing left to propose (exhausted), recording nothing", async () => {
    const exhausted: Stop = { kind: "exhausted", reason: "the search plan is exhausted" };
    const run = stubRun({ planned: 5, proposeStop: { 2: exhausted } });
    expect(await run.run()).toBe(exhausted);
    expect(namesOf(run.calls, 2)).toEqual(["begin", "propose"]);
    expect(run.recorded.map((r) => r.candidate.iteration)).toEqual([1]);
    expect(run.calls.at(-1)).toBe("propose#2");
  });

  it("stops after recording (and checkpointing) when record returns a stop: the agent cannot work", async () => {
    const agent: Stop = { kind: "agent", reason: "the agent cannot work: 401 Unauthorized" };
    const run = stubRun({ planned: 5, recordStop: { 1: agent } });
    expect(await run.run()).toBe(agent);
    expect(run.recorded).toHaveLength(1);
    expect(run.calls.slice(-2)).toEqual(["record#1", "checkpoint#1"]);
  });

  it("stops when the incumbent no longer runs on a remeasure, before proposing", async () => {
    const broken: Stop = {
      kind: "broken",
      reason: "the incumbent (#0) failed when measured again",
    };
    const run = stubRun({ planned: 5, remeasureStop: { 2: broken } });
    expect(await run.run()).toBe(broken);
    expect(run.calls.slice(-2)).toEqual(["stopNow#1", "remeasure#1"]);
    expect(run.recorded).toHaveLength(1);
  });

  it("stops before proposing when an interrupt arrives during the remeasure", async () => {
    const run = stubRun({ planned: 5, interruptDuringRemeasure: 2 });
    expect(await run.run()).toEqual({ kind: "interrupted", reason: "interrupted" });
    expect(run.calls.slice(-3)).toEqual(["stopNow#1", "remeasure#1", "stopNow#1"]);
    expect(run.recorded).toHaveLength(1);
  });

  it("after the remeasure, only an interrupt stops: a budget seen there waits for the next loop", async () => {
    const run = stubRun({ planned: 2, budgetAfterRemeasure: 2 });
    expect(await run.run()).toEqual({
      kind: "budget",
      reason: "experiments budget reached (2)",
    });
    expect(run.recorded.map((r) => r.candidate.iteration)).toEqual([1, 2]);
  });
});

describe("runSerial: slot leases", () => {
  it("holds at most one slot at a time and gives every slot back", async () => {
    const run = stubRun({ planned: 4, screenVerdict: { 3: { status: "duplicate" } } });
    await run.run();
    const leases = run.leases();
    expect(leases.maxOpen).toBe(1);
    expect(leases.open).toBe(0);
    expect(leases.released).toBe(leases.acquired);
    // One lease per remeasure (4 experiments: 4 remeasures), one per evaluated experiment (3).
    expect(leases.acquired).toBe(7);
  });

  it("evaluates and decides in the same slot, and remeasures in a lease of its own", async () => {
    const run = stubRun({ planned: 1 });
    await run.run();
    expect(run.slotsSeen).toEqual([
      "remeasure:slot-lease-1",
      "evaluate:slot-lease-2",
      "decide:slot-lease-2",
    ]);
  });

  for (const step of ["remeasure", "evaluate", "decide"] as const) {
    it(`gives the slot back when ${step} throws, and passes the error on`, async () => {
      const run = stubRun({ planned: 5, throwIn: { step, iteration: 2 } });
      await expect(run.run()).rejects.toThrow(`${step} blew up`);
      const leases = run.leases();
      expect(leases.open).toBe(0);
      expect(leases.released).toBe(leases.acquired);
      expect(leases.maxOpen).toBe(1);
      expect(run.recorded).toHaveLength(1);
    });
  }
});
