import { join } from "node:path";
import { AgentCheckout } from "./agent-checkout.ts";

/**
 * One agent checkout held by one candidate: taken for its proposal (or its re-application onto a
 * new incumbent) and released once, by the step that finishes with it. A second release is a bug
 * (two steps believed they held it) and throws.
 */
export class CheckoutLease implements Disposable {
  readonly checkout: AgentCheckout;
  /** Which checkout: "agent 0" (a proposer's), "rebase 1" (a re-application's). */
  readonly name: string;
  #giveBack: (() => void) | null;

  constructor(checkout: AgentCheckout, name: string, giveBack: () => void) {
    this.checkout = checkout;
    this.name = name;
    this.#giveBack = giveBack;
  }

  get released(): boolean {
    return this.#giveBack === null;
  }

  /** Gives the checkout back to its pool, for the next candidate. */
  release(): void {
    const giveBack = this.#giveBack;
    if (!giveBack) throw new Error(`the checkout ${this.name} was released twice`);
    this.#giveBack = null;
    giveBack();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * The agents' checkouts of one kind (`agent`: one per proposal that may be made at once;
 * `rebase`: one per re-application in flight), each held from the proposal until its candidate is
 * screened (a CLI agent's files must not be overwritten by the next). Handed out in the order
 * they were asked for.
 */
export class CheckoutPool {
  #free: Held[];
  #waiting: ((held: Held) => void)[] = [];

  constructor(root: string, count: number, kind: "agent" | "rebase" = "agent") {
    this.#free = Array.from({ length: count }, (_, i) => ({
      checkout: new AgentCheckout(join(root, String(i))),
      name: `${kind} ${i}`,
    }));
  }

  /** Waits for a free checkout and leases it. */
  async take(): Promise<CheckoutLease> {
    const held = this.#free.shift() ?? (await new Promise<Held>((r) => this.#waiting.push(r)));
    return new CheckoutLease(held.checkout, held.name, () => this.#giveBack(held));
  }

  #giveBack(held: Held): void {
    const next = this.#waiting.shift();
    if (next) next(held);
    else this.#free.push(held);
  }
}

interface Held {
  checkout: AgentCheckout;
  name: string;
}
