import type { Stop } from "../decide/budget.ts";
import type { ResultEntry } from "../ledger/types.ts";
import type { CheckoutLease } from "./checkout-pool.ts";
import type { Candidate, EngineContext } from "./experiment.ts";
import { propose } from "./propose.ts";
import { reapply } from "./reapply.ts";

/** The state a stale candidate is re-applied onto: the record just after an incumbent changed. */
export interface RebaseTarget {
  parent: Candidate["parent"];
  base: string;
  historyLength: number;
  notes: string;
}

/**
 * How a candidate's evaluation against an incumbent the record has since left ended: an entry of
 * its row's `reapplied` (ResultEntry), before rebase says whether the agent was asked again.
 */
export type LeftBehind = Omit<NonNullable<ResultEntry["reapplied"]>[number], "asked_again">;

/**
 * A candidate whose incumbent changed while it was in flight, re-applied onto the current
 * incumbent in the checkout `lease` holds (a rebase checkout, which the candidate keeps until it
 * is screened): each file it changed is merged three-way (its parent's version, its version, the
 * incumbent's). When a file no longer merges, the agent is asked again, against the current
 * incumbent (the reason is reported as a notice). Deterministic: it depends on contents only.
 * With `left`, the evaluation it leaves behind, added to the candidate's `reappliedFrom` (its row
 * says so), with whether its change merged or the agent was asked again.
 */
export async function rebase(
  ctx: EngineContext,
  candidate: Candidate,
  onto: RebaseTarget,
  lease: CheckoutLease,
  left?: LeftBehind,
): Promise<Candidate | Stop> {
  ctx.stopGate?.check(`re-applying #${candidate.iteration} onto #${onto.parent.iteration}`);
  const repo = ctx.store.repo;
  const current = onto.parent;
  const { checkout } = lease;
  const fresh: Candidate & { lease: CheckoutLease } = {
    ...candidate,
    parent: current,
    base: onto.base,
    lease,
    historyLength: onto.historyLength,
    notesBefore: onto.notes,
  };
  delete fresh.commit;
  delete fresh.key;
  const origin = candidate.origin ?? { parent: candidate.parent, changes: candidate.changes ?? [] };
  fresh.origin = origin;
  await checkout.prepare(repo, current.commit, ctx.agentGit);
  const conflicts = await reapply(ctx, origin, checkout);
  if (conflicts.length === 0) {
    ctx.emit({
      type: "notice",
      message: `#${candidate.iteration} was proposed against #${candidate.parent.iteration}; the incumbent is now #${current.iteration}: re-applied and evaluated there`,
    });
    return {
      ...fresh,
      changes: await checkout.changes(),
      ...(left ? { reappliedFrom: [...(candidate.reappliedFrom ?? []), left] } : {}),
    };
  }
  ctx.emit({
    type: "notice",
    message: `#${candidate.iteration} no longer applies to the incumbent #${current.iteration} (${conflicts.join(", ")} changed under it): the agent is asked again`,
  });
  // Asked again, it is the agent's own proposal, no longer a re-check of a parallel line's keep.
  const { recheckOf: _, ...asked } = fresh;
  const retried = await propose(ctx, { ...asked, pending: [] });
  if ("kind" in retried) return retried;
  return {
    ...retried,
    agentSeconds: candidate.agentSeconds + retried.agentSeconds,
    ...(left
      ? { reappliedFrom: [...(candidate.reappliedFrom ?? []), { ...left, asked_again: true }] }
      : {}),
  };
}
