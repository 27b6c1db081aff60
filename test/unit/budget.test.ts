import { describe, expect, it } from "vitest";
import type { Config } from "../../action/config/schema.ts";
import {
  type BudgetState,
  budgetLeft,
  budgetStop,
  FAILED_STOPS,
  type Stop,
} from "../../action/decide/budget.ts";
import type { ResultEntry, Status } from "../../action/ledger/types.ts";

type Budget = Config["budget"];

const budget = (over: Partial<Budget> = {}): Budget => ({
  experiments: 20,
  wall_clock: 3_600_000,
  stop_after_failures: 3,
  ...over,
});

const state = (over: Partial<BudgetState> = {}): BudgetState => ({
  done: 0,
  planned: 20,
  elapsedMs: 0,
  interrupted: false,
  ...over,
});

/** A ledger: the baseline, then one row per status, each costing `cost` dollars. */
function ledger(statuses: readonly Status[], cost = 0): ResultEntry[] {
  return ["baseline" as Status, ...statuses].map((status, iteration) => ({
    type: "result",
    iteration,
    commit: "",
    commit_full: null,
    diff: null,
    score: null,
    delta: null,
    guard_score: null,
    guard_pass: null,
    status,
    description: status,
    timestamp: "2026-01-01T00:00:00.000Z",
    metrics: {},
    samples: {},
    agent_seconds: 0,
    eval_seconds: 0,
    cost_usd: iteration === 0 ? 0 : cost,
  }));
}

const kindOf = (stop: Stop | null) => stop?.kind ?? null;

describe("budgetStop: each stop", () => {
  it("goes on when no budget is reached", () => {
    expect(budgetStop(budget(), ledger(["discard", "keep"]), state({ done: 2 }))).toBeNull();
  });

  it("stops on an interrupt", () => {
    expect(budgetStop(budget(), ledger([]), state({ interrupted: true }))).toEqual({
      kind: "interrupted",
      reason: "interrupted",
    });
  });

  it("stops when this batch recorded the experiments it planned, not before", () => {
    expect(budgetStop(budget(), ledger([]), state({ done: 4, planned: 5 }))).toBeNull();
    expect(budgetStop(budget(), ledger([]), state({ done: 5, planned: 5 }))).toEqual({
      kind: "budget",
      reason: "experiments budget reached (5)",
    });
  });

  it("stops when the wall clock is spent, not a millisecond before", () => {
    const b = budget({ wall_clock: 60_000 });
    expect(budgetStop(b, ledger([]), state({ elapsedMs: 59_999 }))).toBeNull();
    expect(budgetStop(b, ledger([]), state({ elapsedMs: 60_000 }))).toEqual({
      kind: "budget",
      reason: "wall_clock budget reached",
    });
  });

  it("stops when budget.eval_runs are made, not a run before, and never without it", () => {
    const b = budget({ eval_runs: 120 });
    expect(budgetStop(b, ledger([]), state({ runs: 119 }))).toBeNull();
    expect(kindOf(budgetStop(b, ledger([]), state({ runs: 120 })))).toBe("budget");
    expect(budgetStop(b, ledger([]), state({ runs: 121 }))).toEqual({
      kind: "budget",
      reason: "eval_runs budget reached (121 of 120 runs made)",
    });
    // Pipelined, the experiments already begun finish: the reason says so.
    expect(budgetStop(b, ledger([]), state({ runs: 120, begun: 2 }))?.reason).toBe(
      "eval_runs budget reached (120 of 120 runs made; the 2 experiments already begun finish, with their runs)",
    );
    expect(budgetStop(budget(), ledger([]), state({ runs: 1e6 }))).toBeNull();
  });

  it("stops when the ledger's total cost reaches cost_usd, and names both", () => {
    const b = budget({ cost_usd: 1.5 });
    expect(budgetStop(b, ledger(["discard", "discard"], 0.7), state())).toBeNull();
    expect(budgetStop(b, ledger(["discard", "discard", "discard"], 0.5), state())).toEqual({
      kind: "budget",
      reason: "cost budget reached ($1.50 of $1.5)",
    });
  });

  it("never stops for cost without cost_usd", () => {
    expect(budgetStop(budget(), ledger(["discard"], 1e6), state())).toBeNull();
  });

  it("stops after stop_after_failures consecutive failures of any failing kind", () => {
    const rows = ledger(["discard", "crash", "timeout", "violation"]);
    expect(budgetStop(budget({ stop_after_failures: 3 }), rows, state())).toEqual({
      kind: "failures",
      reason: "3 consecutive failures (budget.stop_after_failures)",
    });
    expect(budgetStop(budget({ stop_after_failures: 4 }), rows, state())).toBeNull();
    const others = ledger(["agent_error", "checks_failed"]);
    expect(kindOf(budgetStop(budget({ stop_after_failures: 2 }), others, state()))).toBe(
      "failures",
    );
  });

  it("counts only the trailing failures: a success in between starts the count again", () => {
    const b = budget({ stop_after_failures: 3 });
    expect(budgetStop(b, ledger(["crash", "crash", "discard", "crash"]), state())).toBeNull();
    expect(budgetStop(b, ledger(["crash", "crash", "crash", "keep"]), state())).toBeNull();
    expect(budgetStop(b, ledger(["crash", "crash", "guard_fail", "crash", "crash"]), state())).toBe(
      null,
    );
  });

  it("does not count outcomes that are not failures: no change, duplicate, guard_fail, discard", () => {
    const b = budget({ stop_after_failures: 1 });
    for (const status of ["no_change", "duplicate", "guard_fail", "discard"] as const) {
      expect(budgetStop(b, ledger([status]), state())).toBeNull();
    }
  });

  it("stops on a plateau: `plateau` experiments since the last keep", () => {
    const rows = ledger(["keep", "discard", "discard", "discard"]);
    expect(budgetStop(budget({ plateau: 4 }), rows, state())).toBeNull();
    expect(budgetStop(budget({ plateau: 3 }), rows, state())).toEqual({
      kind: "budget",
      reason: "plateau: no keep in 3 experiments (budget.plateau)",
    });
  });

  it("counts the plateau from the baseline when nothing was kept, and from a simplification", () => {
    expect(
      kindOf(budgetStop(budget({ plateau: 2 }), ledger(["discard", "discard"]), state())),
    ).toBe("budget");
    expect(
      budgetStop(budget({ plateau: 2 }), ledger(["discard", "simplification"]), state()),
    ).toBeNull();
  });

  it("never stops on a plateau without `plateau`", () => {
    expect(budgetStop(budget(), ledger(Array(50).fill("discard")), state())).toBeNull();
  });
});

