import type { NightLeft } from "../decide/screen-choice.ts";
import type { EngineContext } from "./experiment.ts";

/** This batch's latest results the agent's time per proposal is read from. */
const AGENT_WINDOW = 20;

/** The most of the runs left taken to go to the incumbent alone (see overheadShare). */
const MOST_OVERHEAD = 0.75;

/**
 * What the batch has left to spend (decide/screen-choice.ts reads which runs out first): the
 * proposals budget.experiments leaves, the runs budget.eval_runs leaves, and the wall clock left
 * as eval runs at the night's mean run time on all workers. The agent's time per proposal (this
 * batch's latest) limits the proposals the clock holds where the agent works while evals run
 * (pipeline), and adds to each candidate's time where it does not. The runs left count only the
 * share this batch has spent on candidates and the incumbent beside them (overheadShare): the
 * screen's curves count those alone. Undefined before the batch has finished a run (nothing to
 * time).
 */
export function nightLeft(ctx: EngineContext): NightLeft | undefined {
  const made = ctx.runsMade?.();
  if (!made || made.runs === 0 || !(made.ms > 0)) return undefined;
  const runMs = made.ms / made.runs;
  const { budget, pipeline } = ctx.config;
  const clockMs = Math.max(0, budget.wall_clock - (performance.now() - ctx.startedAt));
  const rows = ctx.done > 0 ? ctx.store.log!.results.slice(-Math.min(ctx.done, AGENT_WINDOW)) : [];
  const agentMs =
    rows.length > 0 ? (rows.reduce((s, r) => s + r.agent_seconds, 0) * 1000) / rows.length : 0;
  const proposals = Math.max(0, ctx.planned - ctx.done);
  const byAgent = pipeline && agentMs > 0 ? (clockMs * ctx.proposers) / agentMs : Infinity;
  const toCandidates = 1 - overheadShare(ctx, made.runs);
  return {
    proposals: Math.min(proposals, byAgent),
    ...(byAgent < proposals ? { byAgent: true } : {}),
    runs:
      budget.eval_runs === undefined
        ? Infinity
        : Math.max(0, budget.eval_runs - made.runs) * toCandidates,
    clock: {
      runs: ((clockMs * ctx.workers) / runMs) * toCandidates,
      perProposal: pipeline ? 0 : agentMs / runMs,
    },
  };
}

/**
 * The share of this batch's runs, its baseline's left out, that went to the incumbent alone:
 * re-measures (scheduled, for drift, top-ups) and runs after a keep, not the incumbent's runs
 * beside a candidate (paired_with). At most MOST_OVERHEAD.
 */
function overheadShare(ctx: EngineContext, runs: number): number {
  const log = ctx.store.log!;
  // Lines written after the last batch's end are this batch's.
  const since = log.batches.at(-1)?.timestamp ?? "";
  const count = (samples: Record<string, number[]>) => samples[ctx.metric]?.length ?? 0;
  const first = log.results[0];
  const baseline = first && first.timestamp > since ? count(first.samples) : 0;
  const overhead = log.remeasures
    .filter((m) => m.timestamp > since && m.paired_with === undefined)
    .reduce((n, m) => n + count(m.samples), 0);
  const spent = runs - baseline;
  return spent > 0 ? Math.min(MOST_OVERHEAD, overhead / spent) : 0;
}
