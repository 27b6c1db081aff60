import type { Config } from "../config/schema.ts";
import { FAILURES, KEPT, type ResultEntry } from "../ledger/types.ts";

/** Why a batch ends. A stop is data: the kind says whether it is a failure (exit code). */
export type Stop =
  | { kind: "budget"; reason: string }
  | { kind: "interrupted"; reason: string }
  | { kind: "exhausted"; reason: string }
  | { kind: "failures"; reason: string }
  | { kind: "agent"; reason: string }
  | { kind: "broken"; reason: string }
  | { kind: "violation"; reason: string };

/** Stops that mean the night did not go as planned: the CLI and the Action exit non-zero. */
export const FAILED_STOPS: ReadonlySet<Stop["kind"]> = new Set([
  "failures",
  "agent",
  "broken",
  "violation",
]);

export interface BudgetState {
  /** Experiments this batch has recorded. */
  done: number;
  /** Experiments this batch may record. */
  planned: number;
  elapsedMs: number;
  /** Eval runs this batch has made (budget.eval_runs). */
  runs?: number;
  /** Experiments begun and not yet recorded (pipelined): they finish after a stop. */
  begun?: number;
  interrupted: boolean;
}

/** The budget that ends the batch now, or null to go on. Pure. */
export function budgetStop(
  budget: Config["budget"],
  rows: readonly ResultEntry[],
  state: BudgetState,
): Stop | null {
  if (state.interrupted) return { kind: "interrupted", reason: "interrupted" };
  if (state.done >= state.planned)
    return { kind: "budget", reason: `experiments budget reached (${state.planned})` };
  if (state.elapsedMs >= budget.wall_clock)
    return { kind: "budget", reason: "wall_clock budget reached" };
  if (budget.eval_runs !== undefined && (state.runs ?? 0) >= budget.eval_runs) {
    const begun = state.begun ?? 0;
    const finish =
      begun > 0
        ? `; the ${begun === 1 ? "experiment" : `${begun} experiments`} already begun finish${begun === 1 ? "es" : ""}, with their runs`
        : "";
    return {
      kind: "budget",
      reason: `eval_runs budget reached (${state.runs} of ${budget.eval_runs} runs made${finish})`,
    };
  }
  const cost = totalCost(rows);
  if (budget.cost_usd !== undefined && cost >= budget.cost_usd)
    return {
      kind: "budget",
      reason: `cost budget reached ($${cost.toFixed(2)} of $${budget.cost_usd})`,
    };
  let failures = 0;
  for (let i = rows.length - 1; i >= 0 && FAILURES.has(rows[i]!.status); i--) failures++;
  if (failures >= budget.stop_after_failures)
    return {
      kind: "failures",
      reason: `${failures} consecutive failures (budget.stop_after_failures)`,
    };
  const lastKept = rows.findLastIndex((r) => KEPT.has(r.status));
  if (budget.plateau !== undefined && rows.length - 1 - lastKept >= budget.plateau) {
    return {
      kind: "budget",
      reason: `plateau: no keep in ${rows.length - 1 - lastKept} experiments (budget.plateau)`,
    };
  }
  return null;
}

/** What is left of each budget, for the agent's context. Pure. */
export function budgetLeft(
  budget: Config["budget"],
  rows: readonly ResultEntry[],
  state: Pick<BudgetState, "done" | "planned" | "elapsedMs">,
): { experiments: number; wallClockMs: number | null; costUsd: number | null } {
  return {
    experiments: state.planned - state.done,
    wallClockMs: budget.wall_clock - state.elapsedMs,
    costUsd: budget.cost_usd !== undefined ? budget.cost_usd - totalCost(rows) : null,
  };
}

function totalCost(rows: readonly ResultEntry[]): number {
  return rows.reduce((s, r) => s + (r.cost_usd || 0), 0);
}
