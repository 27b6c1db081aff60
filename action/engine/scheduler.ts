import type { Stop } from "../decide/budget.ts";
import { INTERRUPTED, Interrupted } from "./interrupted.ts";

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
  /** A budget or an interrupt that ends the batch now, or null (`pending`: begun, not recorded). */
  stopNow(pending?: number): Stop | null;
  /** Extra runs of the incumbent due before the next experiment; a stop if it no longer runs. */
  remeasure(slot: S): Promise<Stop | null>;
  /** Whether remeasure has runs to do now (so a scheduler takes a slot only then). */
  remeasureDue?(): boolean;
  /** The next candidate: its iteration and the incumbent it is proposed against. */
  begin(pending?: number): C;
  /** The agent's proposal, or a stop when it has nothing left to try. */
  propose(candidate: C): Promise<C | Stop>;
  /** Scope, no change, duplicate: a verdict without evaluating, or null to evaluate. */
  screen(candidate: C): Promise<{ candidate: C; verdict: V | null }>;
  /**
   * The eval's runs (confirmations included) on a clean copy, judged against the incumbent; a
   * stop when the eval can no longer be trusted (the incumbent's run beside it failed).
   */
  evaluate(candidate: C, slot: S): Promise<V | Stop>;
  /** Checks before a keep, in their own clean copy. */
  decide(candidate: C, verdict: V, slot: S): Promise<V>;
  /** The decision point: the ledger row, the record commit, refs. A stop when it ends the batch. */
  record(candidate: C, verdict: V): Promise<Stop | null>;
  /** After the branch moved: the Action copies the record off the machine here. */
  checkpoint(): Promise<void>;
  /** The incumbent as recorded now (what a stale candidate is re-applied onto). */
  snapshot?(): unknown;
  /**
   * Whether the candidate must be judged again on `snapshot`'s incumbent: it was proposed
   * against another one, and it beat that one or was still in the running when its runs ran
   * out. A candidate that clearly lost to the incumbent it was made for is recorded as judged
   * against it, not evaluated again.
   */
  isStale?(flight: { candidate: C; verdict: V }, snapshot: unknown): boolean;
  /**
   * The candidate's change re-applied onto `snapshot`'s incumbent (three-way), ready to evaluate
   * again; when it no longer applies, a fresh proposal against that incumbent.
   */
  rebase?(candidate: C, snapshot: unknown, verdict: V): Promise<C | Stop>;
  /**
   * Before a screened candidate takes a slot: the candidate as it must be evaluated, once the
   * record holds what it waits for, re-applied (rebase) when that record's incumbent is newer
   * than the one it was proposed against; the same candidate when nothing changed.
   */
  catchUp?(candidate: C): Promise<C | Stop>;
  /**
   * Whether a settled flight begun after the one whose turn it is may be recorded before it: a
   * keep against the incumbent as recorded now (several workers or proposers). Absent: rows are
   * recorded in the order the experiments began.
   */
  recordAhead?(flight: { candidate: C; verdict: V }): boolean;
}

/** Today's loop: one slot, one experiment at a time, each recorded before the next begins. */
export async function runSerial<C, V, S>(
  steps: Steps<C, V, S>,
  acquire: () => Promise<SlotLease<S>>,
): Promise<Stop> {
  return stopWhenInterrupted(() => serialLoop(steps, acquire));
}

/**
 * A step refused to start because the batch is stopping (Interrupted): the batch ends there,
 * and the experiment it belonged to is not recorded (a resume starts it again).
 */
async function stopWhenInterrupted(loop: () => Promise<Stop>): Promise<Stop> {
  try {
    return await loop();
  } catch (error) {
    if (error instanceof Interrupted) return INTERRUPTED;
    throw error;
  }
}

async function serialLoop<C, V, S>(
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
      const evaluated = await steps.evaluate(screened.candidate, lease.slot);
      if (isStop(evaluated)) return evaluated;
      verdict = await steps.decide(screened.candidate, evaluated, lease.slot);
    }
    const after = await steps.record(screened.candidate, verdict);
    await steps.checkpoint();
    if (after) return after;
  }
}

function isStop(value: unknown): value is Stop {
  return typeof value === "object" && value !== null && "kind" in value && "reason" in value;
}

/** How many experiments the pipelined scheduler keeps in flight beyond the one being decided. */
export interface PipelineShape {
  /** Candidates begun ahead of the decision point (workers + proposers - 1; 0 is serial). */
  lag: number;
}

type Flight<C, V> = { candidate: C; verdict: V } | { stop: Stop };

/**
 * Proposals made while evals run, evals in several slots at once, and one decision point that
 * records in iteration order, but where steps.recordAhead lets a keep decided early go first.
 * After each record, the incumbent's extra runs come first (a
 * top-up after a keep); then candidate n begins (n-1-lag is recorded, so it is proposed against
 * a state that does not depend on timing); it is proposed, screened and evaluated in flight; at
 * its turn, a candidate
 * whose incumbent changed meanwhile and which beat that incumbent (or was undecided) is
 * re-applied onto the new one and evaluated again (a candidate is always judged against the
 * incumbent it would replace; one that clearly lost is recorded against the incumbent it was made
 * for), then it is recorded.
 * Given the same eval results, the ledger is the same whatever the timing (without recordAhead).
 */
export async function runPipelined<C, V, S>(
  steps: Steps<C, V, S>,
  acquire: () => Promise<SlotLease<S>>,
  shape: PipelineShape,
): Promise<Stop> {
  return stopWhenInterrupted(() => pipelinedLoop(steps, acquire, shape));
}

