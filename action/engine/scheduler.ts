import type { Stop } from "../decide/budget.ts";

/** A slot handed out for one step and given back when the lease is disposed. */
export interface SlotLease<S> extends AsyncDisposable {
  slot: S;
}

/**
 * The steps one experiment moves through, as the scheduler sees them. The candidate `C` is a
 * value each step returns changed; the verdict `V` is what gets recorded. Steps never call each
 * other: the order lives here alone, so another scheduler (several slots, proposals made while
 * evals run) reuses the same steps.
 */
export interface Steps<C, V, S> {
  /** A budget or an interrupt that ends the batch now, or null. */
  stopNow(): Stop | null;
  /** Extra runs of the incumbent due before the next experiment; a stop if it no longer runs. */
  remeasure(slot: S): Promise<Stop | null>;
  /** The next candidate: its iteration and the incumbent it is proposed against. */
  begin(): C;
  /** The agent's proposal, or a stop when it has nothing left to try. */
  propose(candidate: C): Promise<C | Stop>;
  /** Scope, no change, duplicate: a verdict without evaluating, or null to evaluate. */
  screen(candidate: C): Promise<{ candidate: C; verdict: V | null }>;
  /** The eval's runs (confirmations included) on a clean copy, judged against the incumbent. */
  evaluate(candidate: C, slot: S): Promise<V>;
  /** Checks before a keep, in their own clean copy. */
  decide(candidate: C, verdict: V, slot: S): Promise<V>;
  /** The decision point: the ledger row, the record commit, refs. A stop when it ends the batch. */
  record(candidate: C, verdict: V): Promise<Stop | null>;
  /** After the branch moved: the Action copies the record off the machine here. */
  checkpoint(): Promise<void>;
}

/** Today's loop: one slot, one experiment at a time, each recorded before the next begins. */
export async function runSerial<C, V, S>(
  steps: Steps<C, V, S>,
  acquire: () => Promise<SlotLease<S>>,
): Promise<Stop> {
  while (true) {
    const stop = steps.stopNow();
    if (stop) return stop;
    {
      await using lease = await acquire();
      const broken = await steps.remeasure(lease.slot);
      if (broken) return broken;
    }
    const interrupted = steps.stopNow();
    if (interrupted?.kind === "interrupted") return interrupted;
    const proposed = await steps.propose(steps.begin());
    if (isStop(proposed)) return proposed;
    const screened = await steps.screen(proposed);
    let verdict = screened.verdict;
    if (verdict === null) {
      await using lease = await acquire();
      verdict = await steps.evaluate(screened.candidate, lease.slot);
      verdict = await steps.decide(screened.candidate, verdict, lease.slot);
    }
    const after = await steps.record(screened.candidate, verdict);
    await steps.checkpoint();
    if (after) return after;
  }
}

function isStop(value: unknown): value is Stop {
  return typeof value === "object" && value !== null && "kind" in value && "reason" in value;
}
