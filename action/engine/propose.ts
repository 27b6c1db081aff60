import type { BranchContext } from "../agents/context/render-branch.ts";
import type { Stop } from "../decide/budget.ts";
import { budgetLeft } from "../decide/budget.ts";
import type { ResultEntry } from "../ledger/types.ts";
import { redactDeep } from "../process/secrets.ts";
import { revisitAsked, revisitable, revisitsDone } from "../strategy/revisit.ts";
import { type Change, isRecord } from "./agent-checkout.ts";
import type { CheckoutLease } from "./checkout-pool.ts";
import type { Candidate, EngineContext } from "./experiment.ts";
import { changesBetween, recheck, revisit, revisitsTaken, takeRecheck } from "./recheck.ts";
import type { Steps } from "./scheduler.ts";

/**
 * Step 1: the agent proposes against the candidate's parent, in its own clean checkout of it (the
 * candidate's lease, which it keeps). What it says is redacted before anything else sees it
 * (commit messages, ledger, output).
 */
export async function propose(
  ctx: EngineContext,
  candidate: Candidate & { lease: CheckoutLease },
  turns?: Turns,
): Promise<Candidate | Stop> {
  const { iteration, parent } = candidate;
  const { checkout } = candidate.lease;
  ctx.stopGate?.check(`the agent's proposal for #${iteration}`);
  // A parallel line's displaced keep, waiting to be judged against this line: before the agent.
  const queued = takeRecheck(ctx);
  if (queued) {
    // A re-check is the queued change, not a proposal: on the incumbent, whatever was placed
    // (a revisit placed here is left for a later candidate).
    const { branch, ...onIncumbent } = candidate;
    if (branch?.revisit) revisitsTaken(ctx).delete(branch.revisit.iteration);
    return recheck(ctx, onIncumbent, checkout, queued);
  }
  // The strategy picked a revisit: the discard's change, re-applied, instead of the agent's.
  if (candidate.branch?.revisit)
    return revisit(ctx, candidate, checkout, {
      ...candidate.branch,
      revisit: candidate.branch.revisit,
    });
  // The incumbent's code commit (the same files as the branch head, without the record), or the
  // branch point's the strategy placed this proposal on.
  const point = candidate.branch?.on ?? null;
  const start = point?.commit ?? parent.commit;
  await checkout.prepare(ctx.store.repo, start, ctx.agentGit);
  const targetPaths = (await ctx.store.repo.lsTree(start))
    .map((e) => e.path)
    .filter((p) => ctx.isTarget(p) && !isRecord(p));
  const log = ctx.store.log!;
  const history = log.results.slice(0, candidate.historyLength);
  const started = performance.now();
  let proposal: Candidate["proposal"];
  const agentKey = candidate.lease.name;
  ctx.stopGate?.enter(agentKey, `the agent's proposal for #${iteration}`, "agent");
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
      ...branchContext(ctx, candidate, history),
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
  } finally {
    ctx.stopGate?.leave(agentKey);
  }
  const agentSeconds = round((performance.now() - started) / 1000);
  proposal = redactDeep(proposal, ctx.redact);
  ctx.faults.at("after-agent", iteration);
  if (proposal.ok && proposal.exhausted) {
    // Its only moves are in flight: asked again against the record once they are decided, as a
    // serial batch would ask it (so the ledger does not depend on timing).
    const turn =
      proposal.waiting && candidate.pending?.length ? await turns?.wait(candidate.iteration) : null;
    if (!turn) return { kind: "exhausted", reason: proposal.description };
    const again = await propose(ctx, {
      ...candidate,
      parent: turn.parent,
      base: turn.base,
      historyLength: turn.historyLength,
      notesBefore: turn.notes,
      pending: [],
    });
    return "kind" in again
      ? again
      : { ...again, agentSeconds: round(agentSeconds + again.agentSeconds) };
  }
  const notes =
    proposal.notes !== undefined && proposal.notes !== candidate.notesBefore
      ? proposal.notes
      : undefined;
  const asked = proposal.ok && ctx.strategy?.revisits ? revisitAsked(proposal.description) : null;
  if (asked !== null && proposal.ok) {
    // The agent asked to revisit a discard: granted once, when that discard is eligible now.
    const eligible = revisitable(log.results, parent.iteration, ctx.goal, revisitsTaken(ctx));
    const granted = eligible.find((p) => p.iteration === asked);
    if (granted) {
      revisitsTaken(ctx).add(asked);
      const { branch: _, ...onIncumbent } = candidate;
      return revisit(
        ctx,
        { ...onIncumbent, agentSeconds, ...(notes !== undefined ? { notes } : {}) },
        checkout,
        { on: null, why: "asked for by the agent", revisit: granted },
        proposal,
      );
    }
    const why = `the agent asked to revisit #${asked}, which is not a discard judged against an earlier incumbent and not yet revisited: its own change (if any) is evaluated instead`;
    ctx.emit({ type: "notice", message: `#${iteration}: ${why}` });
  }
  return {
    ...candidate,
    proposal,
    agentSeconds,
    targetPaths,
    changes: await withPoint(ctx, await checkout.changes(), point?.commit ?? null, parent.commit),
    ...(notes !== undefined ? { notes } : {}),
  };
}