async function pipelinedLoop<C, V, S>(
  steps: Steps<C, V, S>,
  acquire: () => Promise<SlotLease<S>>,
  shape: PipelineShape,
): Promise<Stop> {
  const queue: Promise<Flight<C, V>>[] = [];
  let stop: Stop | null = null;
  // Screen, then (unless screening decided) evaluate and decide in a slot: a candidate's way to
  // a verdict, first proposed or re-applied.
  const judge = async (candidate: C): Promise<Flight<C, V>> => {
    const screened = await steps.screen(candidate);
    if (screened.verdict !== null)
      return { candidate: screened.candidate, verdict: screened.verdict };
    if (steps.catchUp) {
      const caught = await steps.catchUp(screened.candidate);
      if (isStop(caught)) return { stop: caught };
      // Re-applied onto a newer incumbent: screened again, as any re-applied candidate is.
      if (caught !== screened.candidate) return judge(caught);
    }
    await using lease = await acquire();
    const evaluated = await steps.evaluate(screened.candidate, lease.slot);
    // Like a proposal's stop, it ends the batch at this candidate's turn.
    if (isStop(evaluated)) return { stop: evaluated };
    return {
      candidate: screened.candidate,
      verdict: await steps.decide(screened.candidate, evaluated, lease.slot),
    };
  };
  const fly = async (candidate: C): Promise<Flight<C, V>> => {
    const proposed = await steps.propose(candidate);
    return isStop(proposed) ? { stop: proposed } : judge(proposed);
  };
  // A candidate whose incumbent changed and which would replace its own is re-applied and
  // evaluated again; done in flight (in parallel, as soon as the change is recorded) rather than
  // when its turn comes.
  // Each step onto a snapshot taken in the decision loop, so the order of rebases (and what
  // they produce) follows the order of records, not the timing of evals.
  const refly = async (flown: Flight<C, V>, snapshot: unknown): Promise<Flight<C, V>> => {
    if ("stop" in flown || !steps.isStale?.(flown, snapshot) || !steps.rebase) return flown;
    const rebased = await steps.rebase(flown.candidate, snapshot, flown.verdict);
    return isStop(rebased) ? { stop: rebased } : judge(rebased);
  };
  // Flights settled so far (a rejection counts: its turn rethrows it), so that a keep decided
  // ahead of the one whose turn it is can be recorded first (steps.recordAhead).
  const settled = new WeakMap<Promise<Flight<C, V>>, Flight<C, V> | null>();
  const track = (flight: Promise<Flight<C, V>>): Promise<Flight<C, V>> => {
    flight.then(
      (flown) => settled.set(flight, flown),
      () => settled.set(flight, null),
    );
    return flight;
  };
  // Which flight is recorded next: the oldest once it has settled; before that, a later one
  // that settled as a keep on the incumbent now (recordAhead), the oldest such first.
  const nextTurn = async (): Promise<number> => {
    if (!steps.recordAhead) return 0;
    while (queue.length > 0 && !settled.has(queue[0]!)) {
      const ahead = queue.findIndex((flight, i) => {
        const flown = settled.get(flight);
        return i > 0 && !!flown && !("stop" in flown) && steps.recordAhead!(flown);
      });
      if (ahead > 0) return ahead;
      await Promise.race(
        queue.filter((flight) => !settled.has(flight)).map((flight) => flight.catch(() => {})),
      );
    }
    return 0;
  };
  const drain = async (): Promise<void> => {
    // In-flight work is not recorded: a resumed batch redoes it. Errors there do not matter.
    await Promise.allSettled(queue.splice(0));
  };
  try {
    while (true) {
      // The incumbent's extra runs (its top-up after a keep, a scheduled re-run) come before
      // anything begins against it or is re-applied onto it, so those are judged with them.
      if ((stop === null || queue.length > 0) && (steps.remeasureDue?.() ?? true)) {
        // The slot goes back before anything waits on the candidates in flight: one of them may
        // be waiting for this very slot (one worker), and would never finish otherwise.
        const broken = await (async () => {
          await using lease = await acquire();
          return await steps.remeasure(lease.slot);
        })();
        if (broken) {
          await drain();
          return broken;
        }
      }
      // The incumbent may have changed: what is in flight for the old one starts again now.
      const snapshot = steps.snapshot?.();
      for (let i = 0; i < queue.length; i++) {
        const again = queue[i]!.then((flown) => refly(flown, snapshot));
        again.catch(() => {});
        queue[i] = track(again);
      }
      while (stop === null && queue.length <= shape.lag) {
        stop = steps.stopNow(queue.length);
        if (stop === null) {
          const flight = fly(steps.begin(queue.length));
          flight.catch(() => {}); // awaited in order below; an early rejection is not unhandled
          queue.push(track(flight));
        }
      }
      const [next] = queue.splice(await nextTurn(), 1);
      if (!next) return stop!;
      const flown = await next;
      if ("stop" in flown) {
        await drain();
        return flown.stop;
      }
      // Whatever changed since it was re-queued, it is judged against the incumbent now.
      const current = await refly(flown, steps.snapshot?.());
      if ("stop" in current) {
        await drain();
        return current.stop;
      }
      const after = await steps.record(current.candidate, current.verdict);
      await steps.checkpoint();
      if (after) {
        await drain();
        return after;
      }
      if (stop?.kind === "interrupted") {
        await drain();
        return stop;
      }
    }
  } catch (error) {
    await drain();
    throw error;
  }
}