describe("budgetStop: which stop wins when several apply", () => {
  // Every stop applies at once; removing the winner each time shows the next in line.
  const all = {
    budget: budget({ wall_clock: 1000, cost_usd: 1, stop_after_failures: 2, plateau: 2 }),
    rows: ledger(["crash", "crash"], 1),
    state: state({ interrupted: true, done: 5, planned: 5, elapsedMs: 1000 }),
  };

  it("interrupted, then experiments, wall clock, cost, failures, plateau", () => {
    const order: string[] = [];
    const rows = all.rows;
    let { budget: b, state: s } = all;
    for (let i = 0; i < 7; i++) {
      const stop = budgetStop(b, rows, s);
      if (!stop) break;
      const reason = stop.reason;
      order.push(stop.kind === "budget" ? reason.split(/[ :]/)[0]! : stop.kind);
      if (stop.kind === "interrupted") s = { ...s, interrupted: false };
      else if (reason.startsWith("experiments")) s = { ...s, done: 0 };
      else if (reason.startsWith("wall_clock")) s = { ...s, elapsedMs: 0 };
      else if (reason.startsWith("cost")) {
        const { cost_usd: _, ...rest } = b;
        b = rest;
      } else if (stop.kind === "failures") b = { ...b, stop_after_failures: 100 };
      else if (reason.startsWith("plateau")) {
        const { plateau: _, ...rest } = b;
        b = rest;
      }
    }
    expect(order).toEqual([
      "interrupted",
      "experiments",
      "wall_clock",
      "cost",
      "failures",
      "plateau",
    ]);
  });
});

describe("FAILED_STOPS", () => {
  it("are the stops that mean the night did not go as planned", () => {
    const kinds: Stop["kind"][] = [
      "budget",
      "interrupted",
      "exhausted",
      "failures",
      "agent",
      "broken",
      "violation",
    ];
    expect(kinds.filter((k) => FAILED_STOPS.has(k))).toEqual([
      "failures",
      "agent",
      "broken",
      "violation",
    ]);
  });
});

describe("budgetLeft", () => {
  it("tells the agent the experiments, milliseconds and dollars left", () => {
    expect(
      budgetLeft(budget({ wall_clock: 60_000, cost_usd: 2 }), ledger(["discard", "crash"], 0.25), {
        done: 2,
        planned: 10,
        elapsedMs: 15_000,
      }),
    ).toEqual({ experiments: 8, wallClockMs: 45_000, costUsd: 1.5 });
  });

  it("has no cost left to tell without cost_usd", () => {
    expect(budgetLeft(budget(), ledger([]), { done: 0, planned: 1, elapsedMs: 0 }).costUsd).toBe(
      null,
    );
  });
});
