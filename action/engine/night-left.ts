import type { NightLeft } from "../decide/screen-choice.ts";
import type { EngineContext } from "./experiment.ts";

/** This batch's latest results the agent's time per proposal is read from. */
const AGENT_WINDOW = 20;

/**
 * What the batch has left to spend (decide/screen-choice.ts reads which runs out first): the
 * proposals budget.experiments leaves, the runs budget.eval_runs leaves, and the wall clock left
 * as eval runs at the night's mean run time on all workers. The agent's time per proposal (this
 * batch's latest) limits the proposals the clock holds where the agent works while evals run
 * (pipeline), and adds to each candidate's time where it does not. Undefined before the batch
 * has finished a run (nothing to time).
 */
export function nightLeft(ctx: EngineContext): NightLeft | undefined {
  const made = ctx.runsMade?.();
  if (!made || made.runs === 0 || !(made.ms > 0)) return undefined;
  const runMs = made.ms / made.runs;
  const { budget, pipeline } = ctx.config;
  const clockMs = Math.max(0, budget.wall_clock - (performance.now() - ctx.startedAt));
  const rows = ctx.store.log!.results.slice(-Math.min(ctx.done, AGENT_WINDOW));
  const agentMs =
    rows.length > 0 ? (rows.reduce((s, r) => s + r.agent_seconds, 0) * 1000) / rows.length : 0;
  const proposals = Math.max(0, ctx.planned - ctx.done);
  return {
    proposals:
      pipeline && agentMs > 0
        ? Math.min(proposals, (clockMs * ctx.proposers) / agentMs)
        : proposals,
    runs: budget.eval_runs === undefined ? Infinity : Math.max(0, budget.eval_runs - made.runs),
    clock: {
      runs: (clockMs * ctx.workers) / runMs,
      perProposal: pipeline ? 0 : agentMs / runMs,
    },
  };
}