/**
 * What the agent is told of the strategy: the branch point its worktree holds, and (strategy
 * `branch`) the discards it may revisit and the revisits made so far, as of its record.
 */
function branchContext(
  ctx: EngineContext,
  candidate: Candidate,
  history: readonly ResultEntry[],
): { branch?: BranchContext } {
  const { parent } = candidate;
  const point = candidate.branch?.on ?? null;
  const placed =
    point && candidate.branch?.why
      ? {
          on: point.iteration,
          kind: point.kind,
          description: history.find((r) => r.iteration === point.iteration)?.description ?? "",
          why: candidate.branch.why,
        }
      : null;
  const eligible = ctx.strategy?.revisits
    ? revisitable(history, parent.iteration, ctx.goal, revisitsTaken(ctx)).slice(0, 5)
    : [];
  const done = ctx.strategy?.revisits ? revisitsDone(history, ctx.goal).slice(-5) : [];
  if (!placed && eligible.length === 0 && done.length === 0) return {};
  const use = ctx.config.agent.use;
  return {
    branch: {
      incumbent: parent.iteration,
      ...(placed ? { point: placed } : {}),
      ...(eligible.length > 0 || done.length > 0
        ? {
            revisits: {
              eligible,
              done,
              canAsk: use !== "openai" && use !== "anthropic" && use !== "search",
            },
          }
        : {}),
    },
  };
}

/**
 * The agent's changes to a branch point's code as changes to the incumbent's: with every target
 * file in which the point differs from the incumbent and the agent left alone, so the candidate
 * commit (built on the incumbent) holds the point's code plus the agent's change, and a rebase
 * re-applies both. Nothing changed stays nothing changed (no_change): the point alone is on
 * record already.
 */
async function withPoint(
  ctx: EngineContext,
  changes: Change[],
  point: string | null,
  incumbent: string,
): Promise<Change[]> {
  if (point === null || changes.length === 0) return changes;
  const own = new Set(changes.map((c) => c.path));
  const carried = (await changesBetween(ctx, incumbent, point)).filter((c) => !own.has(c.path));
  return [...changes, ...carried].sort((a, b) => (a.path < b.path ? -1 : 1));
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The record as it stands between two experiments (the incumbent's re-measure done). */
export interface Turn {
  parent: Candidate["parent"];
  base: string;
  historyLength: number;
  notes: string;
}

/**
 * Candidates whose agent waits for the proposals in flight before it (see Proposal's `waiting`):
 * each goes on with the first record that holds every experiment before it. When the batch stops
 * before that (a stop or an error at an earlier experiment, an interrupt), it goes on with
 * nothing: the scheduler drains what is in flight and must not wait for it forever.
 */
export class Turns {
  #latest: Turn | null = null;
  #endedAfter = Number.POSITIVE_INFINITY;
  #waiting: { iteration: number; resolve: (turn: Turn | null) => void }[] = [];

  constructor(signal?: AbortSignal) {
    signal?.addEventListener("abort", () => this.end(), { once: true });
  }

  /** The record as it stands now; the candidates it holds every earlier experiment for go on. */
  offer(turn: Turn): void {
    this.#latest = turn;
    this.#release();
  }

  /** The batch stops at experiment `at` (at once when not given): later ones wait no more. */
  end(at = Number.NEGATIVE_INFINITY): void {
    this.#endedAfter = Math.min(this.#endedAfter, at);
    this.#release();
  }

  /** The record once experiments 0..iteration-1 are all in it; null when the batch stops first. */
  wait(iteration: number): Promise<Turn | null> {
    return new Promise((resolve) => {
      this.#waiting.push({ iteration, resolve });
      this.#release();
    });
  }

  #release(): void {
    this.#waiting = this.#waiting.filter(({ iteration, resolve }) => {
      if (iteration > this.#endedAfter) resolve(null);
      else if (this.#latest && this.#latest.historyLength >= iteration) resolve(this.#latest);
      else return true;
      return false;
    });
  }
}

/**
 * `steps` telling `turns` of every stop and every error, by the experiment it happened at (the
 * scheduler ends the batch there), so that no candidate waits for records that will not come.
 */
export function endTurnsOnStop<C extends { iteration: number }, V, S>(
  turns: Turns,
  steps: Steps<C, V, S>,
): Steps<C, V, S> {
  const watch =
    <A extends unknown[], R>(step: (...args: A) => Promise<R>, at: (...args: A) => number) =>
    async (...args: A): Promise<R> => {
      try {
        const result = await step(...args);
        if (typeof result === "object" && result !== null && "kind" in result)
          turns.end(at(...args));
        return result;
      } catch (error) {
        turns.end(at(...args));
        throw error;
      }
    };
  const everyone = () => Number.NEGATIVE_INFINITY;
  const of = (candidate: C) => candidate.iteration;
  return {
    ...steps,
    remeasure: watch(steps.remeasure, everyone),
    checkpoint: watch(steps.checkpoint, everyone),
    propose: watch(steps.propose, of),
    screen: watch(steps.screen, of),
    evaluate: watch(steps.evaluate, of),
    decide: watch(steps.decide, of),
    record: watch(steps.record, of),
    ...(steps.rebase ? { rebase: watch(steps.rebase, of) } : {}),
    ...(steps.catchUp ? { catchUp: watch(steps.catchUp, of) } : {}),
  };
}
