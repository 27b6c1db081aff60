import type { Stop } from "../decide/budget.ts";
import { budgetLeft } from "../decide/budget.ts";
import { redactDeep } from "../process/secrets.ts";
import { type AgentCheckout, isRecord } from "./agent-checkout.ts";
import type { Candidate, EngineContext } from "./experiment.ts";
import { recheck, takeRecheck } from "./recheck.ts";

/**
 * Step 1: the agent proposes against the candidate's parent, in its own clean checkout of it.
 * What it says is redacted before anything else sees it (commit messages, ledger, output).
 */
export async function propose(
  ctx: EngineContext,
  candidate: Candidate,
  checkout: AgentCheckout,
): Promise<Candidate | Stop> {
  const { iteration, parent } = candidate;
  // A parallel line's displaced keep, waiting to be judged against this line: before the agent.
  const queued = takeRecheck(ctx);
  if (queued) return recheck(ctx, candidate, checkout, queued);
  // The incumbent's code commit: the same files as the branch head, without the record.
  await checkout.prepare(ctx.store.repo, parent.commit, ctx.agentGit);
  const targetPaths = (await ctx.store.repo.lsTree(parent.commit))
    .map((e) => e.path)
    .filter((p) => ctx.isTarget(p) && !isRecord(p));
  const log = ctx.store.log!;
  const history = log.results.slice(0, candidate.historyLength);
  const started = performance.now();
  let proposal: Candidate["proposal"];
  try {
    proposal = await ctx.agent.propose({
      worktree: checkout.dir,
      iteration,
      config: ctx.config,
      metric: ctx.metric,
      goal: ctx.goal,
      incumbentScore: parent.score,
      header: log.config,
      history,
      ...(log.imports?.length ? { imported: log.imports.flatMap((i) => i.rows) } : {}),
      ...(candidate.pending?.length ? { pending: candidate.pending } : {}),
      targetFiles: targetPaths,
      mayCreate: ctx.isTarget,
      scratchDir: checkout.scratch,
      ...(checkout.objects ? { gitObjects: checkout.objects } : {}),
      pidFile: checkout.pidFile,
      ...(ctx.launchAgent ? { launch: ctx.launchAgent } : {}),
      env: ctx.agentEnv,
      ...(ctx.line ? { line: ctx.line } : {}),
      redact: ctx.redact,
      notes: candidate.notesBefore,
      budget: budgetLeft(ctx.config.budget, log.results, {
        done: ctx.done,
        planned: ctx.planned,
        elapsedMs: performance.now() - ctx.startedAt,
      }),
    });
  } catch (error) {
    proposal = {
      ok: false,
      error: `agent failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const agentSeconds = round((performance.now() - started) / 1000);
  proposal = redactDeep(proposal, ctx.redact);
  ctx.faults.at("after-agent", iteration);
  if (proposal.ok && proposal.exhausted) return { kind: "exhausted", reason: proposal.description };
  const notes =
    proposal.notes !== undefined && proposal.notes !== candidate.notesBefore
      ? proposal.notes
      : undefined;
  return {
    ...candidate,
    proposal,
    agentSeconds,
    targetPaths,
    changes: await checkout.changes(),
    ...(notes !== undefined ? { notes } : {}),
  };
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
