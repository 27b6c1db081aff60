import { join } from "node:path";
import { budgetStop, type Stop } from "../decide/budget.ts";
import { incumbentState } from "../decide/ledger-state.ts";
import { pruneLogs } from "../files/cap-log.ts";
import { buildResultRow } from "../ledger/rows.ts";
import { EVALUATED } from "../ledger/types.ts";
import { redactDeep } from "../process/secrets.ts";
import { AgentCheckout } from "./agent-checkout.ts";
import { decide, evaluate } from "./evaluate.ts";
import type { Candidate, EngineContext, Verdict } from "./experiment.ts";
import { propose } from "./propose.ts";
import { remeasure } from "./remeasure.ts";
import type { Steps } from "./scheduler.ts";
import { screen } from "./screen.ts";
import type { Slot } from "./slot.ts";

/** The experiment's steps over autoexp's record store, slots and agent checkouts. */
export function experimentSteps(
  ctx: EngineContext,
  checkSeal: () => Promise<string | null>,
): Steps<Candidate, Verdict, Slot> {
  // One checkout per proposal in flight; the serial scheduler needs one.
  const checkout = new AgentCheckout(join(ctx.store.stateDir, "agents", "0"));
  return {
    stopNow: () =>
      budgetStop(ctx.config.budget, ctx.store.log!.results, {
        done: ctx.done,
        planned: ctx.planned,
        elapsedMs: performance.now() - ctx.startedAt,
        interrupted: ctx.signal?.aborted ?? false,
      }),
    remeasure: (slot) => remeasure(ctx, slot),
    begin: () => {
      const log = ctx.store.log!;
      const iteration = log.results.at(-1)!.iteration + 1;
      ctx.emit({ type: "start", iteration, index: ctx.done + 1, of: ctx.planned });
      return { iteration, parent: incumbentState(log)!, base: ctx.store.head!, agentSeconds: 0 };
    },
    propose: (candidate) => propose(ctx, candidate, checkout),
    screen: (candidate) => screen(ctx, candidate, checkout),
    evaluate: (candidate, slot) => evaluate(ctx, candidate, slot),
    decide: (candidate, verdict, slot) => decide(ctx, candidate, verdict, slot),
    record: async (candidate, verdict) => {
      const tampered = await checkSeal();
      if (tampered) verdict = { ...verdict, status: "violation", reason: tampered };
      const stop = await record(ctx, candidate, verdict);
      if (tampered) return { kind: "violation", reason: tampered };
      return stop;
    },
    checkpoint: ctx.checkpoint,
  };
}

/** Eval logs of this many latest experiments stay on the runner (the ledger keeps every tail). */
const KEEP_LOGS_OF = 200;

/** Step 5, the decision point: the row on disk, then the record commit and refs; then events. */
async function record(
  ctx: EngineContext,
  candidate: Candidate,
  verdict: Verdict,
): Promise<Stop | null> {
  const { iteration } = candidate;
  // An exhausted agent stops the batch before this step, so the proposal spent what it says.
  const proposal = candidate.proposal as Exclude<Candidate["proposal"], { exhausted: true }>;
  const description = proposal ? (proposal.ok ? proposal.description : proposal.error) : "";
  const guardName = Object.keys(ctx.policy.guards)[0];
  const row = buildResultRow(
    ctx.tag,
    iteration,
    guardName,
    verdict,
    {
      description,
      agentSeconds: candidate.agentSeconds,
      ...(proposal?.costUsd !== undefined ? { costUsd: proposal.costUsd } : {}),
      ...(proposal?.usage ? { usage: proposal.usage } : {}),
      ...(proposal?.ok && proposal.meta ? { meta: proposal.meta } : {}),
    },
    new Date().toISOString(),
  );
  // What the agent said goes into commit messages, the ledger and the output: never a key.
  const safe = redactDeep(row, ctx.redact);
  await ctx.store.append([safe], {
    ...(candidate.notes !== undefined ? { notes: candidate.notes } : {}),
    beforeWrite: (path, data) => ctx.faults.tornWrite(iteration, path, data),
    afterJournal: () => ctx.faults.at("after-ledger", iteration),
  });
  ctx.faults.at("after-refs", iteration);
  await pruneLogs(join(ctx.store.stateDir, "logs"), iteration - KEEP_LOGS_OF);
  if (verdict.key && EVALUATED.has(safe.status)) ctx.seen.set(verdict.key, safe);
  ctx.done++;
  const best = incumbentState(ctx.store.log!)!.score;
  const elapsed = performance.now() - ctx.startedAt;
  const etaMs = (elapsed / ctx.done) * (ctx.planned - ctx.done);
  ctx.emit({ type: "experiment", row: safe, index: ctx.done, of: ctx.planned, best, etaMs });
  if (proposal && !proposal.ok && proposal.fatal)
    return { kind: "agent", reason: `the agent cannot work: ${safe.reason ?? safe.description}` };
  return null;
}
